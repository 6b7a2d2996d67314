import { createHash } from 'node:crypto';
import { createClient, type RedisClientType } from 'redis';
import { CallDeadlines } from './call-deadlines.js';
import { ShortLivedStore, type OwnedIndexEntry, type StoreEntry } from './short-lived-store.js';

export interface RedisSettings {
  url: string;
  /** Prepended to every key, so deployments and test runs can share a server. */
  keyPrefix: string;
}

/** How long a call may wait for Redis before it fails as unavailable (→ 503). */
const DEADLINE_MS = 1000;

/**
 * `putAllWhileLive` as one script: atomic, one round trip. KEYS: owner, index, then the entries' keys; ARGV: the
 * member, now (ms), the grace (ms), then each entry's value and TTL (ms). The owner's remaining PTTL gives the keep
 * time, so the index ends with it whatever the caller's clock. The shebang makes Redis refuse the whole script up
 * front when it is out of memory (as MULTI does), never after some of its writes.
 */
const PUT_ALL_WHILE_LIVE = {
  script: `#!lua
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then return 0 end
for i = 3, #KEYS do
  redis.call('SET', KEYS[i], ARGV[2 * i - 2], 'PX', ARGV[2 * i - 1])
end
local keep = ttl + tonumber(ARGV[3])
redis.call('ZADD', KEYS[2], 'GT', tonumber(ARGV[2]) + keep, ARGV[1])
redis.call('PEXPIRE', KEYS[2], keep)
return 1`,
  sha1: '',
};
PUT_ALL_WHILE_LIVE.sha1 = createHash('sha1').update(PUT_ALL_WHILE_LIVE.script).digest('hex');

/**
 * The distributed mode's store. The offline queue is off and every call has a deadline, so when Redis is
 * down or stops answering a call fails within about a second (→ 503) instead of waiting in a queue; the client
 * keeps reconnecting in the background and recovers without a restart.
 */
export class RedisShortLivedStore extends ShortLivedStore {
  private readonly deadlines = new CallDeadlines(DEADLINE_MS);

  private constructor(
    private readonly client: RedisClientType,
    private readonly prefix: string,
  ) {
    super();
  }

  /** Connects, failing fast (no endless retry) when Redis cannot be reached at start. */
  static async connect(settings: RedisSettings): Promise<RedisShortLivedStore> {
    let connectedOnce = false;
    const client: RedisClientType = createClient({
      url: settings.url,
      disableOfflineQueue: true,
      socket: {
        connectTimeout: 2000,
        // `false` (not `cause`) gives up on a first connect: the client tells an Error apart with `instanceof`,
        // which fails for a socket error from another realm (jest's sandbox) and then retries forever.
        reconnectStrategy: (retries: number) => (connectedOnce ? Math.min(50 * 2 ** retries, 1000) : false),
      },
      // No per-command timeout (node-redis's default is 5 s): it costs an AbortSignal.timeout and a listener per
      // command, and its timer fires later anyway and builds a DOMException. `CallDeadlines` keeps the deadline.
      commandOptions: { timeout: 0 },
    } as Parameters<typeof createClient>[0]) as RedisClientType;
    client.on('error', () => {
      // Reported through readiness and per-command errors; an unhandled 'error' event would crash the process.
    });
    await client.connect();
    connectedOnce = true;
    return new RedisShortLivedStore(client, settings.keyPrefix);
  }

  async put(key: string, value: string, ttlSeconds: number): Promise<void> {
    await this.call(() => this.client.set(this.prefix + key, value, { expiration: { type: 'EX', value: ttlSeconds } }));
  }

  async putAll(entries: readonly StoreEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.call(() => {
      // MULTI: applied together, in order; a command refused while queued (e.g. out of memory) aborts them all.
      const transaction = this.client.multi();
      for (const { key, value, ttlSeconds } of entries) {
        transaction.set(this.prefix + key, value, { expiration: { type: 'EX', value: ttlSeconds } });
      }
      return transaction.exec();
    });
  }

