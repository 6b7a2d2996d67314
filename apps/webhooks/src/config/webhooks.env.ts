import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsString, Matches, Max, Min, ValidateBy, type ValidationArguments } from 'class-validator';
import {
  type BaseAppConfig,
  baseAppConfig,
  BaseAppEnv,
  ConfigError,
  loadEnv,
  toInt,
  WithDatabase,
  WithOpsPort,
  WithSecretKey,
} from '#config';
import { decodeSecretKey } from '#security';
import { LEASE_MARGIN_MS, WebhookPolicy } from '../webhooks.policy.js';
import { DURATION_LIST_PATTERN, DURATION_PATTERN, parseDuration, parseDurationList } from './durations.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type EnvClass<T = object> = new (...args: any[]) => T;

const MAX_RETRY_WAIT_MS = 7 * 86_400_000;

/** A lease shorter than the HTTP timeout would let a second worker send while the first still waits. */
function CoversHttpTimeout() {
  return ValidateBy({
    name: 'coversHttpTimeout',
    validator: {
      validate: (value: unknown, args?: ValidationArguments) => {
        const timeout = (args?.object as { WEBHOOK_HTTP_TIMEOUT_MS?: unknown }).WEBHOOK_HTTP_TIMEOUT_MS;
        return typeof value === 'number' && typeof timeout === 'number' && value >= timeout + LEASE_MARGIN_MS;
      },
      defaultMessage: () =>
        `WEBHOOK_LEASE_MS must be at least WEBHOOK_HTTP_TIMEOUT_MS + ${LEASE_MARGIN_MS} ms, or a live attempt is claimed twice`,
    },
  });
}

function EachWaitAtMost(maxMs: number) {
  return ValidateBy({
    name: 'eachWaitAtMost',
    validator: {
      validate: (value: unknown) =>
        typeof value === 'string' &&
        DURATION_LIST_PATTERN.test(value) &&
        parseDurationList(value).every((ms) => ms <= maxMs),
      defaultMessage: () => 'WEBHOOK_RETRY_SCHEDULE: each wait must be at most 7d',
    },
  });
}

/**
 * The dispatcher's delivery variables (SPEC §6), shared by the distributed app and the embedded launcher. Each
 * default is the one of `WebhookPolicy.defaults`.
 */
export function WithWebhookPolicy<B extends EnvClass>(Base: B) {
  class WebhookPolicyEnv extends Base {
    /** Waits before each retry (the first attempt is immediate), each with ±20 % jitter; then `failed`. */
    @IsString()
    @Matches(DURATION_LIST_PATTERN, {
      message: 'WEBHOOK_RETRY_SCHEDULE must be 1-20 comma-separated durations, e.g. 5s,5m,30m,2h,5h,10h,10h',
    })
    @EachWaitAtMost(MAX_RETRY_WAIT_MS)
    WEBHOOK_RETRY_SCHEDULE = '5s,5m,30m,2h,5h,10h,10h';

    /** One attempt, from connect to the response excerpt (Standard Webhooks: 15-30 s). */
    @Transform(toInt)
    @IsInt()
    @Min(1_000)
    @Max(60_000)
    WEBHOOK_HTTP_TIMEOUT_MS = 15_000;

    @Transform(toInt)
    @IsInt()
    @Min(1)
    @Max(4_096)
    WEBHOOK_CONCURRENCY = 256;

    @Transform(toInt)
    @IsInt()
    @Min(1)
    @Max(1_024)
    WEBHOOK_ENDPOINT_CONCURRENCY = 32;

    /** How long a claimed message is reserved for its worker; a crashed worker's messages return after it. */
    @Transform(toInt)
    @IsInt()
    @Max(3_600_000)
    @CoversHttpTimeout()
    WEBHOOK_LEASE_MS = 30_000;

    /** An endpoint failing without a success for this long is disabled (Svix: 5 days). */
    @IsString()
    @Matches(DURATION_PATTERN, { message: 'WEBHOOK_DISABLE_AFTER must be a duration, e.g. 5d or 12h' })
    WEBHOOK_DISABLE_AFTER = '5d';

    @Transform(toInt)
    @IsInt()
    @Min(10)
    @Max(60_000)
    WEBHOOK_POLL_INTERVAL_MS = 500;

    /** At shutdown, how long in-flight attempts may finish; the rest are sent again after their lease. */
    @Transform(toInt)
    @IsInt()
    @Min(0)
    @Max(60_000)
    WEBHOOK_DRAIN_TIMEOUT_MS = 5_000;
  }
  return WebhookPolicyEnv;
}

