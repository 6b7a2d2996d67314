import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { JwsInvalid, setEs256Execution, signEs256Jws, verifyEs256Jwt, type Es256Execution } from './jws.js';

// Every case in both places the math can run: the results must not depend on it.
describe.each<Es256Execution>(['inline', 'thread-pool'])('ES256 %s', (execution) => {
  beforeAll(() => setEs256Execution(execution));
  afterAll(() => setEs256Execution('inline'));

  describe(signEs256Jws.name, () => {
    it('should produce a compact ES256 JWS that jose verifies, header and claims intact', async () => {
      const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
      const key = createPrivateKey({ key: (await exportJWK(privateKey)) as never, format: 'jwk' });
      const sut = await signEs256Jws(
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
      expect(decodeProtectedHeader(await signEs256Jws({ alg: 'none' }, {}, key)).alg).toBe('ES256');
    });
  });

  describe(verifyEs256Jwt.name, () => {
    const issuer = 'https://idp.example/t/demo';
    const audience = `${issuer}/api`;
    const nowMs = Date.parse('2030-01-01T00:00:00Z');
    const now = nowMs / 1000;
    const rules = {
      typ: 'at+jwt',
      issuer,
      audience,
      requiredClaims: ['exp', 'iat', 'jti', 'sub'],
      clockToleranceSeconds: 5,
      maxTokenAgeSeconds: 1800,
      nowMs,
    };
    const claims = { iss: issuer, aud: audience, sub: 'u1', jti: 'j1', iat: now - 10, exp: now + 1790 };
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const keyFor = () => publicKey;

    const joseVerdict = (token: string) =>
      jwtVerify(token, publicKey, {
        algorithms: ['ES256'],
        typ: rules.typ,
        issuer,
        audience,
        requiredClaims: [...rules.requiredClaims],
        clockTolerance: rules.clockToleranceSeconds,
        maxTokenAge: rules.maxTokenAgeSeconds,
        currentDate: new Date(nowMs),
      }).then(
        () => 'accepted',
        () => 'refused',
      );
    const ourVerdict = (token: string) =>
      verifyEs256Jwt(token, keyFor, rules).then(
        () => 'accepted',
        (err: unknown) => (err instanceof JwsInvalid ? 'refused' : `threw ${String(err)}`),
      );

    it.each<[string, Record<string, unknown>, Record<string, unknown>, 'accepted' | 'refused']>([
      ['a valid token', {}, {}, 'accepted'],
      ['typ as a media type, upper case', { typ: 'application/AT+JWT' }, {}, 'accepted'],
      ['no kid', { kid: undefined }, {}, 'accepted'],
      ['aud as an array holding ours', {}, { aud: ['https://other.example', audience] }, 'accepted'],
      ['aud as an array without ours', {}, { aud: ['https://other.example'] }, 'refused'],
      ['another aud', {}, { aud: issuer }, 'refused'],
      ['another iss', {}, { iss: `${issuer}/` }, 'refused'],
      ['no iss', {}, { iss: undefined }, 'refused'],
      ['no jti', {}, { jti: undefined }, 'refused'],
      ['exp within the tolerance', {}, { exp: now - 4 }, 'accepted'],
      ['exp beyond the tolerance', {}, { exp: now - 5 }, 'refused'],
      ['exp as a string', {}, { exp: String(now + 60) }, 'refused'],
      ['nbf in the future', {}, { nbf: now + 6 }, 'refused'],
      ['nbf within the tolerance', {}, { nbf: now + 5 }, 'accepted'],
      ['iat in the future', {}, { iat: now + 6 }, 'refused'],
      ['iat too old', {}, { iat: now - 1806, exp: now + 60 }, 'refused'],
      ['iat as old as allowed', {}, { iat: now - 1805, exp: now + 60 }, 'accepted'],
      ['no iat', {}, { iat: undefined }, 'refused'],
      ['typ JWT', { typ: 'JWT' }, {}, 'refused'],
      ['no typ', { typ: undefined }, {}, 'refused'],
      ['alg none', { alg: 'none' }, {}, 'refused'],
      ['alg HS256', { alg: 'HS256' }, {}, 'refused'],
    ])('should decide as jose: %s', async (_, headerChange, claimsChange, verdict) => {
      const token = await signEs256Jws({ typ: 'at+jwt', kid: 'k1' }, { ...claims, ...claimsChange }, privateKey);
      const [, payload, signature] = token.split('.');
      const header = JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: 'k1', ...headerChange });
      const input = `${Buffer.from(header).toString('base64url')}.${payload}`;
      const resigned = `${input}.${sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
      const sut = Object.keys(headerChange).length ? resigned : token;
      expect(signature).toBeTruthy();
      expect(await joseVerdict(sut)).toBe(verdict);
      expect(await ourVerdict(sut)).toBe(verdict);
    });

    it('should skip only the signature math when told the signature is known good', async () => {
      const forged = await signEs256Jws({ typ: 'at+jwt' }, claims, other.privateKey);
      const known = { signatureKnownGood: true };
      await expect(verifyEs256Jwt(forged, keyFor, rules, known)).resolves.toMatchObject({ payload: claims });
      const expired = await signEs256Jws({ typ: 'at+jwt' }, { ...claims, exp: now - 60 }, privateKey);
      await expect(verifyEs256Jwt(expired, keyFor, rules, known)).rejects.toBeInstanceOf(JwsInvalid);
      const hs256 = await signEs256Jws({ typ: 'at+jwt' }, claims, privateKey).then((t) =>
        t.replace(/^[^.]+/, Buffer.from('{"alg":"HS256","typ":"at+jwt"}').toString('base64url')),
      );
      await expect(verifyEs256Jwt(hs256, keyFor, rules, known)).rejects.toBeInstanceOf(JwsInvalid);
      const keyLookupFails = () => Promise.reject(new Error('unknown kid'));
      await expect(verifyEs256Jwt(forged, keyLookupFails, rules, known)).rejects.toThrow('unknown kid');
    });

    it('should refuse a token signed by another key, and a key that is not a P-256 public key', async () => {
      const forged = await signEs256Jws({ typ: 'at+jwt' }, claims, other.privateKey);
      expect(await ourVerdict(forged)).toBe('refused');
      const token = await signEs256Jws({ typ: 'at+jwt' }, claims, privateKey);
      await expect(verifyEs256Jwt(token, () => privateKey, rules)).rejects.toBeInstanceOf(JwsInvalid);
      const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey;
      await expect(verifyEs256Jwt(token, () => p384, rules)).rejects.toBeInstanceOf(JwsInvalid);
    });

    it('should let the key lookup fail with its own error, and not call it for a malformed token', async () => {
      const token = await signEs256Jws({ typ: 'at+jwt' }, claims, privateKey);
      const unavailable = new Error('keys unavailable');
      await expect(verifyEs256Jwt(token, () => Promise.reject(unavailable), rules)).rejects.toBe(unavailable);
      let looked = 0;
      const counting = () => {
        looked++;
        return publicKey;
      };
      for (const junk of ['', 'a.b.c', 'e30.e30.', `${token}.x`, token.replace(/\.[^.]*$/, '.AAAA')]) {
        await expect(verifyEs256Jwt(junk, counting, rules)).rejects.toBeInstanceOf(JwsInvalid);
      }
      expect(looked).toBe(0);
    });
  });
});
