import { describe, expect, it } from '@jest/globals';
import { durableEventsStreamName, nakDelayMs } from './jetstream-durable-events.js';

describe('durableEventsStreamName', () => {
  it('should name the stream after the subject prefix', () => {
    expect(durableEventsStreamName('handover')).toBe('handover_EVENTS');
    expect(durableEventsStreamName('test_1a2b-x')).toBe('test_1a2b-x_EVENTS');
  });

  it('should replace what a stream name may not hold', () => {
    expect(durableEventsStreamName('a.b*c>d e/f\\g')).toBe('a_b_c_d_e_f_g_EVENTS');
    expect(durableEventsStreamName('')).toBe('EVENTS');
  });
});

describe('nakDelayMs', () => {
  it('should wait 1 s after the first failed delivery, doubling up to 30 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 100, 10_000].map(nakDelayMs)).toEqual([
      1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000, 30_000,
    ]);
    expect(nakDelayMs(0)).toBe(1000);
  });
});
