import { describe, expect, it } from '@jest/globals';
import { createPrivateKey } from 'node:crypto';
import { decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { signEs256Jws } from './jws.js';

describe(signEs256Jws.name, () => {
  it('should produce a compact ES256 JWS that jose verifies, header and claims intact', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const key = createPrivateKey({ key: (await exportJWK(privateKey)) as never, format: 'jwk' });
    const sut = signEs256Jws(
      { typ: 'at+jwt', kid: 'k1' },
      { sub: 'u1', scope: 'profile', exp: 4102444800, iat: 1 },
      key,
    );
    expect(decodeProtectedHeader(sut)).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' });
    const { payload } = await jwtVerify(sut, publicKey, { algorithms: ['ES256'], typ: 'at+jwt' });
    expect(payload).toEqual({ sub: 'u1', scope: 'profile', exp: 4102444800, iat: 1 });
  });

  it('should not let the header override the algorithm', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const key = createPrivateKey({ key: (await exportJWK(privateKey)) as never, format: 'jwk' });
    expect(decodeProtectedHeader(signEs256Jws({ alg: 'none' }, {}, key)).alg).toBe('ES256');
  });
});
