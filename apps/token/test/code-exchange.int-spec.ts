import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TokenReply } from '#contracts';
import { RedisShortLivedStore } from '#storage';
import { currentTestRun } from '#testing';
import { buildTokenServices } from './token-fixture.js';

/**
 * Real: Redis (the run's key prefix). Wired by hand: the token services; the bus is a fake that answers vendor
 * lookups. Proves single use under contention on the store that distributed mode uses (CR-01).
 */
describe('code exchange against Redis', () => {
  let store: RedisShortLivedStore;
  let t: ReturnType<typeof buildTokenServices>;

  beforeAll(async () => {
    const run = currentTestRun();
    store = await RedisShortLivedStore.connect({ url: run.redisUrl, keyPrefix: `${run.redisPrefix}token-int:` });
    t = buildTokenServices(store);
  });

  afterAll(async () => {
    await store.close();
  });

  it('should give exactly one 200 in each of 100 trials of 64 concurrent exchanges of one code, then revoke it', async () => {
    const sid = await t.openSession();
    let trialsWithTwoTokens = 0;
    for (let trial = 0; trial < 100; trial++) {
      const { code } = await t.issue(sid);
      const results = await Promise.allSettled(Array.from({ length: 64 }, () => t.exchange(code)));
      const winners = results.filter((r): r is PromiseFulfilledResult<TokenReply> => r.status === 'fulfilled');
      if (winners.length !== 1) trialsWithTwoTokens++;
      expect(winners).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'invalid_grant' });
      await expect(t.introspect(winners[0].value.access_token)).resolves.toEqual({ active: false });
    }
    expect(trialsWithTwoTokens).toBe(0);
    // 6,400 exchanges: about 3 s alone, more when the other integration suites share the two cores.
  }, 30_000);

  it('should revoke the token when a consumed code is presented again (the grant marker outlives the code)', async () => {
    const sid = await t.openSession();
    const { code } = await t.issue(sid);
    const { access_token } = await t.exchange(code);
    await expect(t.exchange(code)).rejects.toMatchObject({ code: 'invalid_grant' });
    await expect(t.introspect(access_token)).resolves.toEqual({ active: false });
  });
});
