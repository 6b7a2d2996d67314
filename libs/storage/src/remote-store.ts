import { ShortLivedStore, type OwnedIndexEntry, type StoreEntry } from './short-lived-store.js';

/** Sends one store operation to the thread that owns the store and resolves with its result. */
export type StoreCall = (operation: StoreOperation, args: unknown[]) => Promise<unknown>;

/** The operations a `RemoteShortLivedStore` forwards: every method of the store but `close`. */
export type StoreOperation = Exclude<keyof ShortLivedStore, 'close'>;

const OPERATIONS: readonly StoreOperation[] = [
  'put',
  'putAll',
  'putAllWhileLive',
  'putIfAbsent',
  'get',
  'take',
  'delete',
  'increment',
  'indexAdd',
  'indexLive',
  'scheduleAdd',
  'scheduleDue',
  'scheduleRemove',
  'ping',
];

/**
 * Answers a `RemoteShortLivedStore`'s calls with `store` (on the thread that owns it). Only the store's
 * operations are served, so a caller cannot reach anything else on the object.
 */
export function serveStore(store: ShortLivedStore): (operation: string, args: unknown[]) => Promise<unknown> {
  return async (operation, args) => {
    if (!(OPERATIONS as readonly string[]).includes(operation)) throw new Error(`no store operation ${operation}`);
    const method = store[operation as StoreOperation] as (...a: unknown[]) => Promise<unknown>;
    return method.apply(store, args);
  };
}

/**
 * The short-lived store of another thread of this process (embedded mode's gateway worker reads the main
 * thread's in-memory store through it). Atomicity stays where the store is: `take` is still one operation there.
 * `close` leaves the store to its owner.
 */
export class RemoteShortLivedStore extends ShortLivedStore {
  constructor(private readonly send: StoreCall) {
    super();
  }

  put(key: string, value: string, ttlSeconds: number): Promise<void> {
    return this.send('put', [key, value, ttlSeconds]) as Promise<void>;
  }
  putAll(entries: readonly StoreEntry[]): Promise<void> {
    return this.send('putAll', [entries]) as Promise<void>;
  }
  putAllWhileLive(ownerKey: string, entries: readonly StoreEntry[], index: OwnedIndexEntry): Promise<boolean> {
    return this.send('putAllWhileLive', [ownerKey, entries, index]) as Promise<boolean>;
  }
  putIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    return this.send('putIfAbsent', [key, value, ttlSeconds]) as Promise<boolean>;
  }
  get(key: string): Promise<string | null> {
    return this.send('get', [key]) as Promise<string | null>;
  }
  take(key: string): Promise<string | null> {
    return this.send('take', [key]) as Promise<string | null>;
  }
  delete(key: string): Promise<void> {
    return this.send('delete', [key]) as Promise<void>;
  }
  increment(key: string, ttlSeconds: number): Promise<number> {
    return this.send('increment', [key, ttlSeconds]) as Promise<number>;
  }
  indexAdd(index: string, member: string, expiresAtMs: number, keepSeconds?: number): Promise<void> {
    return this.send('indexAdd', [index, member, expiresAtMs, keepSeconds]) as Promise<void>;
  }
  indexLive(index: string, nowMs: number): Promise<string[]> {
    return this.send('indexLive', [index, nowMs]) as Promise<string[]>;
  }
  scheduleAdd(schedule: string, member: string, dueAtMs: number): Promise<void> {
    return this.send('scheduleAdd', [schedule, member, dueAtMs]) as Promise<void>;
  }
  scheduleDue(schedule: string, nowMs: number, limit: number): Promise<string[]> {
    return this.send('scheduleDue', [schedule, nowMs, limit]) as Promise<string[]>;
  }
  scheduleRemove(schedule: string, members: readonly string[]): Promise<void> {
    return this.send('scheduleRemove', [schedule, members]) as Promise<void>;
  }
  ping(): Promise<void> {
    return this.send('ping', []) as Promise<void>;
  }
  async close(): Promise<void> {}
}
