import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { MemoryShortLivedStore } from './short-lived-store.js';

describe(MemoryShortLivedStore.name, () => {
  let now: number;
  let sut: MemoryShortLivedStore;

  beforeEach(() => {
    now = 1_700_000_000_000;
    sut = new MemoryShortLivedStore(() => now);
  });

  afterEach(async () => {
    await sut.close();
  });

  describe('put and get', () => {
    it('should hand back a stored value until its TTL has passed', async () => {
      await sut.put('code', 'grant-1', 30);

      now += 29_999;
      await expect(sut.get('code')).resolves.toBe('grant-1');
    });

    it('should forget a value once its TTL has passed', async () => {
      await sut.put('code', 'grant-1', 30);

      now += 30_000;
      await expect(sut.get('code')).resolves.toBeNull();
    });

    it('should replace an earlier value and its TTL', async () => {
      await sut.put('code', 'old', 1);
      await sut.put('code', 'new', 60);

      now += 10_000;
      await expect(sut.get('code')).resolves.toBe('new');
    });

    it('should keep any value as given, empty or not, with a TTL of years or of a fraction of a second', async () => {
      const values = ['', '0', '{"tenantId":"t","jti":"j","expiresAt":1}', 'ü 🔑', 'x'.repeat(10_000)];
      for (const [i, value] of values.entries()) await sut.put(`k${i}`, value, 10 * 365 * 24 * 3600);
      await sut.put('short', 'v', 0.5);
      for (const [i, value] of values.entries()) await expect(sut.get(`k${i}`)).resolves.toBe(value);
      await expect(sut.get('short')).resolves.toBe('v');
      now += 500;
      await expect(sut.get('short')).resolves.toBeNull();
      now += 9 * 365 * 24 * 3600 * 1000;
      await expect(sut.get('k4')).resolves.toBe(values[4]);
    });

    it('should answer null for a key never stored', async () => {
      await expect(sut.get('absent')).resolves.toBeNull();
    });
  });

  describe('take', () => {
    it('should hand a value out exactly once', async () => {
      await sut.put('code', 'grant-1', 30);

      await expect(sut.take('code')).resolves.toBe('grant-1');
      await expect(sut.take('code')).resolves.toBeNull();
      await expect(sut.get('code')).resolves.toBeNull();
    });

    it('should give the value to exactly one of many concurrent callers', async () => {
      await sut.put('code', 'grant-1', 30);

      const results = await Promise.all(Array.from({ length: 32 }, () => sut.take('code')));

      expect(results.filter((r) => r !== null)).toEqual(['grant-1']);
    });

    it('should not hand out an expired value', async () => {
      await sut.put('code', 'grant-1', 30);

      now += 30_000;
      await expect(sut.take('code')).resolves.toBeNull();
    });
  });

  describe('putAll', () => {
    it('should store every entry with its own TTL, replacing earlier values', async () => {
      await sut.put('code', 'old', 60);

      await sut.putAll([
        { key: 'grant', value: 'g', ttlSeconds: 60 },
        { key: 'code', value: 'c', ttlSeconds: 30 },
      ]);

      await expect(sut.get('grant')).resolves.toBe('g');
      await expect(sut.get('code')).resolves.toBe('c');
      now += 30_000;
      await expect(sut.get('code')).resolves.toBeNull();
      await expect(sut.get('grant')).resolves.toBe('g');
    });

    it('should apply every entry at once, before any call made after it', async () => {
      const written = sut.putAll([
        { key: 'grant', value: 'g', ttlSeconds: 60 },
        { key: 'code', value: 'c', ttlSeconds: 30 },
      ]);
      const seen = await Promise.all([sut.get('code'), sut.get('grant')]);
      await written;

      expect(seen).toEqual(['c', 'g']);
      await expect(sut.putAll([])).resolves.toBeUndefined();
    });
  });

  describe('putAllWhileLive', () => {
    const vendors = { key: 'session-vendors', member: 'vendor-a', graceSeconds: 900 };
    const entries = [
      { key: 'code-grant', value: 'marker', ttlSeconds: 1830 },
      { key: 'code', value: 'record', ttlSeconds: 30 },
    ];

    it('should store the entries and add the member, kept until the owner expires plus the grace', async () => {
      await sut.put('session', 's', 600);

      await expect(sut.putAllWhileLive('session', entries, vendors)).resolves.toBe(true);

      await expect(sut.get('code')).resolves.toBe('record');
      await expect(sut.get('code-grant')).resolves.toBe('marker');
      now += 30_000;
      await expect(sut.get('code')).resolves.toBeNull();
      now += 600_000 + 900_000 - 30_000 - 1;
      await expect(sut.indexLive('session-vendors', now)).resolves.toEqual(['vendor-a']);
      now += 1;
      await expect(sut.indexLive('session-vendors', now)).resolves.toEqual([]);
    });

    it('should store nothing once the owner has expired or never was', async () => {
      await sut.put('session', 's', 1);
      now += 1000;

      await expect(sut.putAllWhileLive('session', entries, vendors)).resolves.toBe(false);
      await expect(sut.putAllWhileLive('never', entries, vendors)).resolves.toBe(false);

      await expect(sut.get('code')).resolves.toBeNull();
      await expect(sut.get('code-grant')).resolves.toBeNull();
      await expect(sut.indexLive('session-vendors', now)).resolves.toEqual([]);
    });

    it('should keep every member of the index, each added under the owner', async () => {
      await sut.put('session', 's', 600);
      await sut.putAllWhileLive('session', [], vendors);
      await sut.putAllWhileLive('session', [], { ...vendors, member: 'vendor-b' });

      await expect(sut.indexLive('session-vendors', now)).resolves.toEqual(['vendor-a', 'vendor-b']);
    });
  });

  describe('putIfAbsent', () => {
    it('should store a value only when the key is absent', async () => {
      await expect(sut.putIfAbsent('jti', 'first', 60)).resolves.toBe(true);
      await expect(sut.putIfAbsent('jti', 'second', 60)).resolves.toBe(false);
      await expect(sut.get('jti')).resolves.toBe('first');
    });

    it('should store again once the earlier value has expired', async () => {
      await sut.putIfAbsent('jti', 'first', 60);

      now += 60_000;
      await expect(sut.putIfAbsent('jti', 'second', 60)).resolves.toBe(true);
      await expect(sut.get('jti')).resolves.toBe('second');
    });

    it('should let exactly one of many concurrent callers store', async () => {
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => sut.putIfAbsent('jti', `v${i}`, 60)));

      expect(results.filter(Boolean)).toHaveLength(1);
    });
  });

  describe('delete', () => {
    it('should remove a value', async () => {
      await sut.put('code', 'grant-1', 30);
      await sut.delete('code');

      await expect(sut.get('code')).resolves.toBeNull();
    });
  });

  describe('indexAdd and indexLive', () => {
    it('should give the members that have not expired, dropping the others', async () => {
      await sut.indexAdd('index', 'short', now + 1000);
      await sut.indexAdd('index', 'long', now + 60_000);

      now += 1000;
      await expect(sut.indexLive('index', now)).resolves.toEqual(['long']);
    });

    it('should never shorten a member that is added again with an earlier expiry', async () => {
      await sut.indexAdd('index', 'm', now + 60_000);
      await sut.indexAdd('index', 'm', now + 1000);

      now += 30_000;
      await expect(sut.indexLive('index', now)).resolves.toEqual(['m']);
    });

    it('should drop the whole index once its own keepSeconds have passed', async () => {
      await sut.indexAdd('session-vendors', 'vendor-a', now + 3_600_000, 60);
      await sut.indexAdd('session-vendors', 'vendor-b', now + 3_600_000, 60);

      now += 59_999;
      await expect(sut.indexLive('session-vendors', now)).resolves.toEqual(['vendor-a', 'vendor-b']);
      now += 1;
      await expect(sut.indexLive('session-vendors', now)).resolves.toEqual([]);
      await sut.indexAdd('session-vendors', 'vendor-c', now + 3_600_000);
      await expect(sut.indexLive('session-vendors', now)).resolves.toEqual(['vendor-c']);
    });
  });

  describe('scheduleAdd, scheduleDue and scheduleRemove', () => {
    it('should give due members only, earliest first, up to the limit', async () => {
      await sut.scheduleAdd('expiries', 'late', now + 3000);
      await sut.scheduleAdd('expiries', 'second', now + 2000);
      await sut.scheduleAdd('expiries', 'first', now + 1000);
      await sut.scheduleAdd('expiries', 'future', now + 60_000);

      await expect(sut.scheduleDue('expiries', now, 10)).resolves.toEqual([]);
      await expect(sut.scheduleDue('expiries', now + 3000, 10)).resolves.toEqual(['first', 'second', 'late']);
      await expect(sut.scheduleDue('expiries', now + 3000, 2)).resolves.toEqual(['first', 'second']);
    });

    it('should keep due members until they are removed, even through the sweep', async () => {
      await sut.scheduleAdd('expiries', 'due', now + 1000);

      now += 3_600_000;
      await expect(sut.scheduleDue('expiries', now, 10)).resolves.toEqual(['due']);
      await sut.scheduleRemove('expiries', ['due', 'never-added']);
      await expect(sut.scheduleDue('expiries', now, 10)).resolves.toEqual([]);
    });

    it('should move a member that is added again', async () => {
      await sut.scheduleAdd('expiries', 'm', now + 1000);
      await sut.scheduleAdd('expiries', 'm', now + 60_000);

      await expect(sut.scheduleDue('expiries', now + 1000, 10)).resolves.toEqual([]);
      await expect(sut.scheduleDue('expiries', now + 60_000, 10)).resolves.toEqual(['m']);
    });
  });

  describe('sweep', () => {
    let store: MemoryShortLivedStore;

    beforeEach(() => {
      jest.useFakeTimers();
      store = new MemoryShortLivedStore(() => now);
    });

    afterEach(async () => {
      await store.close();
      jest.useRealTimers();
    });

    it('should drop expired entries nobody reads, a bounded slice per tick, and keep live ones', async () => {
      for (let i = 0; i < 12_000; i++) await store.put(`marker-${i}`, 'grant', 1);
      await store.put('live', 'grant', 60);
      now += 2000;

      jest.advanceTimersByTime(100);
      expect(store.size).toBe(12_001 - 5000);
      jest.advanceTimersByTime(200);

      expect(store.size).toBe(1);
      await expect(store.get('live')).resolves.toBe('grant');
    });

    it('should sweep what was added while a walk was under way', async () => {
      for (let i = 0; i < 6000; i++) await store.put(`early-${i}`, 'v', 1);
      jest.advanceTimersByTime(100);
      await store.put('late', 'v', 1);
      now += 2000;

      jest.advanceTimersByTime(300);

      // The walk's last 1,000 and the late one are gone; the 5,000 it passed before they expired wait for the next.
      expect(store.size).toBe(5000);
      now += 3000;
      jest.advanceTimersByTime(100);
      expect(store.size).toBe(0);
    });

    it('should start a walk every 5 s at most', async () => {
      await store.put('first', 'v', 1);
      jest.advanceTimersByTime(100); // a walk starts and ends: nothing expired yet
      now += 2000;
      jest.advanceTimersByTime(100);
      expect(store.size).toBe(1);

      now += 3000;
      jest.advanceTimersByTime(100);

      expect(store.size).toBe(0);
    });
  });

  describe('ping', () => {
    it('should always be ready', async () => {
      await expect(sut.ping()).resolves.toBeUndefined();
    });
  });
});
