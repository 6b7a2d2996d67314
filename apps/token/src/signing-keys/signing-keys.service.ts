import { Inject, Injectable } from '@nestjs/common';
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { JwksReply, PublicJwk } from '#contracts';
import { SecretBox, signEs256Jws } from '#security';
import { SigningKeyRepository } from './signing-key.repository.js';

export const SIGNING_ALG = 'ES256';
const CACHE_TTL_MS = 30_000;

/**
 * Owns tenants' signing keys: creates a tenant's first ES256 key on first use, publishes public halves only,
 * and caches them briefly (keys change only by rotation, which the admin issue adds with its own event).
 */
@Injectable()
export class SigningKeysService {
  private readonly cache = new Map<string, { keys: PublicJwk[]; expiresAt: number }>();
  /** Imported once: importing a JWK per signature would cost more than the signature. */
  private readonly signingKeys = new Map<string, Promise<{ kid: string; key: KeyObject }>>();
  private readonly verificationKeys = new Map<string, KeyObject>();

  constructor(
    @Inject(SigningKeyRepository) private readonly repository: SigningKeyRepository,
    @Inject(SecretBox) private readonly secretBox: SecretBox,
  ) {}

  async publicJwks(tenantId: string): Promise<JwksReply> {
    const cached = this.cache.get(tenantId);
    if (cached && cached.expiresAt > Date.now()) return { keys: cached.keys };
    let keys = await this.repository.findPublishable(tenantId);
    if (!keys.some((k) => k.status === 'active')) {
      await this.createActiveKey(tenantId);
      keys = await this.repository.findPublishable(tenantId);
    }
    const published = keys.map((k) => toPublicJwk(k.publicJwk, k.kid, k.alg));
    this.cache.set(tenantId, { keys: published, expiresAt: Date.now() + CACHE_TTL_MS });
    return { keys: published };
  }

  /** The tenant's active private key, for signing (created on first use). */
  signingKey(tenantId: string): Promise<{ kid: string; key: KeyObject }> {
    let pending = this.signingKeys.get(tenantId);
    if (!pending) {
      pending = this.loadSigningKey(tenantId);
      pending.catch(() => this.signingKeys.delete(tenantId));
      this.signingKeys.set(tenantId, pending);
    }
    return pending;
  }

  /** An ES256 JWS of `claims` with the tenant's active key: header `{ typ, kid, alg: 'ES256' }`. */
  async signJws(tenantId: string, typ: string, claims: Record<string, unknown>): Promise<string> {
    const { kid, key } = await this.signingKey(tenantId);
    return signEs256Jws({ typ, kid }, claims, key);
  }

  /** The public key with this `kid`, if it is one of the tenant's publishable keys. */
  async verificationKey(tenantId: string, kid: string): Promise<KeyObject | undefined> {
    const cacheKey = `${tenantId}:${kid}`;
    const cached = this.verificationKeys.get(cacheKey);
    if (cached) return cached;
    const jwk = (await this.publicJwks(tenantId)).keys.find((k) => k.kid === kid);
    if (!jwk) return undefined;
    const imported = createPublicKey({ key: jwk as never, format: 'jwk' });
    this.verificationKeys.set(cacheKey, imported);
    return imported;
  }

  private async loadSigningKey(tenantId: string): Promise<{ kid: string; key: KeyObject }> {
    await this.publicJwks(tenantId);
    const active = (await this.repository.findPublishable(tenantId)).find((k) => k.status === 'active');
    if (!active) throw new Error(`tenant ${tenantId} has no active signing key`);
    const privateJwk = JSON.parse(this.secretBox.open(active.privateJwkSealed, active.kid)) as JWK;
    return { kid: active.kid, key: createPrivateKey({ key: privateJwk as never, format: 'jwk' }) };
  }

  private async createActiveKey(tenantId: string): Promise<void> {
    const { publicKey, privateKey } = await generateKeyPair(SIGNING_ALG, { extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    const privateJwk = JSON.stringify(await exportJWK(privateKey));
    await this.repository.insertActiveIfNone({
      kid,
      tenantId,
      alg: SIGNING_ALG,
      publicJwk: publicJwk as Record<string, string>,
      privateJwkSealed: this.secretBox.seal(privateJwk, kid),
    });
  }
}

/** Copies only public members: a JWKS must never carry `d` (or `k`). */
function toPublicJwk(jwk: Record<string, string>, kid: string, alg: string): PublicJwk {
  return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, kid, alg, use: 'sig' };
}
