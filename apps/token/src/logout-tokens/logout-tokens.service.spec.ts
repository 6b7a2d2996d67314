import { describe, expect, it } from '@jest/globals';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { BACKCHANNEL_LOGOUT_EVENT, LOGOUT_TOKEN_TTL_SECONDS } from '#contracts';
import { MemoryShortLivedStore } from '#storage';
import { buildTokenServices, issuer, tenantId } from '../../test/token-fixture.js';
import { LogoutTokensService } from './logout-tokens.service.js';

const request = {
  tenantId,
  issuer,
  audience: 'vendor-a',
  sub: '22222222-2222-4222-8222-222222222222',
  sid: 'Y1gX3Tz3p7w1Xk5QjvE1wq9m0n2b4c6d8f0h2j4l6n8',
};

describe(LogoutTokensService.name, () => {
  const t = buildTokenServices(new MemoryShortLivedStore());

  describe('sign', () => {
    it("should sign an OIDC back-channel logout token that verifies against the tenant's JWKS (WH-09)", async () => {
      const { logoutToken } = await t.logoutTokens.sign(request);
      const jwks = createLocalJWKSet((await t.keys.publicJwks(tenantId)) as unknown as JSONWebKeySet);

      const { payload, protectedHeader } = await jwtVerify(logoutToken, jwks, {
        algorithms: ['ES256'],
        typ: 'logout+jwt',
        issuer,
        audience: 'vendor-a',
        requiredClaims: ['iat', 'exp', 'jti', 'sub', 'sid', 'events'],
      });

      expect(protectedHeader).toEqual({
        typ: 'logout+jwt',
        alg: 'ES256',
        kid: (await t.keys.publicJwks(tenantId)).keys[0].kid,
      });
      expect(payload).toEqual({
        iss: issuer,
        aud: 'vendor-a',
        iat: expect.any(Number),
        exp: (payload.iat ?? 0) + LOGOUT_TOKEN_TTL_SECONDS,
        jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
        events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
        sub: request.sub,
        sid: request.sid,
      });
      expect(payload).not.toHaveProperty('nonce');
      expect(Math.abs((payload.iat ?? 0) - Date.now() / 1000)).toBeLessThan(5);
    });

    it('should mint a fresh token (new jti) for every attempt', async () => {
      const tokens = await Promise.all([t.logoutTokens.sign(request), t.logoutTokens.sign(request)]);
      const jtis = tokens.map(
        ({ logoutToken }) => JSON.parse(Buffer.from(logoutToken.split('.')[1], 'base64url').toString()).jti,
      );

      expect(new Set(jtis).size).toBe(2);
    });

    it("should not verify as another vendor's token, nor as an access token", async () => {
      const { logoutToken } = await t.logoutTokens.sign(request);
      const jwks = createLocalJWKSet((await t.keys.publicJwks(tenantId)) as unknown as JSONWebKeySet);

      await expect(jwtVerify(logoutToken, jwks, { issuer, audience: 'vendor-b' })).rejects.toThrow();
      await expect(jwtVerify(logoutToken, jwks, { issuer, audience: 'vendor-a', typ: 'at+jwt' })).rejects.toThrow();
      expect(decodeProtectedHeader(logoutToken).typ).toBe('logout+jwt');
    });
  });
});
