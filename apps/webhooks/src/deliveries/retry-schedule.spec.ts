import { describe, expect, it } from '@jest/globals';
import { jittered, MAX_RETRY_AFTER_MS, nextRetryDelay, parseRetryAfter } from './retry-schedule.js';

const policy = { retrySchedule: [5_000, 300_000], jitter: 0.2 };

describe(jittered.name, () => {
  it.each([
    [0, 800],
    [0.5, 1_000],
    [0.999_999, 1_200],
  ])('should stay within ±20 %% (random %p → %i)', (random, expected) => {
    expect(jittered(1_000, 0.2, () => random)).toBe(expected);
  });
});

describe(nextRetryDelay.name, () => {
  it('should follow the schedule by step, with jitter', () => {
    expect(nextRetryDelay(policy, 0, null, () => 0.5)).toBe(5_000);
    expect(nextRetryDelay(policy, 1, null, () => 0)).toBe(240_000);
  });

  it('should end the schedule after its last wait (the message is exhausted)', () => {
    expect(nextRetryDelay(policy, 2, null)).toBeNull();
  });

  it('should wait at least as long as Retry-After asks', () => {
    expect(nextRetryDelay(policy, 0, 120_000, () => 0.5)).toBe(120_000);
    expect(nextRetryDelay(policy, 1, 1_000, () => 0.5)).toBe(300_000);
  });
});

describe(parseRetryAfter.name, () => {
  const now = Date.parse('2025-01-01T00:00:00Z');

  it('should read delay-seconds', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(['7'], now)).toBe(7_000);
  });

  it('should read an HTTP date relative to now, never negative', () => {
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:00:00 GMT', now)).toBe(0);
  });

  it('should cap what it honours at 24 hours', () => {
    expect(parseRetryAfter('999999999', now)).toBe(MAX_RETRY_AFTER_MS);
  });

  it.each([undefined, '', 'soon', '-5', '1.5', '12345678901'])('should ignore %p', (value) => {
    expect(parseRetryAfter(value, now)).toBeNull();
  });
});
