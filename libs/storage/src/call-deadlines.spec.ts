import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { HandoverError } from '#contracts';
import { CallDeadlines } from './call-deadlines.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe(CallDeadlines.name, () => {
  let now: number;
  let sut: CallDeadlines;

  /** A call the test settles by hand; `outcome` is what its caller saw (undefined while it waits). */
  const track = () => {
    const seen: { outcome?: unknown } = {};
    const call = sut.start((err) => {
      seen.outcome = err;
    });
    return { call, seen };
  };

  beforeEach(() => {
    now = 1_000;
    // A 1 s allowance on a clock the test moves, swept every 5 ms of real time.
    sut = new CallDeadlines(1000, 5, () => now);
  });

  afterEach(() => {
    sut.close();
  });

  it('should let a call answered in time through, once', () => {
    const { call, seen } = track();

    expect(sut.finish(call)).toBe(true);
    expect(sut.finish(call)).toBe(false);
    expect(seen.outcome).toBeUndefined();
    expect(sut.pending).toBe(0);
  });

  it('should fail an overdue call as temporarily_unavailable, and ignore its late reply', async () => {
    const late = track();
    now += 500;
    const early = track();

    now += 500; // the first call is due, the second has 500 ms left
    await sleep(30);

    expect(late.seen.outcome).toBeInstanceOf(HandoverError);
    expect(late.seen.outcome).toMatchObject({ code: 'temporarily_unavailable', retryAfter: 1 });
    expect(early.seen.outcome).toBeUndefined();
    expect(sut.pending).toBe(1);
    expect(sut.finish(late.call)).toBe(false);

    now += 500;
    await sleep(30);

    expect(early.seen.outcome).toMatchObject({ code: 'temporarily_unavailable' });
    expect(sut.pending).toBe(0);
  });

  it('should fail a call whose command failed once, with the cause kept', () => {
    const { call, seen } = track();
    const cause = new Error('The client is closed');

    sut.fail(call, cause);
    sut.fail(call, new Error('again'));

    expect(seen.outcome).toMatchObject({ code: 'temporarily_unavailable', cause });
    expect(sut.finish(call)).toBe(false);
    expect(sut.pending).toBe(0);
  });

  it('should keep the deadline of a call that waits behind answered ones, and of the ones behind it', async () => {
    const calls = Array.from({ length: 3000 }, () => track());
    const [stuck] = calls.splice(1500, 1);
    for (const { call } of calls) sut.finish(call);
    now += 500;
    const after = track();

    expect(sut.pending).toBe(2);
    now += 500;
    await sleep(30);

    expect(stuck!.seen.outcome).toMatchObject({ code: 'temporarily_unavailable' });
    expect(after.seen.outcome).toBeUndefined();
    expect(sut.pending).toBe(1);
    expect(sut.finish(after.call)).toBe(true);
    expect(sut.pending).toBe(0);
  });
});
