/**
 * How the dispatcher delivers (defaults and their validation in config/webhooks.env.ts). Durations in ms.
 * The first attempt is immediate; `retrySchedule[i]` is the wait before retry `i + 1`, so the default schedule
 * gives 8 attempts over about 27.5 hours (Svix's schedule).
 */
export class WebhookPolicy {
  retrySchedule!: readonly number[];
  /** Each wait is multiplied by a random factor in [1 − jitter, 1 + jitter]. */
  jitter!: number;
  /** The whole attempt: connect, request, response headers and the excerpt of the body. */
  httpTimeoutMs!: number;
  /** Attempts in flight on one replica. */
  concurrency!: number;
  /** Attempts in flight to one endpoint on one replica, so a slow endpoint never takes every slot. */
  endpointConcurrency!: number;
  /** How long a claimed message stays invisible to other workers; ≥ httpTimeoutMs + 5 s. */
  leaseMs!: number;
  /** An endpoint failing (no success) for this long is disabled at its next failure. */
  disableAfterMs!: number;
  /** How often due messages are looked for when nothing nudges the engine. */
  pollIntervalMs!: number;
  /** At shutdown, how long in-flight attempts may finish before they are abandoned to their leases. */
  drainTimeoutMs!: number;

  static readonly defaults: WebhookPolicy = {
    retrySchedule: [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000],
    jitter: 0.2,
    httpTimeoutMs: 15_000,
    concurrency: 256,
    endpointConcurrency: 32,
    leaseMs: 30_000,
    disableAfterMs: 5 * 24 * 3_600_000,
    pollIntervalMs: 500,
    drainTimeoutMs: 5_000,
  };
}

/** The margin a lease keeps beyond the HTTP timeout, so a live attempt is never claimed twice. */
export const LEASE_MARGIN_MS = 5_000;
