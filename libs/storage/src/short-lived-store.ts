/**
 * Short-lived values (codes, tickets, replay markers): Redis in distributed mode, memory in embedded mode,
 * one interface. `take` is the atomic single-use primitive: of any number of concurrent callers for one key,
 * exactly one gets the value.
 */
export abstract class ShortLivedStore {
  /** Stores `value` for `ttlSeconds`, replacing any previous value. */
  abstract put(key: string, value: string, ttlSeconds: number): Promise<void>;

  /** Stores `value` only if `key` is absent; true when this call stored it (replay markers). */
  abstract putIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean>;

  abstract get(key: string): Promise<string | null>;

  /** Atomically reads and deletes (`GETDEL`). */
  abstract take(key: string): Promise<string | null>;

  abstract delete(key: string): Promise<void>;

  /** Adds one to a counter that expires `ttlSeconds` after its first increment; returns the new count. */
  abstract increment(key: string, ttlSeconds: number): Promise<number>;

  /** Records `member` in the index `index` until `expiresAtMs` (a sorted set scored by expiry). */
  abstract indexAdd(index: string, member: string, expiresAtMs: number): Promise<void>;

  /** Members of `index` that have not expired at `nowMs` (expired ones are dropped on the way). */
  abstract indexLive(index: string, nowMs: number): Promise<string[]>;

  /** Throws when the store cannot be reached (readiness). */
  abstract ping(): Promise<void>;

  abstract close(): Promise<void>;
}

/** The embedded mode's store: a Map with expiry, swept lazily on read and every few seconds. */
export class MemoryShortLivedStore extends ShortLivedStore {
  private readonly entries = new Map<string, { value: string; expiresAt: number }>();
  private readonly indexes = new Map<string, Map<string, number>>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly now: () => number = Date.now) {
    super();
    this.sweeper = setInterval(() => this.sweep(), 5000);
    this.sweeper.unref();
  }

  async put(key: string, value: string, ttlSeconds: number): Promise<void> {
    this.entries.set(key, { value, expiresAt: this.now() + ttlSeconds * 1000 });
  }

  async putIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    if (this.live(key) !== undefined) return false;
    this.entries.set(key, { value, expiresAt: this.now() + ttlSeconds * 1000 });
    return true;
  }

  async get(key: string): Promise<string | null> {
    return this.live(key) ?? null;
  }

  async take(key: string): Promise<string | null> {
    // Single-threaded: the read and the delete happen with no await between them, so this is atomic.
    const value = this.live(key);
    this.entries.delete(key);
    return value ?? null;
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }

  async increment(key: string, ttlSeconds: number): Promise<number> {
    const current = this.live(key);
    const count = current === undefined ? 1 : Number(current) + 1;
    const expiresAt = current === undefined ? this.now() + ttlSeconds * 1000 : this.entries.get(key)!.expiresAt;
    this.entries.set(key, { value: String(count), expiresAt });
    return count;
  }

  async indexAdd(index: string, member: string, expiresAtMs: number): Promise<void> {
    const entries = this.indexes.get(index) ?? new Map<string, number>();
    entries.set(member, Math.max(expiresAtMs, entries.get(member) ?? 0));
    this.indexes.set(index, entries);
  }

  async indexLive(index: string, nowMs: number): Promise<string[]> {
    const entries = this.indexes.get(index);
    if (!entries) return [];
    for (const [member, expiresAt] of entries) if (expiresAt <= nowMs) entries.delete(member);
    return [...entries.keys()];
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    clearInterval(this.sweeper);
  }

  private live(key: string): string | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
    for (const index of this.indexes.keys()) void this.indexLive(index, now);
  }
}