  async putAllWhileLive(ownerKey: string, entries: readonly StoreEntry[], index: OwnedIndexEntry): Promise<boolean> {
    const keys = [this.prefix + ownerKey, this.prefix + index.key];
    const args = [index.member, String(Date.now()), String(Math.round(index.graceSeconds * 1000))];
    for (const { key, value, ttlSeconds } of entries) {
      keys.push(this.prefix + key);
      args.push(value, String(Math.max(1, Math.round(ttlSeconds * 1000))));
    }
    const options = { keys, arguments: args };
    const stored = await this.call(() =>
      this.client.evalSha(PUT_ALL_WHILE_LIVE.sha1, options).catch((err: unknown) => {
        // Once per server (and after a SCRIPT FLUSH or a restart): EVAL loads the script into the cache.
        if (!(err instanceof Error && err.message.startsWith('NOSCRIPT'))) throw err;
        return this.client.eval(PUT_ALL_WHILE_LIVE.script, options);
      }),
    );
    return stored === 1;
  }

  async putIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    const result = await this.call(() =>
      this.client.set(this.prefix + key, value, { condition: 'NX', expiration: { type: 'EX', value: ttlSeconds } }),
    );
    return result === 'OK';
  }

  // get and take are on every exchange: plain functions, not one more async wrapper around `call`'s promise.
  get(key: string): Promise<string | null> {
    return this.call(() => this.client.get(this.prefix + key));
  }

  take(key: string): Promise<string | null> {
    return this.call(() => this.client.getDel(this.prefix + key));
  }

  async delete(key: string): Promise<void> {
    await this.call(() => this.client.del(this.prefix + key));
  }

  async increment(key: string, ttlSeconds: number): Promise<number> {
    const k = this.prefix + key;
    const [count] = await this.call(() => this.client.multi().incr(k).expire(k, ttlSeconds, 'NX').exec());
    return Number(count);
  }

  async indexAdd(index: string, member: string, expiresAtMs: number, keepSeconds?: number): Promise<void> {
    const k = this.prefix + index;
    if (keepSeconds === undefined) {
      await this.call(() => this.client.zAdd(k, { score: expiresAtMs, value: member }, { GT: true }));
      return;
    }
    // One round trip: the member and the index's own expiry together.
    await this.call(() =>
      this.client
        .multi()
        .zAdd(k, { score: expiresAtMs, value: member }, { GT: true })
        .expire(k, Math.max(1, Math.ceil(keepSeconds)))
        .exec(),
    );
  }

  async indexLive(index: string, nowMs: number): Promise<string[]> {
    const k = this.prefix + index;
    const [, members] = await this.call(() =>
      this.client.multi().zRemRangeByScore(k, '-inf', nowMs).zRangeByScore(k, `(${nowMs}`, '+inf').exec(),
    );
    return members as unknown as string[];
  }

  async scheduleAdd(schedule: string, member: string, dueAtMs: number): Promise<void> {
    await this.call(() => this.client.zAdd(this.prefix + schedule, { score: dueAtMs, value: member }));
  }

  async scheduleDue(schedule: string, nowMs: number, limit: number): Promise<string[]> {
    if (limit <= 0) return [];
    const members = await this.call(() =>
      this.client.zRangeByScore(this.prefix + schedule, '-inf', nowMs, { LIMIT: { offset: 0, count: limit } }),
    );
    return members.map(String);
  }

  async scheduleRemove(schedule: string, members: readonly string[]): Promise<void> {
    if (members.length === 0) return;
    await this.call(() => this.client.zRem(this.prefix + schedule, [...members]));
  }

  async ping(): Promise<void> {
    await this.call(() => this.client.ping());
  }

  async close(): Promise<void> {
    this.deadlines.close();
    if (this.client.isOpen) this.client.destroy();
  }

  /** Runs one command (or one MULTI) under the deadline; any failure is the store being unavailable. */
  private call<T>(command: () => Promise<T>): Promise<T> {
    const deadlines = this.deadlines;
    return new Promise<T>((resolve, reject) => {
      const call = deadlines.start(reject);
      let reply: Promise<T>;
      try {
        reply = command();
      } catch (err) {
        deadlines.fail(call, err);
        return;
      }
      reply.then(
        (value) => {
          if (deadlines.finish(call)) resolve(value);
        },
        (err: unknown) => deadlines.fail(call, err),
      );
    });
  }
}
