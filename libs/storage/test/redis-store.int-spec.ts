/**
 * RedisShortLivedStore against real Redis: the machine's server (with this run's key prefix) for behaviour, and
 * a private redis-server of the test's own for the fault cases (killed by PID). Nothing is mocked.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { HandoverError } from '#contracts';
import { RedisShortLivedStore } from '#storage';
import { closedPort, currentTestRun, freePort } from '#testing';
import { PrivateRedis } from './private-redis.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Settles `attempt` and reports how long it took, so a test can bound it ("fails fast, never hangs"). */
async function timed<T>(attempt: () => Promise<T>): Promise<{ ms: number; result: PromiseSettledResult<T> }> {
  const started = performance.now();
  const [result] = await Promise.allSettled([attempt()]);
  return { ms: performance.now() - started, result: result! };
}

describe(RedisShortLivedStore.name, () => {
  const run = currentTestRun();
  const stores: RedisShortLivedStore[] = [];
  let sut: RedisShortLivedStore;

  /** A fresh key per test, so tests never see each other's values. */
  const key = (name: string) => `${name}:${randomUUID()}`;

  const connect = async (url = run.redisUrl) => {
    const store = await RedisShortLivedStore.connect({ url, keyPrefix: run.redisPrefix });
    stores.push(store);
    return store;
  };

  beforeAll(async () => {
    sut = await connect();
  });

  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
  });

  describe('put, get, take, delete', () => {
    it('should hand back a stored value', async () => {
      const k = key('code');
      await sut.put(k, 'grant-1', 30);

      await expect(sut.get(k)).resolves.toBe('grant-1');
    });

    it('should answer null for a key never stored', async () => {
      await expect(sut.get(key('absent'))).resolves.toBeNull();
    });

    it("should keep values under the run's key prefix", async () => {
      const k = key('prefixed');
      await sut.put(k, 'v', 30);
      const unprefixed = await RedisShortLivedStore.connect({ url: run.redisUrl, keyPrefix: '' });
      stores.push(unprefixed);

      await expect(unprefixed.get(run.redisPrefix + k)).resolves.toBe('v');
      await expect(unprefixed.get(k)).resolves.toBeNull();
    });

    it('should replace an earlier value', async () => {
      const k = key('code');
      await sut.put(k, 'old', 30);
      await sut.put(k, 'new', 30);

      await expect(sut.get(k)).resolves.toBe('new');
    });

    it('should hand a value out once through take', async () => {
      const k = key('code');
      await sut.put(k, 'grant-1', 30);

      await expect(sut.take(k)).resolves.toBe('grant-1');
      await expect(sut.take(k)).resolves.toBeNull();
      await expect(sut.get(k)).resolves.toBeNull();
    });

    it('should remove a value through delete', async () => {
      const k = key('code');
      await sut.put(k, 'grant-1', 30);
      await sut.delete(k);

      await expect(sut.get(k)).resolves.toBeNull();
    });

    it('should answer ping while Redis is up', async () => {
      await expect(sut.ping()).resolves.toBeUndefined();
    });
  });

  describe('putAll', () => {
    it('should store every entry with its own TTL in one transaction', async () => {
      const [grant, code] = [key('grant'), key('code')];
      await sut.put(code, 'old', 30);

      await sut.putAll([
        { key: grant, value: 'g', ttlSeconds: 30 },
        { key: code, value: 'c', ttlSeconds: 1 },
      ]);

      await expect(sut.get(grant)).resolves.toBe('g');
      await expect(sut.get(code)).resolves.toBe('c');
      await sleep(1100);
      await expect(sut.get(code)).resolves.toBeNull();
      await expect(sut.get(grant)).resolves.toBe('g');
      await expect(sut.putAll([])).resolves.toBeUndefined();
    });

    it('should never let a reader on another connection see the second entry without the first', async () => {
      const reader = await connect();
      for (let round = 0; round < 50; round++) {
        const [grant, code] = [key('grant'), key('code')];
        const written = sut.putAll([
          { key: grant, value: 'g', ttlSeconds: 30 },
          { key: code, value: 'c', ttlSeconds: 30 },
        ]);
        // Read the code first, then the grant: a code seen without its grant would be a torn write.
        const seen: Array<[string | null, string | null]> = [];
        for (let i = 0; i < 5; i++) {
          const c = await reader.get(code);
          seen.push([c, await reader.get(grant)]);
        }
        await written;
        expect(seen.filter(([c, g]) => c !== null && g === null)).toEqual([]);
      }
    });
  });

  describe('putAllWhileLive', () => {
    const entriesUnder = (name: string) => [
      { key: key(`${name}-grant`), value: 'marker', ttlSeconds: 1830 },
      { key: key(name), value: 'record', ttlSeconds: 30 },
    ];

    it('should store the entries and add the member, kept until the owner expires plus the grace', async () => {
      const owner = key('session');
      const index = key('session-vendors');
      const entries = entriesUnder('code');
      await sut.put(owner, 's', 600);
      const before = Date.now();

      await expect(
        sut.putAllWhileLive(owner, entries, { key: index, member: 'vendor-a', graceSeconds: 900 }),
      ).resolves.toBe(true);
      await expect(sut.putAllWhileLive(owner, [], { key: index, member: 'vendor-b', graceSeconds: 900 })).resolves.toBe(
        true,
      );

      await expect(sut.get(entries[0]!.key)).resolves.toBe('marker');
      await expect(sut.get(entries[1]!.key)).resolves.toBe('record');
      await expect(sut.indexLive(index, Date.now())).resolves.toEqual(['vendor-a', 'vendor-b']);
      // Kept 600 + 900 s (less what elapsed): live just before, gone just after.
      await expect(sut.indexLive(index, before + 1_499_000)).resolves.toEqual(['vendor-a', 'vendor-b']);
      await expect(sut.indexLive(index, Date.now() + 1_500_001)).resolves.toEqual([]);
    });

    it('should store nothing when the owner is absent', async () => {
      const index = key('session-vendors');
      const entries = entriesUnder('code');

      await expect(
        sut.putAllWhileLive(key('session'), entries, { key: index, member: 'v', graceSeconds: 900 }),
      ).resolves.toBe(false);

      await expect(sut.get(entries[0]!.key)).resolves.toBeNull();
      await expect(sut.get(entries[1]!.key)).resolves.toBeNull();
      await expect(sut.indexLive(index, Date.now())).resolves.toEqual([]);
    });

    it('should give every entry its own TTL, to the millisecond', async () => {
      const owner = key('session');
      const short = key('short');
      await sut.put(owner, 's', 600);
      await sut.putAllWhileLive(owner, [{ key: short, value: 'v', ttlSeconds: 0.3 }], {
        key: key('i'),
        member: 'm',
        graceSeconds: 1,
      });

      await expect(sut.get(short)).resolves.toBe('v');
      await sleep(400);
      await expect(sut.get(short)).resolves.toBeNull();
    });
  });

  describe('TTL', () => {
    it('should forget a value once its TTL has passed', async () => {
      const k = key('short');
      await sut.put(k, 'v', 1);
      await expect(sut.get(k)).resolves.toBe('v');

      await sleep(1100);

      await expect(sut.get(k)).resolves.toBeNull();
      await expect(sut.take(k)).resolves.toBeNull();
    });

    it('should let putIfAbsent store again once the earlier value has expired', async () => {
      const k = key('marker');
      await expect(sut.putIfAbsent(k, 'first', 1)).resolves.toBe(true);
      await expect(sut.putIfAbsent(k, 'second', 1)).resolves.toBe(false);

      await sleep(1100);

      await expect(sut.putIfAbsent(k, 'third', 30)).resolves.toBe(true);
      await expect(sut.get(k)).resolves.toBe('third');
    });
  });

  describe('take', () => {
    it('should give a value to exactly one of 64 concurrent callers on several connections, every time', async () => {
      const replicas = [sut, ...(await Promise.all([connect(), connect(), connect()]))];
      const winners: string[][] = [];

      for (let round = 0; round < 50; round++) {
        const k = key('race');
        await sut.put(k, `grant-${round}`, 30);
        const results = await Promise.all(Array.from({ length: 64 }, (_, i) => replicas[i % replicas.length]!.take(k)));
        winners.push(results.filter((r) => r !== null));
      }

      expect(winners).toEqual(Array.from({ length: 50 }, (_, round) => [`grant-${round}`]));
    });
  });

  describe('putIfAbsent', () => {
    it('should let exactly one of 20 concurrent callers store', async () => {
      const others = await Promise.all([connect(), connect()]);
      const replicas = [sut, ...others];
      const k = key('jti');

      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => replicas[i % replicas.length]!.putIfAbsent(k, `v${i}`, 30)),
      );

      expect(results.filter(Boolean)).toHaveLength(1);
      await expect(sut.get(k)).resolves.toBe(`v${results.indexOf(true)}`);
    });
  });

  describe('indexes', () => {
    it('should give live members and drop expired ones', async () => {
      const index = key('index');
      const now = Date.now();
      await sut.indexAdd(index, 'gone', now - 1);
      await sut.indexAdd(index, 'live', now + 60_000);

      await expect(sut.indexLive(index, now)).resolves.toEqual(['live']);
    });

    it('should let the whole index expire after keepSeconds', async () => {
      const index = key('session-vendors');
      const now = Date.now();
      await sut.indexAdd(index, 'vendor-a', now + 3_600_000, 1);
      await sut.indexAdd(index, 'vendor-b', now + 3_600_000, 1);
      await expect(sut.indexLive(index, now)).resolves.toEqual(['vendor-a', 'vendor-b']);

      await sleep(1100);

      await expect(sut.indexLive(index, Date.now())).resolves.toEqual([]);
    });
  });

  describe('schedules', () => {
    it('should give due members earliest first up to the limit, and keep them until removed', async () => {
      const schedule = key('expiries');
      const now = Date.now();
      await sut.scheduleAdd(schedule, 'late', now - 1000);
      await sut.scheduleAdd(schedule, 'first', now - 3000);
      await sut.scheduleAdd(schedule, 'second', now - 2000);
      await sut.scheduleAdd(schedule, 'future', now + 60_000);

      await expect(sut.scheduleDue(schedule, now, 10)).resolves.toEqual(['first', 'second', 'late']);
      await expect(sut.scheduleDue(schedule, now, 2)).resolves.toEqual(['first', 'second']);
      await expect(sut.scheduleDue(schedule, now, 10)).resolves.toHaveLength(3);

      await sut.scheduleRemove(schedule, ['first', 'late', 'never-added']);
      await sut.scheduleRemove(schedule, []);
      await expect(sut.scheduleDue(schedule, now, 10)).resolves.toEqual(['second']);
      await expect(sut.scheduleDue(schedule, now + 60_000, 10)).resolves.toEqual(['second', 'future']);
    });

    it('should move a member that is added again', async () => {
      const schedule = key('expiries');
      const now = Date.now();
      await sut.scheduleAdd(schedule, 'm', now - 1000);
      await sut.scheduleAdd(schedule, 'm', now + 60_000);

      await expect(sut.scheduleDue(schedule, now, 10)).resolves.toEqual([]);
    });
  });

  describe('connect', () => {
    it('should reject within 5 s when nothing listens at the URL, not retry forever', async () => {
      const port = await closedPort();

      const { ms, result } = await timed(() =>
        RedisShortLivedStore.connect({ url: `redis://127.0.0.1:${port}`, keyPrefix: run.redisPrefix }),
      );

      expect(result.status).toBe('rejected');
      expect(ms).toBeLessThan(5000);
    });
  });

  describe('when Redis dies and comes back', () => {
    let server: PrivateRedis;
    let store: RedisShortLivedStore;

    beforeAll(async () => {
      server = new PrivateRedis(await freePort());
      await server.start();
      store = await connect(server.url);
    });

    afterAll(async () => {
      await store.close();
      await server.kill();
    });

    it('should fail every call with temporarily_unavailable within 2 s while Redis is down, then recover by itself', async () => {
      const k = key('fault');
      await store.put(k, 'before', 30);
      await expect(store.get(k)).resolves.toBe('before');

      await server.kill();

      const calls: Record<string, () => Promise<unknown>> = {
        put: () => store.put(k, 'v', 30),
        putAll: () => store.putAll([{ key: k, value: 'v', ttlSeconds: 30 }]),
        putAllWhileLive: () => store.putAllWhileLive(k, [], { key: key('index'), member: 'm', graceSeconds: 1 }),
        putIfAbsent: () => store.putIfAbsent(key('fault'), 'v', 30),
        get: () => store.get(k),
        take: () => store.take(k),
        delete: () => store.delete(k),
        indexAdd: () => store.indexAdd(key('index'), 'm', Date.now() + 60_000, 60),
        scheduleAdd: () => store.scheduleAdd(key('schedule'), 'm', Date.now()),
        scheduleDue: () => store.scheduleDue(key('schedule'), Date.now(), 10),
        scheduleRemove: () => store.scheduleRemove(key('schedule'), ['m']),
        ping: () => store.ping(),
      };
      for (const [name, call] of Object.entries(calls)) {
        const { ms, result } = await timed(call);
        expect({ name, status: result.status }).toEqual({ name, status: 'rejected' });
        const reason = (result as PromiseRejectedResult).reason as unknown;
        expect(reason).toBeInstanceOf(HandoverError);
        expect(reason).toMatchObject({ code: 'temporarily_unavailable', retryAfter: 1 });
        expect(ms).toBeLessThan(2000);
      }

      await server.start();

      // The client reconnects in the background (backoff at most 1 s); no one reconnects it by hand.
      await untilReachable(store);
      const k2 = key('after');
      await store.put(k2, 'after', 30);
      await expect(store.get(k2)).resolves.toBe('after');
      await expect(store.take(k2)).resolves.toBe('after');
      // A restarted server has an empty script cache: the script is loaded again on its first use.
      await expect(store.putAllWhileLive(k2, [], { key: key('index'), member: 'm', graceSeconds: 1 })).resolves.toBe(
        false,
      );
      await store.put(k2, 'owner', 30);
      await expect(store.putAllWhileLive(k2, [], { key: key('index'), member: 'm', graceSeconds: 1 })).resolves.toBe(
        true,
      );
    });

    it('should fail calls within about a second while Redis is connected but hangs, then carry on', async () => {
      await server.start();
      await untilReachable(store);
      const k = key('hung');
      await store.put(k, 'before', 30);

      server.pause();
      try {
        const settled = await Promise.all([
          timed(() => store.get(k)),
          timed(() => store.take(k)),
          timed(() => store.putAll([{ key: k, value: 'v', ttlSeconds: 30 }])),
        ]);
        for (const { ms, result } of settled) {
          expect(result.status).toBe('rejected');
          expect((result as PromiseRejectedResult).reason).toMatchObject({ code: 'temporarily_unavailable' });
          // The deadline (1 s) plus at most one sweep: it does not wait for the server.
          expect(ms).toBeGreaterThanOrEqual(900);
          expect(ms).toBeLessThan(1500);
        }
      } finally {
        server.resume();
      }

      // The late replies are dropped; the connection answers the next calls in order.
      const k2 = key('after-hang');
      await store.put(k2, 'after', 30);
      await expect(store.get(k2)).resolves.toBe('after');
    });

    it('should fail calls fast while Redis is down, not queue them until it returns', async () => {
      await server.kill();

      const pending = Array.from({ length: 10 }, () => timed(() => store.get(key('queued'))));
      const settled = await Promise.all(pending);

      expect(settled.map((s) => s.result.status)).toEqual(Array.from({ length: 10 }, () => 'rejected'));
      expect(Math.max(...settled.map((s) => s.ms))).toBeLessThan(2000);
    });
  });
});

/** Waits until the store answers again after Redis came back (at most 5 s). */
async function untilReachable(store: { ping(): Promise<void> }): Promise<void> {
  const deadline = Date.now() + 5000;
  while (
    !(await store.ping().then(
      () => true,
      () => false,
    ))
  ) {
    if (Date.now() > deadline) throw new Error('the store did not recover within 5 s of Redis coming back');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
