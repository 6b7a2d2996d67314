/** One value for `putAll`. */
export interface StoreEntry {
  key: string;
  value: string;
  ttlSeconds: number;
}

/** The index entry of `putAllWhileLive`: `member` joins `key`, both kept until the owner expires plus `graceSeconds`. */
export interface OwnedIndexEntry {
  key: string;
  member: string;
  graceSeconds: number;
}

/**
 * Short-lived values (codes, tickets, replay markers): Redis in distributed mode, memory in embedded mode,
 * one interface. `take` is the atomic single-use primitive: of any number of concurrent callers for one key,
 * exactly one gets the value.
 */
export abstract class ShortLivedStore {
  /** Stores `value` for `ttlSeconds`, replacing any previous value. */
  abstract put(key: string, value: string, ttlSeconds: number): Promise<void>;

  /**
   * Stores every entry, in order, as one transaction in one round trip: no reader ever sees an entry without
   * the ones before it (a code never exists without its grant marker), and an entry refused up front (e.g. the
   * store out of memory) stores none of them.
   */
  abstract putAll(entries: readonly StoreEntry[]): Promise<void>;

  /**
   * In one atomic step and one round trip: when `ownerKey` is live, stores `entries` (as `putAll`) and adds
   * `index.member` to `index.key` until the owner expires plus `index.graceSeconds`, the index itself kept as long;
   * otherwise stores nothing. True when it stored. (A code is written only while its session lives, and the
   * session's vendor set learns of the vendor in the same step.) The owner is a key this store wrote, so it has a TTL.
   */
  abstract putAllWhileLive(ownerKey: string, entries: readonly StoreEntry[], index: OwnedIndexEntry): Promise<boolean>;

  /** Stores `value` only if `key` is absent; true when this call stored it (replay markers). */
  abstract putIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean>;

  abstract get(key: string): Promise<string | null>;

  /** Atomically reads and deletes (`GETDEL`). */
  abstract take(key: string): Promise<string | null>;

  abstract delete(key: string): Promise<void>;

  /** Adds one to a counter that expires `ttlSeconds` after its first increment; returns the new count. */
  abstract increment(key: string, ttlSeconds: number): Promise<number>;

  /**
   * Records `member` in the index `index` until `expiresAtMs` (a sorted set scored by expiry). With
   * `keepSeconds`, the whole index also expires that long from now: an index per session must not outlive it.
   */
  abstract indexAdd(index: string, member: string, expiresAtMs: number, keepSeconds?: number): Promise<void>;

  /** Members of `index` that have not expired at `nowMs` (expired ones are dropped on the way). */
  abstract indexLive(index: string, nowMs: number): Promise<string[]>;

  /**
   * Puts `member` on the schedule `schedule`, due at `dueAtMs` (a sorted set scored by due time; adding it again
   * moves it). Unlike an index, a due member is work to do: it stays until `scheduleRemove`, never swept.
   */
  abstract scheduleAdd(schedule: string, member: string, dueAtMs: number): Promise<void>;

  /** Up to `limit` members due at `nowMs` (due time ≤ now), earliest first; reading does not remove them. */
  abstract scheduleDue(schedule: string, nowMs: number, limit: number): Promise<string[]>;

  /** Takes members off the schedule (absent ones are ignored). */
  abstract scheduleRemove(schedule: string, members: readonly string[]): Promise<void>;

  /** Throws when the store cannot be reached (readiness). */
  abstract ping(): Promise<void>;

  abstract close(): Promise<void>;
}

/**
 * The background sweep: a walk over the entries starts every 5 s at most and goes on 5,000 entries per 100 ms tick
 * (~0.3 ms of the event loop), so a large store is swept without a pause (one walk over 400,000 grant markers in
 * one go took 25–50 ms) at 50,000 entries a second, and a small one is walked no more often than before.
 */
const SWEEP_WALK_EVERY_MS = 5000;
const SWEEP_TICK_MS = 100;
const SWEEP_BATCH = 5000;

