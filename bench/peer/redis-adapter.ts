// The peer's Redis adapter (after oidc-provider's example, with an atomic consume). Consumable models are hashes
// `{payload, consumed}`; `consume` is one Lua script that sets `consumed` only if the record exists and has not
// been consumed, and the adapter refuses the second consume. The upstream example does an unconditional
// `HSET consumed`, so two concurrent exchanges that both found the code unconsumed would both get a token.
import { errors, type Adapter, type AdapterConstructor, type AdapterPayload } from 'oidc-provider';
import { createClient } from 'redis';

const CONSUMABLE = new Set([
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PushedAuthorizationRequest',
]);
const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
]);

const CONSUME = `if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('HSETNX', KEYS[1], 'consumed', ARGV[1]) end return 0`;

/** The adapter class, and `reset()`, which deletes its keys (between runs, so minted codes do not pile up). */
export async function createRedisAdapter(
  url: string,
  prefix: string,
  /** `upstream`: the example's unconditional `HSET consumed` (only to show the race in `bench:race`). */
  consumeMode: 'atomic' | 'upstream' = 'atomic',
): Promise<{ Adapter: AdapterConstructor; reset: () => Promise<void> }> {
  const client = createClient({ url });
  client.on('error', (err: Error) => process.stderr.write(`peer redis: ${err.message}\n`));
  await client.connect();
  const grantKey = (id: string) => `${prefix}grant:${id}`;

  const reset = async () => {
    for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
      if (keys.length > 0) await client.unlink(keys);
    }
  };

  class RedisAdapter implements Adapter {
    constructor(private readonly model: string) {}

    private key(id: string): string {
      return `${prefix}${this.model}:${id}`;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      const key = this.key(id);
      const multi = client.multi();
      if (CONSUMABLE.has(this.model)) multi.hSet(key, 'payload', JSON.stringify(payload));
      else multi.set(key, JSON.stringify(payload));
      if (expiresIn) multi.expire(key, expiresIn);
      if (GRANTABLE.has(this.model) && payload.grantId) {
        const gk = grantKey(payload.grantId);
        multi.rPush(gk, key);
        if (expiresIn) {
          // The index lives as long as its longest-lived member.
          multi.expire(gk, expiresIn, 'NX');
          multi.expire(gk, expiresIn, 'GT');
        }
      }
      const ttl = expiresIn ? { expiration: { type: 'EX' as const, value: expiresIn } } : undefined;
      if (payload.userCode) multi.set(`${prefix}userCode:${payload.userCode}`, id, ttl);
      if (this.model === 'Session' && payload.uid) multi.set(`${prefix}sessionUid:${payload.uid}`, id, ttl);
      await multi.exec();
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      const key = this.key(id);
      if (CONSUMABLE.has(this.model)) {
        const h = (await client.hGetAll(key)) as Record<string, string>;
        if (!h.payload) return undefined;
        const payload = JSON.parse(h.payload) as AdapterPayload;
        if (h.consumed) payload.consumed = Number(h.consumed);
        return payload;
      }
      const raw = await client.get(key);
      return raw ? (JSON.parse(raw) as AdapterPayload) : undefined;
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      const id = await client.get(`${prefix}sessionUid:${uid}`);
      return id ? this.find(id) : undefined;
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      const id = await client.get(`${prefix}userCode:${userCode}`);
      return id ? this.find(id) : undefined;
    }

    async consume(id: string): Promise<void> {
      const now = String(Math.floor(Date.now() / 1000));
      if (consumeMode === 'upstream') {
        await client.hSet(this.key(id), 'consumed', now);
        return;
      }
      const won = await client.eval(CONSUME, { keys: [this.key(id)], arguments: [now] });
      if (won !== 1) throw new errors.InvalidGrant('grant source already consumed');
    }

    async destroy(id: string): Promise<void> {
      await client.del(this.key(id));
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      const gk = grantKey(grantId);
      const keys = await client.lRange(gk, 0, -1);
      const multi = client.multi();
      for (const key of keys) multi.del(key);
      multi.del(gk);
      await multi.exec();
    }
  }
  return { Adapter: RedisAdapter, reset };
}
