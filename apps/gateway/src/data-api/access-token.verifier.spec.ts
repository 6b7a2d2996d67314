import { beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createHmac, createPublicKey, randomUUID, type JsonWebKey } from 'node:crypto';
import { base64url, exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { accessTokenAudience, HandoverError, type JwksReply, type PublicJwk, type TenantReply } from '#contracts';
import { RpcClient } from '#messaging';
import { automock, type Mocked } from '#mocks';
import { Clock } from '../http/clock.js';
import { AccessTokenVerifier } from './access-token.verifier.js';
import { KnownTokens } from './known-tokens.js';
import { RevocationSet } from './revocation-set.js';
import { TenantKeys, UNKNOWN_KID_COOLDOWN_MS } from './tenant-keys.service.js';

const tenant: TenantReply = {
  id: '11111111-1111-4111-8111-111111111111',
  slug: 'demo',
  name: 'Demo Bank',
  outboundNetwork: 'public',
};
const other: TenantReply = {
  id: '22222222-2222-4222-8222-222222222222',
  slug: 'other',
  name: 'Other Bank',
  outboundNetwork: 'public',
};
const issuer = 'http://localhost:3000/t/demo';
const NOW = Date.parse('2030-01-01T00:00:00Z');
const nowSeconds = Math.floor(NOW / 1000);

class FakeClock extends Clock {
  time = NOW;
  override now(): number {
    return this.time;
  }
}

interface SigningKey {
  privateKey: CryptoKey;
  publicJwk: PublicJwk;
}

async function signingKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(publicKey);
  return { privateKey, publicJwk: { ...(jwk as PublicJwk), kid, alg: 'ES256', use: 'sig' } };
}

function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: issuer,
    aud: accessTokenAudience(issuer),
    sub: '33333333-3333-4333-8333-333333333333',
    client_id: 'demo-vendor',
    sid: 'S'.repeat(43),
    jti: randomUUID(),
    scope: 'profile accounts',
    iat: nowSeconds - 10,
    exp: nowSeconds + 1790,
    ...overrides,
  };
}

async function sign(
  key: SigningKey,
  payload: Record<string, unknown> = claims(),
  header: Record<string, unknown> = {},
): Promise<string> {
  const clean = Object.fromEntries(Object.entries(payload).filter(([, v]) => v !== undefined));
  return new SignJWT(clean)
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: key.publicJwk.kid, ...header })
    .sign(key.privateKey);
}

