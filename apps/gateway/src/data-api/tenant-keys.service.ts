import { Inject, Injectable } from '@nestjs/common';
import { createLocalJWKSet, errors, type JWTVerifyGetKey } from 'jose';
import { RpcClient } from '#messaging';
import { Clock } from '../http/clock.js';

/** An unknown `kid` makes at most one JWKS fetch per tenant in this window (jose's remote-set default). */
export const UNKNOWN_KID_COOLDOWN_MS = 30_000;
/** A key set older than this is refetched in the background (removed keys stop verifying); the old one serves meanwhile. */
export const JWKS_MAX_AGE_MS = 10 * 60_000;

interface KeySet {
  getKey: JWTVerifyGetKey;
  fetchedAt: number;
}

/**
 * Each tenant's public signing keys, fetched once over the bus (`token.jwks.get`) and kept on this replica with
 * the imported keys (jose's local set caches each import), so verifying a token costs no bus round trip. A token
 * whose `kid` is not in the set (a key rotated in) triggers one refetch, then none for the cooldown, however many
 * such tokens arrive: a flood of made-up `kid`s cannot turn into a flood of bus requests.
 */
@Injectable()
export class TenantKeys {
  private readonly sets = new Map<string, KeySet>();
  private readonly fetching = new Map<string, Promise<KeySet>>();

  constructor(
    @Inject(RpcClient) private readonly rpc: RpcClient,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  /** The key resolver for `jwtVerify` on one tenant's tokens. */
  resolver(tenantId: string): JWTVerifyGetKey {
    return async (header, token) => {
      const set = await this.current(tenantId);
      try {
        return await set.getKey(header, token);
      } catch (err) {
        if (!(err instanceof errors.JWKSNoMatchingKey)) throw err;
        if (this.clock.now() - set.fetchedAt < UNKNOWN_KID_COOLDOWN_MS) throw err;
        return (await this.fetch(tenantId)).getKey(header, token);
      }
    };
  }

  /** Drops a tenant's keys (the next token fetches them again). */
  forget(tenantId: string): void {
    this.sets.delete(tenantId);
  }

  private async current(tenantId: string): Promise<KeySet> {
    const set = this.sets.get(tenantId);
    if (!set) return this.fetch(tenantId);
    if (this.clock.now() - set.fetchedAt > JWKS_MAX_AGE_MS) {
      // Stale: refresh without making this request wait; a failed refresh leaves the old set in place.
      this.fetch(tenantId).catch(() => undefined);
    }
    return set;
  }

  /** One fetch per tenant at a time; concurrent callers share it. */
  private fetch(tenantId: string): Promise<KeySet> {
    let pending = this.fetching.get(tenantId);
    if (!pending) {
      pending = this.rpc
        .request('token.jwks.get', { tenantId })
        .then((jwks) => {
          const set = { getKey: createLocalJWKSet({ keys: jwks.keys }), fetchedAt: this.clock.now() };
          this.sets.set(tenantId, set);
          return set;
        })
        .finally(() => this.fetching.delete(tenantId));
      this.fetching.set(tenantId, pending);
    }
    return pending;
  }
}
