import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '#config';
import { WebhookPolicy } from '../webhooks.policy.js';
import { parseDuration, parseDurationList } from './durations.js';
import { loadWebhooksConfig, webhookPolicyFromEnv } from './webhooks.env.js';

const distributed = {
  NATS_URL: 'nats://127.0.0.1:4222',
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/handover',
  HANDOVER_SECRET_KEY: 'a'.repeat(43),
  PUBLIC_BASE_URL: 'https://sso.bank.example/',
};

function problemsOf(attempt: () => unknown): string[] {
  try {
    attempt();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe(parseDuration.name, () => {
  it.each([
    ['250ms', 250],
    ['5s', 5_000],
    ['30m', 1_800_000],
    ['2h', 7_200_000],
    ['5d', 432_000_000],
  ])('should read %s as %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '5', '5 s', '-5s', '1.5h', '5w', 's'])('should refuse %p', (text) => {
    expect(() => parseDuration(text)).toThrow('not a duration');
  });

  it('should read a schedule in order', () => {
    expect(parseDurationList('5s,5m,30m')).toEqual([5_000, 300_000, 1_800_000]);
  });
});

describe(webhookPolicyFromEnv.name, () => {
  it('should default to Svix’s schedule and the documented limits', () => {
    expect(webhookPolicyFromEnv({})).toEqual(WebhookPolicy.defaults);
  });

  it('should read every WEBHOOK_ variable', () => {
    const policy = webhookPolicyFromEnv({
      WEBHOOK_RETRY_SCHEDULE: '1s,10s',
      WEBHOOK_HTTP_TIMEOUT_MS: '20000',
      WEBHOOK_CONCURRENCY: '64',
      WEBHOOK_ENDPOINT_CONCURRENCY: '8',
      WEBHOOK_LEASE_MS: '25000',
      WEBHOOK_DISABLE_AFTER: '12h',
      WEBHOOK_POLL_INTERVAL_MS: '250',
      WEBHOOK_DRAIN_TIMEOUT_MS: '3000',
    });

    expect(policy).toEqual({
      retrySchedule: [1_000, 10_000],
      jitter: 0.2,
      httpTimeoutMs: 20_000,
      concurrency: 64,
      endpointConcurrency: 8,
      leaseMs: 25_000,
      disableAfterMs: 43_200_000,
      pollIntervalMs: 250,
      drainTimeoutMs: 3_000,
    });
  });

  it('should refuse a lease that does not cover the HTTP timeout plus 5 s', () => {
    const problems = problemsOf(() =>
      webhookPolicyFromEnv({ WEBHOOK_HTTP_TIMEOUT_MS: '30000', WEBHOOK_LEASE_MS: '34999' }),
    );

    expect(problems).toEqual([expect.stringMatching(/^WEBHOOK_LEASE_MS: .*WEBHOOK_HTTP_TIMEOUT_MS \+ 5000 ms/)]);
  });

  it('should name every bad variable at once', () => {
    const problems = problemsOf(() =>
      webhookPolicyFromEnv({
        WEBHOOK_RETRY_SCHEDULE: '5s,,5m',
        WEBHOOK_DISABLE_AFTER: 'forever',
        WEBHOOK_CONCURRENCY: '0',
        WEBHOOK_HTTP_TIMEOUT_MS: '500',
      }),
    );

    for (const variable of [
      'WEBHOOK_RETRY_SCHEDULE',
      'WEBHOOK_DISABLE_AFTER',
      'WEBHOOK_CONCURRENCY',
      'WEBHOOK_HTTP_TIMEOUT_MS',
    ]) {
      expect(problems.some((p) => p.startsWith(`${variable}:`))).toBe(true);
    }
  });

  it('should refuse a retry wait longer than 7 days', () => {
    expect(problemsOf(() => webhookPolicyFromEnv({ WEBHOOK_RETRY_SCHEDULE: '5s,8d' }))).toEqual([
      expect.stringMatching(/^WEBHOOK_RETRY_SCHEDULE: .*7d/),
    ]);
  });
});

describe(loadWebhooksConfig.name, () => {
  it('should read the secret key, the public base URL (without a trailing slash) and the policy', () => {
    const config = loadWebhooksConfig(distributed);

    expect(config.secretKey).toHaveLength(32);
    expect(config.publicBaseUrl).toBe('https://sso.bank.example');
    expect(config.policy).toEqual(WebhookPolicy.defaults);
    expect(config.opsPort).toBe(3104);
  });

  it.each(['PUBLIC_BASE_URL', 'HANDOVER_SECRET_KEY', 'DATABASE_URL'])('should require %s', (variable) => {
    const env: Record<string, string> = { ...distributed };
    delete env[variable];

    expect(problemsOf(() => loadWebhooksConfig(env)).some((p) => p.startsWith(`${variable}:`))).toBe(true);
  });

  it('should refuse a PUBLIC_BASE_URL that is not http(s)', () => {
    expect(
      problemsOf(() => loadWebhooksConfig({ ...distributed, PUBLIC_BASE_URL: 'ftp://x' })).some((p) =>
        p.startsWith('PUBLIC_BASE_URL:'),
      ),
    ).toBe(true);
  });

  it('should keep the drain within the shutdown timeout', () => {
    expect(
      problemsOf(() =>
        loadWebhooksConfig({ ...distributed, SHUTDOWN_TIMEOUT_MS: '5000', WEBHOOK_DRAIN_TIMEOUT_MS: '5000' }),
      ),
    ).toEqual([expect.stringMatching(/^WEBHOOK_DRAIN_TIMEOUT_MS/)]);
  });
});
