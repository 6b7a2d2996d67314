/**
 * The minimal admin API over HTTP, the same in embedded and distributed mode: the admin-key door, tenants (host
 * key shown once), vendors (client secret shown once), users, the rules on a vendor's URLs, origins and scopes,
 * `409 conflict` for a taken slug or client id, and then a whole handover on the tenant, vendor and user made
 * through the API alone (session → code → token → `/me`), isolated from the demo tenant.
 *
 * Real: every app, as built in dist/, as processes; in distributed mode NATS, Redis and PostgreSQL. Mocked: none.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import {
  call,
  dataApi,
  DEMO,
  exchange,
  issueCode,
  openUserSession,
  serverErrorChecks,
  type Response,
  type Tenant,
  type Vendor,
} from './handover-fixture.js';
import { e2eMode, expectError, startStack, type Stack } from './harness.js';

const mode = e2eMode();
const ADMIN_KEY = 'demo-admin-key';
const suffix = randomBytes(4).toString('hex');

function adminPost(base: string, path: string, body: unknown, key: string | null = ADMIN_KEY): Promise<Response> {
  return call(`${base}/admin/tenants${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key === null ? {} : { authorization: `Bearer ${key}` }) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const vendorBody = (over: Record<string, unknown> = {}) => ({
  client_id: 'budget-planner',
  name: 'Budget Planner',
  plugin_urls: ['https://planner.example/plugin'],
  redirect_uris: ['https://planner.example/callback'],
  allowed_origins: ['https://planner.example'],
  config: { theme: 'dark' },
  scopes: ['profile', 'accounts'],
  ...over,
});

function expectUnauthorized(res: Response) {
  expectError(res, 401, 'unauthorized');
  expect(res.headers.get('www-authenticate')).toBe('Bearer');
}

describe(`admin API (${mode} mode)`, () => {
  let stack: Stack;
  let base: string;
  const slug = `acme-${suffix}`;
  let tenant: Tenant & { id: string };
  let vendor: Vendor;

  beforeAll(async () => {
    stack = await startStack();
    base = stack.baseUrl;
    console.log(`${mode} stack ready in ${stack.readyAfterMs} ms at ${base}`);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    expect(serverErrorChecks()).toBeGreaterThan(0);
  }, 60_000);

  describe('the admin-key door', () => {
    it.each([
      ['no Authorization header', null, {}],
      ['a wrong key', 'not-the-admin-key', {}],
      ["a tenant's host key", DEMO.hostKey, {}],
      ['an empty Bearer', '', {}],
      [
        'a Basic header',
        undefined,
        { authorization: `Basic ${Buffer.from('admin:demo-admin-key').toString('base64')}` },
      ],
    ])('should refuse %s on every admin route with 401 and a Bearer challenge', async (_case, key, headers) => {
      for (const path of ['', '/demo/vendors', '/demo/users']) {
        const res = await call(`${base}/admin/tenants${path}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(key === null || key === undefined ? {} : { authorization: `Bearer ${key}` }),
            ...headers,
          },
          body: JSON.stringify(path === '' ? { slug: `never-${suffix}`, name: 'Never' } : vendorBody()),
        });
        expectUnauthorized(res);
      }
      // Nothing was created behind the refusals.
      expectError(await call(`${base}/t/never-${suffix}/jwks`), 404, 'not_found');
    });
  });

  describe('tenants', () => {
    it('should create a tenant and show its host key once, with Cache-Control: no-store', async () => {
      const res = await adminPost(base, '', { slug, name: 'Acme Bank' });

      expect({ status: res.status, text: res.text }).toEqual({ status: 201, text: expect.any(String) });
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        slug,
        name: 'Acme Bank',
        issuer: `${base}/t/${slug}`,
        host_key: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      });
      tenant = { id: res.body.id as string, slug, hostKey: res.body.host_key as string, user: 'erin' };
    });

    it('should serve the new tenant at once: discovery names the issuer the admin API gave', async () => {
      const res = await call(`${base}/t/${slug}/.well-known/oauth-authorization-server`);

      expect(res.status).toBe(200);
      expect(res.body.issuer).toBe(`${base}/t/${slug}`);
    });

    it('should answer a taken slug with 409 conflict, and never show the host key again', async () => {
      const res = await adminPost(base, '', { slug, name: 'Acme again' });

      expectError(res, 409, 'conflict');
      expect(res.text).not.toContain(tenant.hostKey);
      expectError(await adminPost(base, '', { slug: 'demo', name: 'Demo again' }), 409, 'conflict');
    });

    it.each([
      ['an upper-case slug', { slug: 'Acme', name: 'x' }],
      ['a slug with a slash', { slug: 'a/b', name: 'x' }],
      ['a slug ending in a hyphen', { slug: 'acme-', name: 'x' }],
      ['no name', { slug: `n-${suffix}` }],
      ['an empty name', { slug: `n-${suffix}`, name: '' }],
      ['an unknown field', { slug: `n-${suffix}`, name: 'x', host_key: 'chosen' }],
      ['an array', [{ slug: `n-${suffix}`, name: 'x' }]],
      ['malformed JSON', '{"slug": '],
    ])('should refuse %s with 400 invalid_request', async (_case, body) => {
      expectError(await adminPost(base, '', body), 400, 'invalid_request');
    });

    it('should refuse a body that is not JSON with 400 invalid_request', async () => {
      const res = await call(`${base}/admin/tenants`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: `slug=n-${suffix}&name=x`,
      });

      expectError(res, 400, 'invalid_request');
    });
  });

  describe('vendors', () => {
    it('should register a vendor and show its client secret once, with Cache-Control: no-store', async () => {
      const res = await adminPost(base, `/${slug}/vendors`, vendorBody());

      expect({ status: res.status, text: res.text }).toEqual({ status: 201, text: expect.any(String) });
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.body).toEqual({
        client_id: 'budget-planner',
        client_secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      });
      vendor = {
        clientId: 'budget-planner',
        secret: res.body.client_secret as string,
        pluginUrl: 'https://planner.example/plugin',
        redirectUri: 'https://planner.example/callback',
      };
    });

    it('should answer a client id taken in the tenant with 409 conflict, and never show the secret again', async () => {
      const res = await adminPost(base, `/${slug}/vendors`, vendorBody({ name: 'Another planner' }));

      expectError(res, 409, 'conflict');
      expect(res.text).not.toContain(vendor.secret);
    });

    it("should allow a client id another tenant uses (client ids are per tenant): the demo's", async () => {
      const res = await adminPost(base, `/${slug}/vendors`, vendorBody({ client_id: DEMO.vendor }));

      expect(res.status).toBe(201);
    });

    it('should answer an unknown tenant with 404 not_found', async () => {
      expectError(await adminPost(base, `/no-such-${suffix}/vendors`, vendorBody()), 404, 'not_found');
      expectError(await adminPost(base, `/No_Such/vendors`, vendorBody()), 404, 'not_found');
    });

    it.each([
      ['no plugin URL', { plugin_urls: [] }],
      ['a relative plugin URL', { plugin_urls: ['/plugin'] }],
      ['a plugin URL with a fragment', { plugin_urls: ['https://planner.example/plugin#top'] }],
      ['a plugin URL with credentials', { plugin_urls: ['https://u:p@planner.example/plugin'] }],
      ['a plain-http plugin URL off loopback', { plugin_urls: ['http://planner.example/plugin'] }],
      ['a javascript: plugin URL', { plugin_urls: ['javascript:alert(1)'] }],
      ["a plugin URL whose origin isn't allowed", { plugin_urls: ['https://elsewhere.example/plugin'] }],
      ['a redirect URI with a fragment', { redirect_uris: ['https://planner.example/cb#x'] }],
      ['a plain-http redirect URI off loopback', { redirect_uris: ['http://planner.example/cb'] }],
      ['an origin with a path', { allowed_origins: ['https://planner.example/'] }],
      ['an origin with the default port', { allowed_origins: ['https://planner.example:443'] }],
      ['a wildcard origin', { allowed_origins: ['*'] }],
      ['no origin', { allowed_origins: [] }],
      ['an unknown scope', { scopes: ['profile', 'admin'] }],
      ['no scope', { scopes: [] }],
      ['a scope string instead of a list', { scopes: 'profile accounts' }],
      ['a bad client id', { client_id: 'has space' }],
      ['an unknown launch mode', { launch_mode: 'popup' }],
      ['a non-boolean pkce_required', { pkce_required: 'yes' }],
      ['a config that is a list', { config: ['a'] }],
      ['an unknown field', { client_secret: 'chosen' }],
      ['a camelCase field', { pluginUrls: ['https://planner.example/plugin'] }],
    ])('should refuse %s with 400 invalid_request', async (_case, over) => {
      const res = await adminPost(base, `/${slug}/vendors`, vendorBody({ client_id: `v-${suffix}`, ...over }));

      expectError(res, 400, 'invalid_request');
    });

    it('should have created nothing behind the refusals', async () => {
      const res = await adminPost(base, `/${slug}/vendors`, vendorBody({ client_id: `v-${suffix}` }));

      expect(res.status).toBe(201);
    });
  });

  describe('a whole handover on the new tenant', () => {
    let userId: string;

    it('should create a user of the tenant (and 409 for a taken login)', async () => {
      const res = await adminPost(base, `/${slug}/users`, {
        login: 'erin',
        email: 'erin@example.com',
        name: 'Erin Example',
        password: 'correct horse',
      });

      expect({ status: res.status, text: res.text }).toEqual({ status: 201, text: expect.any(String) });
      expect(res.body).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), login: 'erin' });
      expect(res.text).not.toContain('correct horse');
      userId = res.body.id as string;
      expectError(await adminPost(base, `/${slug}/users`, { login: 'erin' }), 409, 'conflict');
      expectError(await adminPost(base, `/${slug}/users`, { login: 'x', role: 'admin' }), 400, 'invalid_request');
    });

    it('should refuse the demo host key, and the new host key on the demo tenant', async () => {
      const path = (t: string) => `${base}/t/${t}/api/sessions`;
      const post = (t: string, key: string) =>
        call(path(t), {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ user: 'erin' }),
        });

      expectUnauthorized(await post(slug, DEMO.hostKey));
      expectUnauthorized(await post('demo', tenant.hostKey));
    });

    it('should hand the user over: session → code → token (the new secret) → /me, isolated from demo', async () => {
      const session = await openUserSession(base, tenant, { user: 'erin' });
      expect(session.userId).toBe(userId);

      const code = await issueCode(base, session.sid, vendor, {}, tenant);
      const token = await exchange(base, vendor, code, {}, { tenant: slug });
      expect({ status: token.status, text: token.text }).toEqual({ status: 200, text: expect.any(String) });
      expect(token.body).toMatchObject({ token_type: 'Bearer', expires_in: 1800, scope: 'profile accounts' });
      const accessToken = token.body.access_token as string;

      const me = await dataApi(base, accessToken, '/me', { tenant: slug });
      expect(me.status).toBe(200);
      expect(me.body.user).toEqual({ id: userId, login: 'erin', email: 'erin@example.com', name: 'Erin Example' });

      const accounts = await dataApi(base, accessToken, '/accounts', { tenant: slug });
      expect(accounts.status).toBe(200);
      expect(accounts.body.accounts).toEqual([]);

      // Tenant isolation: the new tenant's token is nothing at the demo tenant.
      const elsewhere = await dataApi(base, accessToken, '/me', { tenant: 'demo' });
      expectError(elsewhere, 401, 'invalid_token');
    });

    it('should authenticate the user by the password the admin API set', async () => {
      const session = await openUserSession(base, tenant, { login: 'erin', password: 'correct horse' });
      expect(session.userId).toBe(userId);
      const wrong = await call(`${base}/t/${slug}/api/sessions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tenant.hostKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ login: 'erin', password: 'wrong horse' }),
      });
      expect(wrong.status).toBe(401);
    });

    it("should refuse the code exchange with a wrong secret, and the demo vendor's secret", async () => {
      const { sid } = await openUserSession(base, tenant, { user: 'erin' });
      const code = await issueCode(base, sid, vendor, {}, tenant);

      expectError(
        await exchange(base, { ...vendor, secret: 'wrong' }, code, {}, { tenant: slug }),
        401,
        'invalid_client',
      );
      const demoVendor = { clientId: DEMO.vendor, secret: DEMO.vendorSecret };
      const demoCode = await issueCode(base, sid, demoVendor, {}, tenant);
      expectError(await exchange(base, demoVendor, demoCode, {}, { tenant: slug }), 401, 'invalid_client');
      // The failed authentication did not burn the code.
      expect((await exchange(base, vendor, code, {}, { tenant: slug })).status).toBe(200);
    });
  });

  it('should describe the admin API in the OpenAPI document', async () => {
    const res = await call(`${base}/openapi.json`);
    const paths = res.body.paths as Record<string, Record<string, { tags?: string[]; security?: unknown[] }>>;

    for (const path of ['/admin/tenants', '/admin/tenants/{tenant}/vendors', '/admin/tenants/{tenant}/users']) {
      expect(paths[path]?.post?.tags).toEqual(['admin-api']);
      expect(paths[path]?.post?.security).toEqual([{ 'api-key': [] }]);
    }
  });
});