class PolicyOnlyEnv extends WithWebhookPolicy(class {}) {}

function policyOf(e: PolicyOnlyEnv): WebhookPolicy {
  return {
    retrySchedule: parseDurationList(e.WEBHOOK_RETRY_SCHEDULE),
    jitter: WebhookPolicy.defaults.jitter,
    httpTimeoutMs: e.WEBHOOK_HTTP_TIMEOUT_MS,
    concurrency: e.WEBHOOK_CONCURRENCY,
    endpointConcurrency: e.WEBHOOK_ENDPOINT_CONCURRENCY,
    leaseMs: e.WEBHOOK_LEASE_MS,
    disableAfterMs: parseDuration(e.WEBHOOK_DISABLE_AFTER),
    pollIntervalMs: e.WEBHOOK_POLL_INTERVAL_MS,
    drainTimeoutMs: e.WEBHOOK_DRAIN_TIMEOUT_MS,
  };
}

/** The delivery policy from the WEBHOOK_* variables alone (the embedded launcher's call); throws ConfigError. */
export function webhookPolicyFromEnv(env: NodeJS.ProcessEnv): WebhookPolicy {
  return policyOf(loadEnv(PolicyOnlyEnv, env));
}

class WebhooksEnv extends WithWebhookPolicy(WithOpsPort(WithSecretKey(WithDatabase(BaseAppEnv)), 3104)) {
  /** The public base URL of the gateway: back-channel logout tokens are issued by `<base>/t/{tenant}`. */
  @IsString()
  @Matches(/^https?:\/\/[^\s/]+(\/[^\s]*)?$/, { message: 'PUBLIC_BASE_URL must be an http(s) URL' })
  PUBLIC_BASE_URL!: string;

  /** `1` registers the demo vendor's webhook endpoint (`<base>/demo/webhooks`) once the demo tenant exists. */
  @IsIn(['0', '1'])
  HANDOVER_DEMO: '0' | '1' = '0';
}

export interface WebhooksConfig extends BaseAppConfig {
  opsPort: number;
  database: { url: string; poolSize: number };
  secretKey: Buffer;
  publicBaseUrl: string;
  policy: WebhookPolicy;
  seedDemo: boolean;
}

export function loadWebhooksConfig(env: NodeJS.ProcessEnv): WebhooksConfig {
  const e = loadEnv(WebhooksEnv, env);
  if (e.WEBHOOK_DRAIN_TIMEOUT_MS >= e.SHUTDOWN_TIMEOUT_MS) {
    throw new ConfigError(['WEBHOOK_DRAIN_TIMEOUT_MS: must be shorter than SHUTDOWN_TIMEOUT_MS']);
  }
  return {
    ...baseAppConfig(e, 'webhooks'),
    opsPort: e.OPS_PORT,
    database: { url: e.DATABASE_URL, poolSize: e.DATABASE_POOL_SIZE },
    secretKey: decodeSecretKey(e.HANDOVER_SECRET_KEY),
    publicBaseUrl: e.PUBLIC_BASE_URL.replace(/\/+$/, ''),
    policy: policyOf(e),
    seedDemo: e.HANDOVER_DEMO === '1',
  };
}