/** The embedded mode's store: a Map with expiry, swept lazily on read and, a slice at a time, in the background. */
export class MemoryShortLivedStore extends ShortLivedStore {
  /** Each value with its expiry in front (`packed`). */
  private readonly entries = new Map<string, string>();
  private readonly indexes = new Map<string, { members: Map<string, number>; expiresAt: number }>();
  private readonly schedules = new Map<string, Map<string, number>>();
  private readonly sweeper: NodeJS.Timeout;
  /** Where the sweep's walk over `entries` stands (a Map iterator survives deletions and sees later insertions). */
  private sweepCursor: Iterator<[string, string]> | undefined;
  private nextWalkAt = 0;

  constructor(private readonly now: () => number = Date.now) {
    super();
    this.sweeper = setInterval(() => this.sweep(), SWEEP_TICK_MS);
    this.sweeper.unref();
  }

  /** Entries held, expired ones not yet swept included. */
  get size(): number {
    return this.entries.size;
  }

  async put(key: string, value: string, ttlSeconds: number): Promise<void> {
    this.entries.set(flat(key), packed(value, this.now() + ttlSeconds * 1000));
  }

  async putAll(entries: readonly StoreEntry[]): Promise<void> {
    this.storeAll(entries);
  }

  async putAllWhileLive(ownerKey: string, entries: readonly StoreEntry[], index: OwnedIndexEntry): Promise<boolean> {
    const owner = this.liveEntry(ownerKey);
    if (owner === undefined) return false;
    this.storeAll(entries);
    const keepUntil = expiryOf(owner) + index.graceSeconds * 1000;
    this.addToIndex(index.key, index.member, keepUntil, keepUntil);
    return true;
  }

