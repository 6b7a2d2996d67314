import { Inject, Injectable } from '@nestjs/common';
import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { RpcClient } from '#messaging';
import { JwsInvalid, type Es256KeyLookup, type JsonObject } from '#security';
import { Clock } from '../http/clock.js';

/** An unknown `kid` makes at most one JWKS fetch per tenant in this window (jose's remote-set default). */
export const UNKNOWN_KID_COOLDOWN_MS = 30_000;
/** A key set older than this is refetched in the background (removed keys stop verifying); the old one serves meanwhile. */
export const JWKS_MAX_AGE_MS = 10 * 60_000;

/** No key of the set matches the token's header: the one case that may refetch the set. */
class NoMatchingKey extends JwsInvalid {}

interface KeySet {
  keys: SetMember[];
  fetchedAt: number;
}

interface SetMember {
  jwk: JsonObject;
  /** Imported on first use, then kept with the set. */
  imported?: KeyObject;
}

/**
 * Each tenant's public signing keys, fetched once over the bus (`token.jwks.get`) and kept on this replica as
 * node:crypto KeyObjects (each imported once), so verifying a token costs no bus round trip. A token whose `kid`
 * is not in the set (a key rotated in) triggers one refetch, then none for the cooldown, however many such tokens
 * arrive: a flood of made-up `kid`s cannot turn into a flood of bus requests.
 */
@Injectable()
export class TenantKeys {
  private readonly sets = new Map<string, KeySet>();
  private readonly fetching = new Map<string, Promise<KeySet>>();

  constructor(
    @Inject(RpcClient) private readonly rpc: RpcClient,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  /** The key lookup for `verifyEs256Jwt` on one tenant's tokens; `requestId` names the request on a fetch it makes. */
  resolver(tenantId: string, requestId?: string): Es256KeyLookup {
    return async (header) => {
      const set = await this.current(tenantId, requestId);
      try {
        return keyOf(set, header);
      } catch (err) {
        if (!(err instanceof NoMatchingKey)) throw err;
        if (this.clock.now() - set.fetchedAt < UNKNOWN_KID_COOLDOWN_MS) throw err;
        return keyOf(await this.fetch(tenantId, requestId), header);
      }
    };
  }

  /** Drops a tenant's keys (the next token fetches them again). */
  forget(tenantId: string): void {
    this.sets.delete(tenantId);
  }

  private async current(tenantId: string, requestId?: string): Promise<KeySet> {
    const set = this.sets.get(tenantId);
    if (!set) return this.fetch(tenantId, requestId);
    if (this.clock.now() - set.fetchedAt > JWKS_MAX_AGE_MS) {
      // Stale: refresh without making this request wait; a failed refresh leaves the old set in place.
      this.fetch(tenantId, requestId).catch(() => undefined);
    }
    return set;
  }

  /** One fetch per tenant at a time; concurrent callers share it (and the id of the request that started it). */
  private fetch(tenantId: string, requestId?: string): Promise<KeySet> {
    let pending = this.fetching.get(tenantId);
    if (!pending) {
      pending = this.rpc
        .request('token.jwks.get', { tenantId }, requestId)
        .then((jwks) => {
          const set = { keys: members(jwks), fetchedAt: this.clock.now() };
          this.sets.set(tenantId, set);
          return set;
        })
        .finally(() => this.fetching.delete(tenantId));
      this.fetching.set(tenantId, pending);
    }
    return pending;
  }
}

function members(jwks: unknown): SetMember[] {
  const keys = (jwks as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || !keys.every(isJsonObject)) throw new JwsInvalid('malformed JSON Web Key Set');
  return keys.map((jwk) => ({ jwk: { ...jwk } }));
}

/**
 * The one key of the set a token's header selects, as jose's local key set selects it for ES256: an EC P-256
 * key, its `kid` equal to the header's when the header has one, its `alg` ES256 or absent, its `use` sig or
 * absent, `verify` among its `key_ops` when it lists them. No candidate may refetch; two are refused.
 */
function keyOf(set: KeySet, header: Readonly<JsonObject>): KeyObject {
  const kid = header.kid;
  const candidates = set.keys.filter(({ jwk }) => usable(jwk, kid));
  if (candidates.length === 0) throw new NoMatchingKey('no key matches the token');
  if (candidates.length > 1) throw new JwsInvalid('several keys match the token');
  const member = candidates[0];
  member.imported ??= importPublicKey(member.jwk);
  return member.imported;
}

function usable(jwk: JsonObject, kid: unknown): boolean {
  const ops = jwk.key_ops;
  return (
    (jwk.ext === undefined || typeof jwk.ext === 'boolean') &&
    (ops === undefined ||
      (Array.isArray(ops) &&
        ops.every((op, i) => typeof op === 'string' && ops.indexOf(op) === i) &&
        ops.includes('verify'))) &&
    jwk.kty === 'EC' &&
    (kid === undefined || (typeof kid === 'string' && kid === jwk.kid)) &&
    (jwk.alg === undefined || jwk.alg === 'ES256') &&
    (jwk.use === undefined || jwk.use === 'sig') &&
    jwk.crv === 'P-256'
  );
}

function importPublicKey(jwk: JsonObject): KeyObject {
  // A private JWK would import as its public half: a set that publishes private keys is refused instead.
  if (jwk.d !== undefined) throw new JwsInvalid('the key set holds a private key');
  try {
    return createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
  } catch {
    throw new JwsInvalid('malformed JSON Web Key');
  }
}

function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
