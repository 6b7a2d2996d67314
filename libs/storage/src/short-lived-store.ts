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

  /** Throws when the store cannot be reached (readiness). */
  abstract ping(): Promise<void>;

  abstract close(): Promise<void>;
}

/** The embedded mode's store: a Map with expiry, swept lazily on read and every few seconds. */
export class MemoryShortLivedStore extends ShortLivedStore {
  private readonly entries = new Map<string, { value: string; expiresAt: number }>();
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
  }
}
