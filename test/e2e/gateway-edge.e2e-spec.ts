/**
 * The gateway's new doors, black box and the same in both modes, without a code or token of the token app:
 * the host API refuses a request without its key, the OAuth endpoints refuse malformed requests with RFC 6749
 * §5.2 errors and no-store, the data API refuses a missing, misplaced or forged access token with the RFC 6750
 * challenge, and the OpenAPI document lists all three. The full handover is in the flow suite.
 *
 * Real: every app, as built in dist/, as processes; in distributed mode NATS, Redis and PostgreSQL. Mocked: none.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { generateKeyPair, SignJWT } from 'jose';
import { e2eMode, expectError, http, startStack, type Stack } from './harness.js';

const mode = e2eMode();
const FORM = 'application/x-www-form-urlencoded';

describe(`gateway edge (${mode} mode)`, () => {
  let stack: Stack;
  let base: string;

  beforeAll(async () => {
    stack = await startStack();
    base = stack.baseUrl;
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  }, 60_000);

  it('is ready once its revocation list is loaded', async () => {
    const ready = await http(`${base}/health/ready`);
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toMatchObject({ revocations: 'up' });
    if (mode === 'distributed') expect(ready.body.checks).toMatchObject({ redis: 'up' });
  });

  describe('host API', () => {
    it('refuses a request without a host key with 401 unauthorized and a Bearer challenge', async () => {
      const res = await http(`${base}/t/demo/api/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user: 'demo' }),
      });
      expectError(res, 401, 'unauthorized');
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
    });
  });

  describe('OAuth endpoints', () => {
    const token = (body: string, contentType = FORM) =>
      http(`${base}/t/demo/oauth/token`, { method: 'POST', headers: { 'content-type': contentType }, body });

    it('answers GET with 405', async () => {
      const res = await http(`${base}/t/demo/oauth/token`);
      expectError(res, 405, 'method_not_allowed');
      expect(res.headers.get('allow')).toBe('POST');
    });

    it('refuses a JSON body, a repeated parameter and a missing grant_type with invalid_request', async () => {
      for (const res of [
        await token(JSON.stringify({ grant_type: 'authorization_code', code: 'c' }), 'application/json'),
        await token('grant_type=authorization_code&code=a&code=b'),
        await token('code=c'),
        await token('grant_type=authorization_code', 'application/xml'),
      ]) {
        expectError(res, 400, 'invalid_request');
        expect(res.headers.get('pragma')).toBe('no-cache');
      }
    });

    it('refuses other grants with unsupported_grant_type', async () => {
      expectError(await token('grant_type=password&username=demo&password=demo'), 400, 'unsupported_grant_type');
    });

    it('requires client authentication at introspection', async () => {
      const res = await http(`${base}/t/demo/oauth/introspect`, {
        method: 'POST',
        headers: { 'content-type': FORM },
        body: 'token=anything',
      });
      expectError(res, 401, 'invalid_client');
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="/);
    });
  });

  describe('data API', () => {
    const me = (headers: Record<string, string> = {}, query = '') =>
      http(`${base}/t/demo/api/v1/me${query}`, { headers });

    const expectInvalidToken = (res: Awaited<ReturnType<typeof me>>) => {
      expectError(res, 401, 'invalid_token');
      expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    };

    it('refuses a missing token, and a token sent in the query', async () => {
      expectInvalidToken(await me());
      expectInvalidToken(await me({}, '?access_token=abc.def.ghi'));
    });

    it('refuses a forged at+jwt signed by another key, and garbage', async () => {
      const issuer = `${base}/t/demo`;
      const { privateKey } = await generateKeyPair('ES256');
      const forged = await new SignJWT({ client_id: 'demo-vendor', sid: 'S'.repeat(43), scope: 'profile' })
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'attacker' })
        .setIssuer(issuer)
        .setAudience(`${issuer}/api/v1`)
        .setSubject(randomUUID())
        .setJti(randomUUID())
        .setIssuedAt()
        .setExpirationTime('30m')
        .sign(privateKey);
      expectInvalidToken(await me({ authorization: `Bearer ${forged}` }));
      expectInvalidToken(await me({ authorization: 'Bearer junk' }));
    });
  });

  it('documents the host API, OAuth and data API in the OpenAPI document', async () => {
    const doc = await http(`${base}/openapi.json`);
    expect(Object.keys(doc.body.paths as object)).toEqual(
      expect.arrayContaining([
        '/t/{tenant}/api/sessions',
        '/t/{tenant}/api/sessions/{sid}',
        '/t/{tenant}/api/sessions/{sid}/codes',
        '/t/{tenant}/oauth/token',
        '/t/{tenant}/oauth/introspect',
        '/t/{tenant}/oauth/revoke',
        '/t/{tenant}/api/v1/me',
        '/t/{tenant}/api/v1/accounts',
        '/t/{tenant}/api/v1/accounts/{id}/transactions',
      ]),
    );
  });
});
