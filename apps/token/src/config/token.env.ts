import { Transform } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import {
  type BaseAppConfig,
  baseAppConfig,
  BaseAppEnv,
  loadEnv,
  toInt,
  WithDatabase,
  WithOpsPort,
  WithRedis,
  WithSecretKey,
} from '#config';
import { decodeSecretKey } from '#security';
import type { TokenPolicy } from '../token.policy.js';

class TokenEnv extends WithOpsPort(WithSecretKey(WithDatabase(WithRedis(BaseAppEnv))), 3101) {
  /** Absolute lifetime of a platform session; its access tokens never outlive it. */
  @Transform(toInt)
  @IsInt()
  @Min(60)
  @Max(7 * 24 * 3600)
  SESSION_TTL_SECONDS = 8 * 3600;

  /** Failed client authentications or grants per vendor per minute before the token endpoint answers 429. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100_000)
  CLIENT_FAILURES_PER_MINUTE = 60;

  /** How often expired sessions become `session.logged_out` (reason `expired`) webhooks. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(300_000)
  SESSION_SWEEP_INTERVAL_MS = 5000;

  /** How often the outbox relay looks for unpublished events (it is also nudged right after each write). */
  @Transform(toInt)
  @IsInt()
  @Min(50)
  @Max(60_000)
  OUTBOX_POLL_INTERVAL_MS = 1000;
}

/** The token app's configuration in distributed mode, validated once from the environment. */
export interface TokenConfig extends BaseAppConfig {
  opsPort: number;
  redis: { url: string; keyPrefix: string };
  database: { url: string; poolSize: number };
  secretKey: Buffer;
  policy: TokenPolicy;
}

export function loadTokenConfig(env: NodeJS.ProcessEnv): TokenConfig {
  const e = loadEnv(TokenEnv, env);
  return {
    ...baseAppConfig(e, 'token'),
    opsPort: e.OPS_PORT,
    redis: { url: e.REDIS_URL, keyPrefix: e.HANDOVER_REDIS_PREFIX },
    database: { url: e.DATABASE_URL, poolSize: e.DATABASE_POOL_SIZE },
    secretKey: decodeSecretKey(e.HANDOVER_SECRET_KEY),
    policy: {
      sessionTtlSeconds: e.SESSION_TTL_SECONDS,
      clientFailuresPerMinute: e.CLIENT_FAILURES_PER_MINUTE,
      sessionSweepIntervalMs: e.SESSION_SWEEP_INTERVAL_MS,
      outboxPollIntervalMs: e.OUTBOX_POLL_INTERVAL_MS,
    },
  };
}