  async putIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    if (this.liveEntry(key) !== undefined) return false;
    this.entries.set(flat(key), packed(value, this.now() + ttlSeconds * 1000));
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
    const current = this.liveEntry(key);
    const count = current === undefined ? 1 : Number(current.slice(EXPIRY_DIGITS)) + 1;
    const expiresAt = current === undefined ? this.now() + ttlSeconds * 1000 : expiryOf(current);
    this.entries.set(flat(key), packed(String(count), expiresAt));
    return count;
  }

  async indexAdd(index: string, member: string, expiresAtMs: number, keepSeconds?: number): Promise<void> {
    this.addToIndex(
      index,
      member,
      expiresAtMs,
      keepSeconds === undefined ? undefined : this.now() + keepSeconds * 1000,
    );
  }

  async indexLive(index: string, nowMs: number): Promise<string[]> {
    const entry = this.liveIndex(index);
    if (!entry) return [];
    for (const [member, expiresAt] of entry.members) if (expiresAt <= nowMs) entry.members.delete(member);
    if (entry.members.size === 0) this.indexes.delete(index);
    return [...entry.members.keys()];
  }

  async scheduleAdd(schedule: string, member: string, dueAtMs: number): Promise<void> {
    const members = this.schedules.get(schedule) ?? new Map<string, number>();
    members.set(member, dueAtMs);
    this.schedules.set(schedule, members);
  }

  async scheduleDue(schedule: string, nowMs: number, limit: number): Promise<string[]> {
    const members = this.schedules.get(schedule);
    if (!members) return [];
    return [...members]
      .filter(([, dueAt]) => dueAt <= nowMs)
      .sort(([a, dueA], [b, dueB]) => dueA - dueB || (a < b ? -1 : a > b ? 1 : 0))
      .slice(0, Math.max(0, limit))
      .map(([member]) => member);
  }

  async scheduleRemove(schedule: string, members: readonly string[]): Promise<void> {
    const scheduled = this.schedules.get(schedule);
    if (!scheduled) return;
    for (const member of members) scheduled.delete(member);
    if (scheduled.size === 0) this.schedules.delete(schedule);
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    clearInterval(this.sweeper);
  }

  private live(key: string): string | undefined {
    return this.liveEntry(key)?.slice(EXPIRY_DIGITS);
  }

  /** The packed entry (expiry and value), unless it has expired (then it is dropped). */
  private liveEntry(key: string): string | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (expiryOf(entry) <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private storeAll(entries: readonly StoreEntry[]): void {
    const now = this.now();
    for (const { key, value, ttlSeconds } of entries)
      this.entries.set(flat(key), packed(value, now + ttlSeconds * 1000));
  }

  /** A member kept until `expiresAtMs` (never shortened); with `keepUntilMs`, the whole index expires then. */
  private addToIndex(index: string, member: string, expiresAtMs: number, keepUntilMs: number | undefined): void {
    const entry = this.liveIndex(index) ?? { members: new Map<string, number>(), expiresAt: Infinity };
    entry.members.set(member, Math.max(expiresAtMs, entry.members.get(member) ?? 0));
    if (keepUntilMs !== undefined) entry.expiresAt = keepUntilMs;
    this.indexes.set(index, entry);
  }

  private liveIndex(index: string): { members: Map<string, number>; expiresAt: number } | undefined {
    const entry = this.indexes.get(index);
    if (entry && entry.expiresAt <= this.now()) {
      this.indexes.delete(index);
      return undefined;
    }
    return entry;
  }

  /** One slice of the walk over the entries; the indexes once a walk ends. */
  private sweep(): void {
    const now = this.now();
    if (this.sweepCursor === undefined) {
      if (now < this.nextWalkAt) return;
      this.nextWalkAt = now + SWEEP_WALK_EVERY_MS;
      this.sweepCursor = this.entries.entries();
    }
    for (let i = 0; i < SWEEP_BATCH; i++) {
      const next = this.sweepCursor.next();
      if (next.done) {
        this.sweepCursor = undefined;
        // Schedules are not swept: their due members are work for someone (see scheduleAdd).
        for (const index of [...this.indexes.keys()]) void this.indexLive(index, now);
        return;
      }
      const [key, entry] = next.value;
      if (expiryOf(entry) <= now) this.entries.delete(key);
    }
  }
}

/** An entry's expiry, in milliseconds since the epoch, as 9 base-36 digits (enough until the year 5188). */
const EXPIRY_DIGITS = 9;
const MAX_EXPIRY = 36 ** EXPIRY_DIGITS - 1;

/**
 * An entry as one flat string, its expiry in front of its value: a value kept for minutes (a code's grant marker:
 * 30.5 min) then costs its key, this string and the Map's slot, with no entry object nor boxed number beside it
 * (a grant marker in its earlier JSON form: 266 against 337 bytes, key included; micro through this class, 100,000
 * markers, `--expose-gc`; the compact form of `apps/token`'s CodeStore is measured there).
 * Flat, because `JSON.stringify` and concatenation return V8 rope strings (a tree of parts, ~100 bytes more for a
 * 110-character grant marker); reading a character makes V8 flatten the rope, which the next collection reclaims
 * down to one string.
 */
function packed(value: string, expiresAt: number): string {
  const expiry = Math.min(Math.max(0, Math.ceil(expiresAt)), MAX_EXPIRY);
  return flat(expiry.toString(36).padStart(EXPIRY_DIGITS, '0') + value);
}

/** Keys too: a key built by a template (`code-grant:${hash}`) is a rope until read. */
function flat(text: string): string {
  text.charCodeAt(0);
  return text;
}

/** The digits read in place (`parseInt` of a slice would allocate one string per read). */
function expiryOf(entry: string): number {
  let expiresAt = 0;
  for (let i = 0; i < EXPIRY_DIGITS; i++) {
    const code = entry.charCodeAt(i);
    expiresAt = expiresAt * 36 + (code <= 57 ? code - 48 : code - 87); // '0'-'9', then 'a'-'z'
  }
  return expiresAt;
}
