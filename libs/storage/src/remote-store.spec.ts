import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { MemoryShortLivedStore } from './short-lived-store.js';
import { RemoteShortLivedStore, serveStore, type StoreOperation } from './remote-store.js';

describe(RemoteShortLivedStore.name, () => {
  let owned: MemoryShortLivedStore;
  let sut: RemoteShortLivedStore;
  let calls: StoreOperation[];

  beforeEach(() => {
    owned = new MemoryShortLivedStore(() => 1_700_000_000_000);
    const serve = serveStore(owned);
    calls = [];
    // As over a port: arguments and results cross as structured clones.
    sut = new RemoteShortLivedStore(async (operation, args) => {
      calls.push(operation);
      return structuredClone(await serve(operation, structuredClone(args)));
    });
  });

  afterEach(async () => {
    await owned.close();
  });

  it("should read and write the owner's store", async () => {
    await sut.put('a', '1', 30);
    await sut.putAll([
      { key: 'b', value: '2', ttlSeconds: 30 },
      { key: 'c', value: '3', ttlSeconds: 30 },
    ]);

    await expect(owned.get('a')).resolves.toBe('1');
    await expect(sut.get('c')).resolves.toBe('3');
    await expect(sut.putIfAbsent('b', 'x', 30)).resolves.toBe(false);
    await expect(sut.increment('n', 60)).resolves.toBe(1);
    await expect(sut.increment('n', 60)).resolves.toBe(2);
  });

  it('should keep take atomic where the store is: of concurrent takes exactly one gets the value', async () => {
    await owned.put('code', 'grant', 30);

    const results = await Promise.all(Array.from({ length: 16 }, () => sut.take('code')));

    expect(results.filter((r) => r === 'grant')).toHaveLength(1);
  });

  it('should forward indexes, schedules, delete and ping', async () => {
    await sut.indexAdd('idx', 'm1', 1_700_000_060_000, 120);
    await sut.scheduleAdd('sched', 'job', 1_699_999_999_000);
    await sut.delete('a');
    await sut.ping();

    await expect(sut.indexLive('idx', 1_700_000_000_000)).resolves.toEqual(['m1']);
    await expect(sut.scheduleDue('sched', 1_700_000_000_000, 10)).resolves.toEqual(['job']);
    await sut.scheduleRemove('sched', ['job']);
    await expect(owned.scheduleDue('sched', 1_700_000_000_000, 10)).resolves.toEqual([]);
    expect(calls).toEqual(['indexAdd', 'scheduleAdd', 'delete', 'ping', 'indexLive', 'scheduleDue', 'scheduleRemove']);
  });

  it('should leave the store open on close: it belongs to the other thread', async () => {
    await sut.close();

    await expect(sut.put('still', 'open', 30)).resolves.toBeUndefined();
  });

  it('should serve nothing but the store operations', async () => {
    const serve = serveStore(owned);

    await expect(serve('close', [])).rejects.toThrow('no store operation close');
    await expect(serve('constructor', [])).rejects.toThrow();
    await expect(serve('sweep', [])).rejects.toThrow();
  });
});
