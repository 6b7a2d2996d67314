// The peer's in-memory adapter: a plain Map with expiry (oidc-provider's default is an LRU of 1,000 entries, in
// which pre-minted codes would vanish). `consume` is atomic and refuses a second consume: oidc-provider checks
// `consumed` on the record it found and then calls `consume()`, with awaits in between, so without this two
// concurrent exchanges of one code could both get a token.
import { errors, type Adapter, type AdapterConstructor, type AdapterPayload } from 'oidc-provider';

const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
]);

interface Entry {
  payload: AdapterPayload;
  expiresAt: number;
}

/** The adapter class, and `reset()`, which empties the store (between runs, so minted codes do not pile up). */
export function createMemoryAdapter(): { Adapter: AdapterConstructor; reset: () => void } {
  const store = new Map<string, Entry>();
  /** grantId → keys of what it yielded (for revokeByGrantId). */
  const grants = new Map<string, Set<string>>();
  /** `sessionUid:<uid>` / `userCode:<code>` → id. */
  const index = new Map<string, string>();
  const live = (key: string): Entry | undefined => {
    const entry = store.get(key);
    if (entry && entry.expiresAt <= Date.now()) {
      store.delete(key);
      return undefined;
    }
    return entry;
  };
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const [key, entry] of store) if (entry.expiresAt <= now) store.delete(key);
    for (const [grantId, keys] of grants) {
      for (const key of keys) if (!store.has(key)) keys.delete(key);
      if (keys.size === 0) grants.delete(grantId);
    }
  }, 10_000);
  sweep.unref();

  const reset = () => {
    store.clear();
    grants.clear();
    index.clear();
  };

  class MemoryAdapter implements Adapter {
    constructor(private readonly model: string) {}

    private key(id: string): string {
      return `${this.model}:${id}`;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      const key = this.key(id);
      store.set(key, { payload, expiresAt: typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Infinity });
      if (GRANTABLE.has(this.model) && payload.grantId) {
        const keys = grants.get(payload.grantId) ?? new Set<string>();
        keys.add(key);
        grants.set(payload.grantId, keys);
      }
      if (this.model === 'Session' && payload.uid) index.set(`sessionUid:${payload.uid}`, id);
      if (payload.userCode) index.set(`userCode:${payload.userCode}`, id);
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      const entry = live(this.key(id));
      return entry ? { ...entry.payload } : undefined;
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      const id = index.get(`sessionUid:${uid}`);
      return id === undefined ? undefined : this.find(id);
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      const id = index.get(`userCode:${userCode}`);
      return id === undefined ? undefined : this.find(id);
    }

    async consume(id: string): Promise<void> {
      const entry = live(this.key(id));
      if (!entry || entry.payload.consumed) throw new errors.InvalidGrant('grant source already consumed');
      entry.payload.consumed = Math.floor(Date.now() / 1000);
    }

    async destroy(id: string): Promise<void> {
      store.delete(this.key(id));
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      for (const key of grants.get(grantId) ?? []) store.delete(key);
      grants.delete(grantId);
    }
  }
  return { Adapter: MemoryAdapter, reset };
}
