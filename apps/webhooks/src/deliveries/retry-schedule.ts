import type { WebhookPolicy } from '../webhooks.policy.js';

/** A receiver's `Retry-After` is honoured up to this long; beyond it the message would outlive its schedule. */
export const MAX_RETRY_AFTER_MS = 24 * 3_600_000;

/** `ms` scaled by a random factor in [1 − jitter, 1 + jitter], so endpoints that failed together do not retry together. */
export function jittered(ms: number, jitter: number, random: () => number = Math.random): number {
  return Math.round(ms * (1 - jitter + 2 * jitter * random()));
}

/**
 * The wait before the next attempt after a failure at schedule step `step` (0 after the first attempt), or null
 * when the schedule is exhausted. A `Retry-After` the receiver sent makes the wait at least that long.
 */
export function nextRetryDelay(
  policy: Pick<WebhookPolicy, 'retrySchedule' | 'jitter'>,
  step: number,
  retryAfterMs: number | null,
  random: () => number = Math.random,
): number | null {
  const base = policy.retrySchedule[step];
  if (base === undefined) return null;
  return Math.max(jittered(base, policy.jitter, random), retryAfterMs ?? 0);
}

/**
 * RFC 9110 §10.2.3: `Retry-After` as delay-seconds or an HTTP-date, in ms from `nowMs`, capped at 24 h; null
 * when absent or unreadable.
 */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number): number | null {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return null;
  let ms: number;
  if (/^\d{1,10}$/.test(text)) ms = Number(text) * 1000;
  else {
    const at = Date.parse(text);
    if (Number.isNaN(at) || !/[A-Za-z]/.test(text)) return null;
    ms = at - nowMs;
  }
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}
