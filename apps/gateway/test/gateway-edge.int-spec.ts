/**
 * The gateway's HTTP edge, over Fastify's inject: the host API, OAuth and data API guards, body parsing (form
 * duplicates arrive as arrays, any content type reaches the endpoint), the error filter with its challenges, and
 * the revocation set in front of the data API.
 *
 * Real: the GatewayModule on Fastify (createHttpApp, the global ErrorFilter, the body parsers), jose, the
 * in-memory short-lived store. Mocked: the bus (a stub RpcClient answering the subjects the gateway sends).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { accessTokenAudience, HandoverError, StoreKeys, type PublicJwk, type SessionRecord } from '#contracts';
import { createHttpApp } from '#http-edge';
import { createLogger } from '#observability';
import { MemoryShortLivedStore } from '#storage';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { GatewayModule, GatewayOptions } from '../src/index.js';
import { StubBus } from './stub-bus.js';
import { acceptAnyBodyType } from '../src/http/body-types.js';
import { RevocationSet } from '../src/data-api/revocation-set.js';

const BASE = 'http://gateway.test';
const ISSUER = `${BASE}/t/demo`;
const demo = { id: '11111111-1111-4111-8111-111111111111', slug: 'demo', name: 'Demo Bank' };
const userId = '33333333-3333-4333-8333-333333333333';
const accountId = '44444444-4444-4444-8444-444444444444';
const HOST_KEY = 'demo-host-key';
const FORM = 'application/x-www-form-urlencoded';
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

describe('gateway edge', () => {
  let app: NestFastifyApplication;
  let bus: StubBus;
  let store: MemoryShortLivedStore;
  let privateKey: CryptoKey;
  let publicJwk: PublicJwk;

  const inject = (options: {
    method: string;
    url: string;
    headers?: Record<string, string>;
    payload?: string | object;
  }) =>
    app
      .getHttpAdapter()
      .getInstance()
      .inject(options as never);

  const accessToken = (overrides: Record<string, unknown> = {}) =>
    new SignJWT({
      client_id: 'demo-vendor',
      sid: 'S'.repeat(43),
      scope: 'profile accounts',
      ...overrides,
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'key-1' })
      .setIssuer(ISSUER)
      .setAudience(accessTokenAudience(ISSUER))
      .setSubject(userId)
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime('30m')
      .sign(privateKey);

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    privateKey = pair.privateKey;
    publicJwk = { ...((await exportJWK(pair.publicKey)) as PublicJwk), kid: 'key-1', alg: 'ES256', use: 'sig' };
    bus = new StubBus();
    store = new MemoryShortLivedStore();
    app = await createHttpApp(
      GatewayModule.register({
        rpc: bus,
        store,
        options: new GatewayOptions(BASE, 'embedded'),
        healthChecks: {},
      }),
      { app: 'gateway', logger: createLogger('gateway', 'silent'), bodyLimit: 64 * 1024 },
    );
    // configureGateway without the docs page (its static assets load through a dynamic import jest cannot run).
    acceptAnyBodyType(app);
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  afterAll(async () => {
    await app?.close();
    await store?.close();
  });

  beforeEach(() => {
    bus.calls.length = 0;
    bus.handlers = {
      'user-data.tenant.get': (p: { slug: string }) => {
        if (p.slug !== 'demo') throw new HandoverError('not_found', 'no such tenant');
        return demo;
      },
      'user-data.api-key.verify': (p: { key: string }) => {
        if (p.key !== HOST_KEY) throw new HandoverError('unauthorized', 'unknown key');
        return { kind: 'host', tenantId: demo.id, label: 'demo' };
      },
      'token.jwks.get': () => ({ keys: [publicJwk] }),
    };
  });

  describe('OAuth endpoints', () => {
    it('should hand a repeated parameter over as an array and refuse it with invalid_request', async () => {
      const res = await inject({
        method: 'POST',
        url: '/t/demo/oauth/token',
        headers: { 'content-type': FORM, authorization: basic('demo-vendor', 's') },
        payload: 'grant_type=authorization_code&code=a&code=b',
      });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({ error: 'invalid_request', error_description: 'parameter code is repeated' });
      expect(bus.sent('token.code.exchange')).toEqual([]);
    });

    it('should refuse a JSON, XML, text, multipart or untyped body with invalid_request, never 415', async () => {
      for (const [contentType, payload] of [
        ['application/json', '{"grant_type":"authorization_code","code":"c"}'],
        ['application/xml', '<grant_type>authorization_code</grant_type>'],
        ['text/plain', 'grant_type=authorization_code&code=c'],
        ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--'],
        [undefined, 'grant_type=authorization_code&code=c'],
      ] as const) {
        const res = await inject({
          method: 'POST',
          url: '/t/demo/oauth/token',
          headers: contentType ? { 'content-type': contentType } : {},
          payload,
        });
        expect({ contentType, status: res.statusCode, error: res.json().error }).toEqual({
          contentType,
          status: 400,
          error: 'invalid_request',
        });
        expect(res.headers['cache-control']).toBe('no-store');
      }
    });

    it('should refuse a __proto__ parameter with invalid_request', async () => {
      const res = await inject({
        method: 'POST',
        url: '/t/demo/oauth/token',
        headers: { 'content-type': FORM },
        payload: '__proto__=x&grant_type=authorization_code',
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toBe('invalid_request');
    });

    it('should answer GET with 405 and Allow: POST', async () => {
      for (const endpoint of ['token', 'introspect', 'revoke']) {
        const res = await inject({ method: 'GET', url: `/t/demo/oauth/${endpoint}` });
        expect(res.statusCode).toBe(405);
        expect(res.headers.allow).toBe('POST');
        expect(res.json().error).toBe('method_not_allowed');
      }
    });

    it('should mark every answer of the three endpoints no-store + no-cache: success, 4xx, 401 and 405', async () => {
      bus.handlers['token.introspect'] = () => ({ active: false });
      bus.handlers['token.revoke'] = () => undefined;
      const answers = [];
      for (const endpoint of ['token', 'introspect', 'revoke']) {
        answers.push(await inject({ method: 'GET', url: `/t/demo/oauth/${endpoint}` }));
        answers.push(
          await inject({
            method: 'POST',
            url: `/t/demo/oauth/${endpoint}`,
            headers: { 'content-type': FORM },
            payload: 'token=t',
          }),
        );
        answers.push(
          await inject({
            method: 'POST',
            url: `/t/demo/oauth/${endpoint}`,
            headers: { 'content-type': FORM, authorization: basic('demo-vendor', 's') },
            payload: 'token=t&grant_type=implicit',
          }),
        );
      }
      expect(answers.map((r) => r.statusCode)).toEqual([405, 400, 400, 405, 401, 200, 405, 401, 200]);
      for (const res of answers) {
        expect({ cacheControl: res.headers['cache-control'], pragma: res.headers.pragma }).toEqual({
          cacheControl: 'no-store',
          pragma: 'no-cache',
        });
        expect(res.headers['x-request-id']).toBeTruthy();
      }
    });

    it('should answer unsupported grants with unsupported_grant_type, and no-store + no-cache', async () => {
      const res = await inject({
        method: 'POST',
        url: '/t/demo/oauth/token',
        headers: { 'content-type': FORM },
        payload: 'grant_type=password&username=a&password=b',
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toBe('unsupported_grant_type');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers.pragma).toBe('no-cache');
    });

    it('should answer a successful exchange with 200, the token reply, no-store and no-cache', async () => {
      bus.handlers['token.code.exchange'] = () => ({
        access_token: 'at',
        token_type: 'Bearer',
        expires_in: 1800,
        scope: 'profile',
      });
      const res = await inject({
        method: 'POST',
        url: '/t/demo/oauth/token',
        headers: { 'content-type': FORM },
        payload: 'grant_type=authorization_code&code=c0de&client_id=demo-vendor&client_secret=s3cret',
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ access_token: 'at', token_type: 'Bearer', expires_in: 1800, scope: 'profile' });
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers.pragma).toBe('no-cache');
      expect(bus.sent('token.code.exchange')).toEqual([
        {
          tenantId: demo.id,
          issuer: ISSUER,
          clientId: 'demo-vendor',
          clientSecret: 's3cret',
          code: 'c0de',
        },
      ]);
    });

    it('should refuse Basic and post credentials together with invalid_request', async () => {
      const res = await inject({
        method: 'POST',
        url: '/t/demo/oauth/token',
        headers: { 'content-type': FORM, authorization: basic('demo-vendor', 's') },
        payload: 'grant_type=authorization_code&code=c&client_id=demo-vendor&client_secret=s',
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toBe('invalid_request');
    });

    it('should answer invalid_client with 401 and WWW-Authenticate: Basic realm=<issuer>', async () => {
      bus.handlers['token.introspect'] = () => {
        throw new HandoverError('invalid_client', 'client authentication failed');
      };
      const res = await inject({
        method: 'POST',
        url: '/t/demo/oauth/introspect',
        headers: { 'content-type': FORM, authorization: basic('demo-vendor', 'wrong') },
        payload: 'token=t',
      });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ error: 'invalid_client', error_description: 'client authentication failed' });
      expect(res.headers['www-authenticate']).toBe(`Basic realm="${ISSUER}"`);
    });

    it('should answer revocation with 200 and an empty body', async () => {
      bus.handlers['token.revoke'] = () => ({ revoked: false });
      const res = await inject({
        method: 'POST',
        url: '/t/demo/oauth/revoke',
        headers: { 'content-type': FORM, authorization: basic('demo-vendor', 's') },
        payload: 'token=garbage',
      });
      expect(res.statusCode).toBe(200);
      expect(res.body).toBe('');
    });
  });

  describe('host API', () => {
    const createSession = (headers: Record<string, string>, payload: string) =>
      inject({ method: 'POST', url: '/t/demo/api/sessions', headers, payload });
    const json = { 'content-type': 'application/json', authorization: `Bearer ${HOST_KEY}` };

    it('should answer a missing or wrong host key with 401 unauthorized and WWW-Authenticate: Bearer', async () => {
      for (const authorization of [undefined, 'Bearer wrong-key', 'Basic abc', `bearer`]) {
        const res = await createSession(
          { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
          '{"user":"demo"}',
        );
        expect(res.statusCode).toBe(401);
        expect(res.json()).toEqual({ error: 'unauthorized', error_description: 'a valid host API key is required' });
        expect(res.headers['www-authenticate']).toBe('Bearer');
      }
    });

    it("should refuse another tenant's or an admin key", async () => {
      bus.handlers['user-data.api-key.verify'] = () => ({ kind: 'admin', tenantId: null, label: 'admin' });
      const res = await createSession({ ...json, authorization: 'Bearer admin-key' }, '{"user":"demo"}');
      expect(res.statusCode).toBe(401);
    });

    it('should open a session and answer 201 {session_id, user, expires_in}', async () => {
      bus.handlers['user-data.user.resolve'] = () => ({ id: userId, login: 'demo', email: null, name: null });
      bus.handlers['token.session.create'] = () => ({ sessionId: 'S'.repeat(43), expiresIn: 28800 });
      const res = await createSession(json, '{"user":"demo"}');
      expect(res.statusCode).toBe(201);
      expect(res.json()).toEqual({
        session_id: 'S'.repeat(43),
        user: { id: userId, login: 'demo' },
        expires_in: 28800,
      });
    });

    it('should refuse unknown fields, both shapes, a form body and a non-object body with invalid_request', async () => {
      for (const [headers, payload] of [
        [json, '{"user":"demo","admin":true}'],
        [json, '{"user":"demo","login":"demo","password":"demo"}'],
        [json, '{}'],
        [json, '[]'],
        [json, '"demo"'],
        [json, '{"user":42}'],
        [{ ...json, 'content-type': FORM }, 'user=demo'],
        [{ ...json, 'content-type': 'application/xml' }, '<user>demo</user>'],
      ] as const) {
        const res = await createSession(headers, payload);
        expect({ payload, status: res.statusCode, error: res.json().error }).toEqual({
          payload,
          status: 400,
          error: 'invalid_request',
        });
      }
      expect(bus.sent('token.session.create')).toEqual([]);
    });

    it('should end a session with 204, again 204 when repeated', async () => {
      let ended = false;
      bus.handlers['token.session.end'] = () => {
        const first = !ended;
        ended = true;
        return { ended: first };
      };
      for (let i = 0; i < 2; i++) {
        const res = await inject({
          method: 'DELETE',
          url: `/t/demo/api/sessions/${'S'.repeat(43)}`,
          headers: { authorization: `Bearer ${HOST_KEY}` },
        });
        expect(res.statusCode).toBe(204);
        expect(res.body).toBe('');
      }
      expect(bus.sent('token.session.end')).toEqual([
        { tenantId: demo.id, sessionId: 'S'.repeat(43), reason: 'host_logout' },
        { tenantId: demo.id, sessionId: 'S'.repeat(43), reason: 'host_logout' },
      ]);
    });

    it('should name the HTTP request, by the x-request-id it came with, on every bus call it makes', async () => {
      bus.handlers['user-data.api-key.verify'] = () => ({ kind: 'host', tenantId: demo.id, label: 'third' });
      bus.handlers['token.session.end'] = () => ({ ended: true });
      const res = await inject({
        method: 'DELETE',
        url: `/t/demo/api/sessions/${'S'.repeat(43)}`,
        headers: { authorization: 'Bearer third-host-key', 'x-request-id': 'edge-req-1' },
      });
      expect(res.statusCode).toBe(204);
      expect(res.headers['x-request-id']).toBe('edge-req-1');
      expect(bus.calls.map((c) => c.subject)).toEqual(
        expect.arrayContaining(['user-data.api-key.verify', 'token.session.end']),
      );
      expect(bus.calls.map((c) => c.requestId)).toEqual(bus.calls.map(() => 'edge-req-1'));
    });

    it('should issue a code with 201 {code, expires_in, config} and Cache-Control: no-store', async () => {
      bus.handlers['token.code.issue'] = () => ({
        code: 'c0de',
        expiresIn: 30,
        redirectUri: `${BASE}/demo/plugin`,
        config: { theme: 'dark' },
        scope: 'profile',
      });
      const res = await inject({
        method: 'POST',
        url: `/t/demo/api/sessions/${'S'.repeat(43)}/codes`,
        headers: json,
        payload: '{"vendor":"demo-vendor"}',
      });
      expect(res.statusCode).toBe(201);
      expect(res.json()).toEqual({ code: 'c0de', expires_in: 30, config: { theme: 'dark' } });
      expect(res.headers['cache-control']).toBe('no-store');
    });

    it('should verify a host key over the bus once per minute, not per call', async () => {
      bus.handlers['user-data.api-key.verify'] = () => ({ kind: 'host', tenantId: demo.id, label: 'second' });
      bus.handlers['token.session.end'] = () => ({ ended: false });
      for (let i = 0; i < 3; i++) {
        const res = await inject({
          method: 'DELETE',
          url: `/t/demo/api/sessions/${'S'.repeat(43)}`,
          headers: { authorization: 'Bearer second-host-key' },
        });
        expect(res.statusCode).toBe(204);
      }
      expect(bus.sent('user-data.api-key.verify')).toEqual([{ key: 'second-host-key' }]);
    });
  });

  describe('data API', () => {
    const sid = 'S'.repeat(43);
    const session: SessionRecord = {
      sid,
      tenantId: demo.id,
      user: { id: userId, login: 'demo', email: 'demo@example.com', name: 'Demo User' },
      authMethod: 'host',
      createdAt: '2030-01-01T00:00:00.000Z',
      expiresAt: '2030-01-01T08:00:00.000Z',
    };

    beforeEach(async () => {
      await store.put(StoreKeys.session(demo.id, sid), JSON.stringify(session), 3600);
      bus.handlers['user-data.accounts.list'] = () => ({ accounts: [] });
      bus.handlers['user-data.transactions.list'] = () => ({ transactions: [], next_cursor: null });
    });

    const get = (url: string, token?: string, headers: Record<string, string> = {}) =>
      inject({ method: 'GET', url, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });

    it('should answer /me from the token and the live session', async () => {
      const res = await get('/t/demo/api/v1/me', await accessToken());
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({
        sub: userId,
        user: { id: userId, login: 'demo', email: 'demo@example.com', name: 'Demo User' },
        session: { id: sid, auth_method: 'host' },
        client_id: 'demo-vendor',
        vendor_data: {},
      });
      expect(res.headers['cache-control']).toBe('no-store');
    });

    it('should refuse a missing token, or one sent in the query or body, with 401 and the challenge', async () => {
      const token = await accessToken();
      for (const res of [
        await get('/t/demo/api/v1/me'),
        await get(`/t/demo/api/v1/me?access_token=${token}`),
        await inject({
          method: 'GET',
          url: '/t/demo/api/v1/me',
          headers: { 'content-type': FORM },
          payload: `access_token=${token}`,
        }),
        await get('/t/demo/api/v1/me', undefined, { authorization: `Basic ${token}` }),
      ]) {
        expect(res.statusCode).toBe(401);
        expect(res.json().error).toBe('invalid_token');
        expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
      }
    });

    it('should answer a missing scope with 403 insufficient_scope naming it', async () => {
      const res = await get('/t/demo/api/v1/accounts', await accessToken({ scope: 'profile' }));
      expect(res.statusCode).toBe(403);
      expect(res.json().error).toBe('insufficient_scope');
      expect(res.headers['www-authenticate']).toBe('Bearer error="insufficient_scope", scope="accounts"');
    });

    it('should refuse the token at once when its session is logged out, and /me when the session is gone', async () => {
      const token = await accessToken();
      expect((await get('/t/demo/api/v1/accounts', token)).statusCode).toBe(200);
      app.get(RevocationSet).sessionLoggedOut({
        tenantId: demo.id,
        sessionId: sid,
        userId,
        reason: 'host_logout',
        endedAt: new Date().toISOString(),
      });
      expect((await get('/t/demo/api/v1/accounts', token)).statusCode).toBe(401);

      const other = await accessToken({ sid: 'T'.repeat(43) });
      expect((await get('/t/demo/api/v1/me', other)).statusCode).toBe(401);
    });

    it('should read whose data from the token only, ignoring ?user_id= and X-User-Id', async () => {
      const token = await accessToken({ sid: 'U'.repeat(43) });
      const res = await get(`/t/demo/api/v1/accounts?user_id=${accountId}`, token, { 'x-user-id': accountId });
      expect(res.statusCode).toBe(200);
      expect(bus.sent('user-data.accounts.list')).toEqual([{ tenantId: demo.id, userId }]);
    });

    it('should page transactions with a clamped limit, and refuse a bad limit or account id', async () => {
      const token = await accessToken({ sid: 'U'.repeat(43) });
      expect((await get(`/t/demo/api/v1/accounts/${accountId}/transactions?limit=1000`, token)).statusCode).toBe(200);
      expect(bus.sent('user-data.transactions.list')).toEqual([{ tenantId: demo.id, userId, accountId, limit: 100 }]);
      const bad = await get(`/t/demo/api/v1/accounts/${accountId}/transactions?limit=abc`, token);
      expect(bad.statusCode).toBe(400);
      const repeated = await get(`/t/demo/api/v1/accounts/${accountId}/transactions?limit=1&limit=2`, token);
      expect(repeated.statusCode).toBe(400);
      const notUuid = await get('/t/demo/api/v1/accounts/123/transactions', token);
      expect(notUuid.statusCode).toBe(404);
      expect(notUuid.json()).toEqual({ error: 'not_found', error_description: 'no such account' });
    });

    it("should refuse another tenant's token at this tenant's data API", async () => {
      bus.handlers['user-data.tenant.get'] = (p: { slug: string }) =>
        p.slug === 'other' ? { id: '22222222-2222-4222-8222-222222222222', slug: 'other', name: 'Other' } : demo;
      const res = await get('/t/other/api/v1/me', await accessToken({ sid: 'U'.repeat(43) }));
      expect(res.statusCode).toBe(401);
    });
  });

  describe('OpenAPI document', () => {
    it('should document the host API, OAuth and data API with their security schemes', () => {
      const document = SwaggerModule.createDocument(app, new DocumentBuilder().build());
      const operation = (path: string, method: string) =>
        (document.paths[path] as Record<string, { tags?: string[]; security?: unknown[] }>)[method];
      expect(operation('/t/{tenant}/api/sessions', 'post')).toMatchObject({
        tags: ['host-api'],
        security: [{ 'api-key': [] }],
      });
      expect(operation('/t/{tenant}/api/sessions/{sid}', 'delete').tags).toEqual(['host-api']);
      expect(operation('/t/{tenant}/api/sessions/{sid}/codes', 'post').tags).toEqual(['host-api']);
      for (const endpoint of ['token', 'introspect', 'revoke']) {
        expect(operation(`/t/{tenant}/oauth/${endpoint}`, 'post').tags).toEqual(['oauth']);
        expect(document.paths[`/t/{tenant}/oauth/${endpoint}`]).not.toHaveProperty('get');
      }
      for (const path of ['me', 'accounts', 'accounts/{id}/transactions']) {
        expect(operation(`/t/{tenant}/api/v1/${path}`, 'get')).toMatchObject({
          tags: ['data-api'],
          security: [{ 'access-token': [] }],
        });
      }
    });
  });
});