/** A compact JWS with a header and payload of our choosing and an HMAC-SHA256 signature under `secret`. */
function hs256(header: Record<string, unknown>, payload: Record<string, unknown>, secret: string | Buffer): string {
  const input = `${base64url.encode(JSON.stringify(header))}.${base64url.encode(JSON.stringify(payload))}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** A compact JWS over header and payload segments of our choosing (any bytes), signed ES256 by `key`. */
async function signedSegments(key: SigningKey, header: string, payload: string): Promise<string> {
  const input = `${header}.${payload}`;
  const signature = await crypto.subtle.sign(
    { name: 'ECDSA', hash: 'SHA-256' },
    key.privateKey,
    new TextEncoder().encode(input),
  );
  return `${input}.${Buffer.from(signature).toString('base64url')}`;
}

const segment = (value: unknown) => base64url.encode(typeof value === 'string' ? value : JSON.stringify(value));

describe(AccessTokenVerifier.name, () => {
  let sut: AccessTokenVerifier;
  let rpc: Mocked<RpcClient>;
  let revocations: Mocked<RevocationSet>;
  let clock: FakeClock;
  let known: KnownTokens;
  let tenantKey: SigningKey;
  let rotatedKey: SigningKey;
  let attackerKey: SigningKey;
  let published: PublicJwk[];

  beforeAll(async () => {
    tenantKey = await signingKey('key-1');
    rotatedKey = await signingKey('key-2');
    attackerKey = await signingKey('key-1');
  });

  beforeEach(() => {
    clock = new FakeClock();
    rpc = automock(RpcClient, ['request', 'publish']);
    published = [tenantKey.publicJwk];
    rpc.request.mockImplementation((async (subject: string) => {
      if (subject !== 'token.jwks.get') throw new Error(`unexpected ${subject}`);
      return { keys: [...published] } satisfies JwksReply;
    }) as never);
    revocations = automock(RevocationSet);
    revocations.isRevoked.mockReturnValue(false);
    known = new KnownTokens();
    sut = new AccessTokenVerifier(new TenantKeys(rpc, clock), revocations, clock, known);
  });

  const refused = async (token: string, on: TenantReply = tenant, iss = issuer) =>
    expect(sut.verify(token, on, iss, 'req-1')).rejects.toMatchObject({ code: 'invalid_token' });

  describe('verify', () => {
    it('should accept a valid token of the tenant and return its claims and scopes', async () => {
      const payload = claims();
      const verified = await sut.verify(await sign(tenantKey, payload), tenant, issuer, 'req-1');
      expect(verified.claims).toMatchObject({ sub: payload.sub, sid: payload.sid, jti: payload.jti });
      expect([...verified.scopes]).toEqual(['profile', 'accounts']);
      expect(verified.tenant).toBe(tenant);
    });

    it('should fetch the JWKS once per tenant and verify later tokens without a bus round trip', async () => {
      for (let i = 0; i < 5; i++) await sut.verify(await sign(tenantKey), tenant, issuer, 'req-1');
      expect(rpc.request).toHaveBeenCalledTimes(1);
      expect(rpc.request).toHaveBeenCalledWith('token.jwks.get', { tenantId: tenant.id }, 'req-1');
    });

    it('should refuse alg "none" (an unsigned token)', async () => {
      const unsigned = `${base64url.encode(JSON.stringify({ alg: 'none', typ: 'at+jwt', kid: 'key-1' }))}.${base64url.encode(JSON.stringify(claims()))}.`;
      await refused(unsigned);
    });

    it('should refuse HS256 keyed with the tenant public key (algorithm confusion)', async () => {
      const header = { alg: 'HS256', typ: 'at+jwt', kid: 'key-1' };
      const pem = createPublicKey({ key: tenantKey.publicJwk as unknown as JsonWebKey, format: 'jwk' }).export({
        type: 'spki',
        format: 'pem',
      });
      await refused(hs256(header, claims(), pem));
      await refused(hs256(header, claims(), JSON.stringify(tenantKey.publicJwk)));
    });

    it('should refuse a token signed by an attacker key, with the tenant kid or a kid of its own', async () => {
      await refused(await sign(attackerKey));
      await refused(await sign(attackerKey, claims(), { kid: 'attacker' }));
    });

    it('should not use a key embedded in the header nor fetch a jku / x5u URL', async () => {
      const embedded = await sign(attackerKey, claims(), {
        kid: 'nope',
        jwk: attackerKey.publicJwk,
        jku: 'https://attacker.example/jwks',
        x5u: 'https://attacker.example/cert',
      });
      await refused(embedded);
      for (const [subject] of rpc.request.mock.calls) expect(subject).toBe('token.jwks.get');
    });

    it('should refuse a kid that is an injection attempt or 10 KB long, without an error of its own', async () => {
      for (const kid of ['../../etc/passwd', "' OR '1'='1", 'k'.repeat(10_000)]) {
        await refused(await sign(attackerKey, claims(), { kid }));
      }
    });

    it('should require typ at+jwt (RFC 9068 §4)', async () => {
      await refused(await sign(tenantKey, claims(), { typ: 'JWT' }));
      await refused(await sign(tenantKey, claims(), { typ: 'logout+jwt' }));
      await refused(await sign(tenantKey, claims(), { typ: undefined }));
    });

    it('should require the exact issuer and audience of this tenant', async () => {
      await refused(await sign(tenantKey, claims({ iss: 'http://localhost:3000/t/other' })));
      await refused(await sign(tenantKey, claims({ iss: `${issuer}/` })));
      await refused(await sign(tenantKey, claims({ aud: 'https://elsewhere.example/api' })));
      await refused(await sign(tenantKey, claims({ aud: issuer })));
      // A token of this tenant presented at another tenant's data API.
      published = [tenantKey.publicJwk];
      await refused(await sign(tenantKey), other, 'http://localhost:3000/t/other');
    });

    it('should refuse an expired token beyond the 5 s clock tolerance, and accept one within it', async () => {
      await refused(await sign(tenantKey, claims({ exp: nowSeconds - 6 })));
      await expect(
        sut.verify(await sign(tenantKey, claims({ exp: nowSeconds - 4 })), tenant, issuer, 'req-1'),
      ).resolves.toBeDefined();
    });

    it('should refuse a token issued in the future, or used longer after iat than a token lives', async () => {
      await refused(await sign(tenantKey, claims({ iat: nowSeconds + 60 })));
      await refused(await sign(tenantKey, claims({ iat: nowSeconds - 3600, exp: nowSeconds + 3600 })));
      await refused(await sign(tenantKey, claims({ nbf: nowSeconds + 60 })));
    });

    it.each(['exp', 'iat', 'jti', 'sub', 'sid', 'client_id', 'scope', 'iss', 'aud'])(
      'should refuse a token without %s',
      async (claim) => {
        await refused(await sign(tenantKey, claims({ [claim]: undefined })));
      },
    );

    it('should refuse identifiers that are not non-empty strings', async () => {
      await refused(await sign(tenantKey, claims({ sid: 42 })));
      await refused(await sign(tenantKey, claims({ scope: ['profile'] })));
      await refused(await sign(tenantKey, claims({ client_id: '' })));
    });

    it('should refuse a token whose payload was changed by one byte', async () => {
      const [header, payload, signature] = (await sign(tenantKey)).split('.');
      const json = Buffer.from(payload, 'base64url')
        .toString('utf8')
        .replace('"profile accounts"', '"profile accountz"');
      await refused(`${header}.${Buffer.from(json).toString('base64url')}.${signature}`);
      const bytes = Buffer.from(payload, 'base64url');
      bytes[bytes.length - 3] ^= 0x01;
      await refused(`${header}.${bytes.toString('base64url')}.${signature}`);
    });

    it('should refuse garbage and over-long tokens without fetching keys', async () => {
      for (const junk of ['', 'junk', 'a.b.c', 'a.b', `${'a'.repeat(9000)}.b.c`]) await refused(junk);
      expect(rpc.request).not.toHaveBeenCalled();
    });

    it('should refuse a token whose session or jti is revoked', async () => {
      const payload = claims();
      revocations.isRevoked.mockReturnValue(true);
      await refused(await sign(tenantKey, payload));
      expect(revocations.isRevoked).toHaveBeenCalledWith(tenant.id, payload.sid as string, payload.jti as string);
    });

    it('should answer 503, not invalid_token, when the revocation list or the keys are unavailable', async () => {
      revocations.isRevoked.mockImplementation(() => {
        throw HandoverError.unavailable('the revocation list is not loaded yet');
      });
      await expect(sut.verify(await sign(tenantKey), tenant, issuer, 'req-1')).rejects.toMatchObject({
        code: 'temporarily_unavailable',
      });
      rpc.request.mockRejectedValue(HandoverError.unavailable('no timely answer') as never);
      await expect(
        sut.verify(await sign(tenantKey), other, 'http://localhost:3000/t/other', 'req-1'),
      ).rejects.toMatchObject({
        code: 'temporarily_unavailable',
      });
    });
  });

  describe('malformed tokens: always 401 invalid_token, never a 500', () => {
    const header = { alg: 'ES256', typ: 'at+jwt', kid: 'key-1' };

    it('should refuse a token that is not three segments', async () => {
      const [h, p, sig] = (await sign(tenantKey)).split('.');
      for (const token of [`${h}.${p}`, `${h}.${p}.${sig}.${sig}`, `${h}..${p}.${sig}`, `.${p}.${sig}`, `${h}.${p}.`]) {
        await refused(token);
      }
    });

    it('should refuse segments that are not strict base64url: other characters, padding, white space', async () => {
      const [h, p, sig] = (await sign(tenantKey)).split('.');
      for (const token of [
        `${h}=.${p}.${sig}`,
        `${h}.${p}==.${sig}`,
        `${h}.${p}.${sig}=`,
        `${h}.${p.slice(0, 10)}+${p.slice(11)}.${sig}`,
        `${h}.${p.slice(0, 10)}/${p.slice(11)}.${sig}`,
        `${h}.${p.slice(0, 10)} ${p.slice(10)}.${sig}`,
        `${h}.${p}.${sig.slice(0, 20)}*${sig.slice(21)}`,
        `${h}.${p}x.${sig}`,
        `${h}.${p}.${sig.slice(0, -1)}`,
        `${h}.${p}.${sig}AAAA`,
      ]) {
        await refused(token);
      }
    });

    it('should refuse a valid signature in a non-canonical encoding (its last character changed in unused bits)', async () => {
      const [h, p, sig] = (await sign(tenantKey)).split('.');
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const last = alphabet.indexOf(sig[sig.length - 1]);
      const twin = alphabet[(last & ~0x0f) | ((last + 1) & 0x0f)];
      expect(Buffer.from(`${sig.slice(0, -1)}${twin}`, 'base64url')).toEqual(Buffer.from(sig, 'base64url'));
      await refused(`${h}.${p}.${sig.slice(0, -1)}${twin}`);
    });

    it('should refuse a header or payload that is not a UTF-8 JSON object, even when signed by the tenant key', async () => {
      const payload = segment(claims());
      for (const badHeader of ['not json', '[]', 'null', '"ES256"', '{"alg":"ES256"']) {
        await refused(await signedSegments(tenantKey, segment(badHeader), payload));
      }
      const invalidUtf8 = Buffer.concat([
        Buffer.from('{"alg":"ES256","typ":"at+jwt","x":"'),
        Buffer.from([0xff]),
        Buffer.from('"}'),
      ]);
      await refused(await signedSegments(tenantKey, invalidUtf8.toString('base64url'), payload));
      for (const badPayload of ['not json', '[1]', 'null', '42', '{"sub":']) {
        await refused(await signedSegments(tenantKey, segment(header), segment(badPayload)));
      }
    });

    it('should accept the same token built by hand (the helper above is sound)', async () => {
      await expect(
        sut.verify(await signedSegments(tenantKey, segment(header), segment(claims())), tenant, issuer, 'req-1'),
      ).resolves.toBeDefined();
    });

    it('should refuse any alg but ES256, spelled exactly', async () => {
      for (const alg of ['none', 'HS256', 'ES384', 'RS256', 'es256', 'ES256 ', undefined, null, ['ES256']]) {
        await refused(await signedSegments(tenantKey, segment({ ...header, alg }), segment(claims())));
      }
    });

    it('should refuse a header with crit, even for an extension jose knows (b64)', async () => {
      await refused(
        await signedSegments(tenantKey, segment({ ...header, crit: ['b64'], b64: true }), segment(claims())),
      );
      await refused(await signedSegments(tenantKey, segment({ ...header, crit: ['exp'], exp: 1 }), segment(claims())));
      await refused(await signedSegments(tenantKey, segment({ ...header, crit: [] }), segment(claims())));
    });

    it('should accept typ as a media type, as jose compares it, and refuse a non-string typ', async () => {
      await expect(
        sut.verify(await sign(tenantKey, claims(), { typ: 'application/AT+JWT' }), tenant, issuer, 'req-1'),
      ).resolves.toBeDefined();
      await refused(await signedSegments(tenantKey, segment({ ...header, typ: ['at+jwt'] }), segment(claims())));
      await refused(await sign(tenantKey, claims(), { typ: 'application/jwt' }));
    });

    it('should refuse times that are not numbers', async () => {
      await refused(await sign(tenantKey, claims({ exp: String(nowSeconds + 1790) })));
      await refused(await sign(tenantKey, claims({ iat: String(nowSeconds) })));
      await refused(await sign(tenantKey, claims({ nbf: String(nowSeconds) })));
    });

    it('should refuse a kid that is not a string, and a token without kid when two keys could match', async () => {
      await refused(await sign(tenantKey, claims(), { kid: 1 }));
      await expect(
        sut.verify(await sign(tenantKey, claims(), { kid: undefined }), tenant, issuer, 'req-1'),
      ).resolves.toBeDefined();
      published = [tenantKey.publicJwk, rotatedKey.publicJwk];
      sut = new AccessTokenVerifier(new TenantKeys(rpc, clock), revocations, clock, known);
      await refused(await sign(tenantKey, claims(), { kid: undefined }));
      await expect(sut.verify(await sign(tenantKey), tenant, issuer, 'req-1')).resolves.toBeDefined();
    });

    it('should refuse a key set that is malformed or publishes a private key, as invalid_token', async () => {
      rpc.request.mockResolvedValue({ keys: 'nope' } as never);
      await refused(await sign(tenantKey));
      const privateJwk = { ...(await exportJWK(tenantKey.privateKey)), kid: 'key-1', alg: 'ES256', use: 'sig' };
      rpc.request.mockResolvedValue({ keys: [privateJwk] } as never);
      sut = new AccessTokenVerifier(new TenantKeys(rpc, clock), revocations, clock, known);
      await refused(await sign(tenantKey));
    });
  });

  describe('known tokens (relayed by this replica, or verified before)', () => {
    it('should remember a token it verified, for its tenant only', async () => {
      const token = await sign(tenantKey);
      expect(known.isKnown(tenant.id, token)).toBe(false);
      await sut.verify(token, tenant, issuer, 'req-1');
      expect(known.isKnown(tenant.id, token)).toBe(true);
      expect(known.isKnown(other.id, token)).toBe(false);
      await expect(sut.verify(token, tenant, issuer, 'req-1')).resolves.toMatchObject({ tenant });
    });

    it('should skip only the signature math for a known token (shown with one whose signature would not verify)', async () => {
      const forged = await sign(attackerKey);
      await refused(forged);
      known.remember(tenant.id, forged);
      await expect(sut.verify(forged, tenant, issuer, 'req-1')).resolves.toBeDefined();
    });

    it('should still check everything else of a known token: claims, tenant, kid, revocation', async () => {
      const expired = await sign(tenantKey, claims({ exp: nowSeconds - 60 }));
      const otherIssuer = await sign(tenantKey, claims({ iss: 'http://localhost:3000/t/other' }));
      const unknownKid = await sign(tenantKey, claims(), { kid: 'retired' });
      const wrongType = await sign(tenantKey, claims(), { typ: 'JWT' });
      const token = await sign(tenantKey);
      for (const t of [expired, otherIssuer, unknownKid, wrongType, token]) known.remember(tenant.id, t);
      for (const t of [expired, otherIssuer, unknownKid, wrongType]) await refused(t);
      // Known for this tenant, presented at another one's data API (whose keys name the same kid).
      await refused(token, other, 'http://localhost:3000/t/other');
      revocations.isRevoked.mockReturnValue(true);
      await refused(token);
    });

    it("should not take another payload under a known token's signature for the known token", async () => {
      const token = await sign(tenantKey);
      known.remember(tenant.id, token);
      const [header, , signature] = token.split('.');
      await refused(`${header}.${segment(claims({ sub: 'someone-else' }))}.${signature}`);
    });

    it('should keep a bounded number of tokens, forgetting the oldest first, round after round', () => {
      const tokens = Array.from({ length: 40_001 }, (_, i) => `token-${i}`);
      for (const t of tokens.slice(0, 20_001)) known.remember(tenant.id, t);
      expect(known.isKnown(tenant.id, tokens[0])).toBe(false);
      expect(known.isKnown(tenant.id, tokens[1])).toBe(true);
      expect(known.isKnown(tenant.id, tokens[20_000])).toBe(true);

      for (const t of tokens.slice(20_001)) known.remember(tenant.id, t);
      expect(known.isKnown(tenant.id, tokens[20_000])).toBe(false);
      expect(known.isKnown(tenant.id, tokens[20_001])).toBe(true);
      expect(known.isKnown(tenant.id, tokens[40_000])).toBe(true);
    });
  });

  describe('unknown kid', () => {
    it('should refetch the keys at most once per cooldown, however many unknown kids arrive', async () => {
      await sut.verify(await sign(tenantKey), tenant, issuer, 'req-1');
      expect(rpc.request).toHaveBeenCalledTimes(1);
      for (let i = 0; i < 20; i++) await refused(await sign(attackerKey, claims(), { kid: `random-${i}` }));
      expect(rpc.request).toHaveBeenCalledTimes(1);
      clock.time += UNKNOWN_KID_COOLDOWN_MS + 1;
      await Promise.all(
        Array.from({ length: 10 }, async (_, i) => refused(await sign(attackerKey, claims(), { kid: `again-${i}` }))),
      );
      expect(rpc.request).toHaveBeenCalledTimes(2);
    });

    it('should pick up a rotated-in key once the cooldown allows a refetch', async () => {
      await sut.verify(await sign(tenantKey), tenant, issuer, 'req-1');
      published = [rotatedKey.publicJwk, tenantKey.publicJwk];
      const rotated = await sign(rotatedKey);
      await refused(rotated);
      clock.time += UNKNOWN_KID_COOLDOWN_MS + 1;
      await expect(sut.verify(await sign(rotatedKey), tenant, issuer, 'req-1')).resolves.toBeDefined();
      // Tokens of the retiring key still verify until their own expiry.
      await expect(sut.verify(await sign(tenantKey), tenant, issuer, 'req-1')).resolves.toBeDefined();
      expect(rpc.request).toHaveBeenCalledTimes(2);
    });
  });
});
