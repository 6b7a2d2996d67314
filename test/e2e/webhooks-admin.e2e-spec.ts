/**
 * The admin API for webhook endpoints over HTTP, the same in embedded and distributed mode: endpoints of a
 * vendor (the `whsec_` secret shown once, ≥ 24 random bytes, unique per endpoint), list, get, patch, rotate with
 * overlap, delete; the delivery log of a new endpoint (empty) and replay; tenant isolation (an endpoint id under
 * another tenant's path is 404, as a missing one); the rules on URLs (SSRF: link-local, metadata, loopback and
 * private addresses under a `public` tenant), event types and unknown fields; and the OpenAPI document.
 *
 * Real: every app, as built in dist/, as processes; in distributed mode NATS, Redis and PostgreSQL. Mocked: none.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { call, DEMO, serverErrorChecks } from './handover-fixture.js';
import { e2eMode, expectError, startStack, type Stack } from './harness.js';

const mode = e2eMode();
const ADMIN_KEY = 'demo-admin-key';
const suffix = randomBytes(4).toString('hex');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

function admin(base: string, method: string, path: string, body?: unknown, key: string | null = ADMIN_KEY) {
  return call(`${base}/admin/tenants${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(key === null ? {} : { authorization: `Bearer ${key}` }),
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** The random bytes of a `whsec_` secret (Standard Webhooks: base64 after the prefix). */
function secretBytes(secret: unknown): number {
  expect(secret).toEqual(expect.stringMatching(/^whsec_[A-Za-z0-9+/]+={0,2}$/));
  return Buffer.from((secret as string).slice('whsec_'.length), 'base64').length;
}

describe(`admin API: webhook endpoints (${mode} mode)`, () => {
  let stack: Stack;
  let base: string;
  // `loopback`: deliveries may go to 127.0.0.1 (nothing is delivered here: no event happens on these tenants).
  const slug = `hooks-${suffix}`;
  // `public` (the default): the SSRF rules apply in full.
  const publicSlug = `hooks-pub-${suffix}`;
  const url = 'http://127.0.0.1:9/hooks';
  let endpoint: Record<string, unknown>;
  let firstSecret: string;

  const onTenant = (method: string, path: string, body?: unknown, tenant = slug) =>
    admin(base, method, `/${tenant}${path}`, body);

  beforeAll(async () => {
    stack = await startStack();
    base = stack.baseUrl;
    console.log(`${mode} stack ready in ${stack.readyAfterMs} ms at ${base}`);
    const vendor = {
      client_id: 'planner',
      name: 'Planner',
      plugin_urls: ['https://planner.example/plugin'],
      allowed_origins: ['https://planner.example'],
      scopes: ['profile'],
    };
    for (const [tenant, network] of [
      [slug, 'loopback'],
      [publicSlug, undefined],
    ] as const) {
      const created = await admin(base, 'POST', '', { slug: tenant, name: tenant, outbound_network: network });
      expect({ tenant, status: created.status }).toEqual({ tenant, status: 201 });
      expect((await admin(base, 'POST', `/${tenant}/vendors`, vendor)).status).toBe(201);
    }
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    expect(serverErrorChecks()).toBeGreaterThan(0);
  }, 60_000);

  describe('the admin-key door', () => {
    it.each([
      ['no key', null],
      ["a tenant's host key", DEMO.hostKey],
      ['a wrong key', 'nope'],
    ])('should refuse %s on the webhook routes with 401', async (_case, key) => {
      for (const [method, path, body] of [
        ['POST', `/${slug}/vendors/planner/webhooks`, { url }],
        ['GET', `/${slug}/webhooks`, undefined],
        ['GET', `/${slug}/webhooks/00000000-0000-4000-8000-000000000000/messages`, undefined],
      ] as const) {
        const res = await admin(base, method, path, body, key);
        expectError(res, 401, 'unauthorized');
        expect(res.headers.get('www-authenticate')).toBe('Bearer');
      }
    });
  });

  describe('endpoints', () => {
    it('should create an endpoint and show its whsec_ secret once, with Cache-Control: no-store', async () => {
      const res = await onTenant('POST', '/vendors/planner/webhooks', { url, description: 'Planner backend' });

      expect({ status: res.status, text: res.text }).toEqual({ status: 201, text: expect.any(String) });
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.body).toEqual({
        id: expect.stringMatching(UUID),
        vendor: 'planner',
        kind: 'webhook',
        url,
        description: 'Planner backend',
        event_types: ['session.logged_out'],
        enabled: true,
        disabled_reason: null,
        disabled_at: null,
        failing_since: null,
        previous_secret_valid_until: null,
        created_at: expect.stringMatching(ISO),
        updated_at: expect.stringMatching(ISO),
        secret: expect.any(String),
      });
      expect(secretBytes(res.body.secret)).toBeGreaterThanOrEqual(24);
      firstSecret = res.body.secret as string;
      const { secret: _secret, ...view } = res.body;
      endpoint = view;
    });

    it('should give every endpoint a secret of its own', async () => {
      const res = await onTenant('POST', '/vendors/planner/webhooks', {
        url: 'http://127.0.0.1:9/other',
        event_types: ['session.created', 'vendor_data.updated'],
        enabled: false,
      });

      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ event_types: ['session.created', 'vendor_data.updated'], enabled: false });
      expect(secretBytes(res.body.secret)).toBeGreaterThanOrEqual(24);
      expect(res.body.secret).not.toBe(firstSecret);
    });

    it('should register a back-channel logout endpoint, which has no secret', async () => {
      const res = await onTenant('POST', '/vendors/planner/webhooks', {
        url: 'http://127.0.0.1:9/backchannel',
        kind: 'backchannel_logout',
      });

      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ kind: 'backchannel_logout', event_types: ['session.logged_out'], secret: null });
    });

    it("should list the vendor's endpoints and the tenant's, never with a secret", async () => {
      for (const path of ['/vendors/planner/webhooks', '/webhooks']) {
        const res = await onTenant('GET', path);

        expect(res.status).toBe(200);
        const endpoints = res.body.endpoints as Array<Record<string, unknown>>;
        expect(endpoints).toHaveLength(3);
        expect(endpoints).toContainEqual(endpoint);
        expect(res.text).not.toContain('whsec_');
      }
    });

    it('should get one endpoint, without its secret', async () => {
      const res = await onTenant('GET', `/webhooks/${endpoint.id as string}`);

      expect(res.status).toBe(200);
      expect(res.body).toEqual(endpoint);
    });

    it('should patch only the fields given, and disable and re-enable the endpoint', async () => {
      const id = endpoint.id as string;
      const patched = await onTenant('PATCH', `/webhooks/${id}`, {
        event_types: ['session.logged_out', 'session.created'],
        description: 'Planner v2',
      });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({
        url,
        event_types: expect.arrayContaining(['session.logged_out', 'session.created']),
        description: 'Planner v2',
        enabled: true,
      });

      const disabled = await onTenant('PATCH', `/webhooks/${id}`, { enabled: false });
      expect(disabled.body).toMatchObject({
        enabled: false,
        disabled_reason: 'admin',
        disabled_at: expect.stringMatching(ISO),
      });

      const enabled = await onTenant('PATCH', `/webhooks/${id}`, { enabled: true });
      expect(enabled.body).toMatchObject({
        enabled: true,
        disabled_reason: null,
        disabled_at: null,
        failing_since: null,
      });
      expect((await onTenant('GET', `/webhooks/${id}`)).body).toEqual(enabled.body);
    });

    it('should rotate the secret: a new one shown once, the old one signing for the overlap', async () => {
      const id = endpoint.id as string;
      const before = Date.now();
      const res = await onTenant('POST', `/webhooks/${id}/rotate-secret`, { overlap_seconds: 3600 });

      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.body).toEqual({ secret: expect.any(String), previous_secret_valid_until: expect.stringMatching(ISO) });
      expect(secretBytes(res.body.secret)).toBeGreaterThanOrEqual(24);
      expect(res.body.secret).not.toBe(firstSecret);
      const until = Date.parse(res.body.previous_secret_valid_until as string);
      expect(until).toBeGreaterThanOrEqual(before + 3590_000);
      expect(until).toBeLessThanOrEqual(Date.now() + 3610_000);
      const after = await onTenant('GET', `/webhooks/${id}`);
      expect(after.body.previous_secret_valid_until).toBe(res.body.previous_secret_valid_until);
      expect(after.text).not.toContain('whsec_');
    });

    it('should rotate with no body at all (the default overlap)', async () => {
      const res = await call(`${base}/admin/tenants/${slug}/webhooks/${endpoint.id as string}/rotate-secret`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_KEY}` },
      });

      expect(res.status).toBe(200);
      expect(secretBytes(res.body.secret)).toBeGreaterThanOrEqual(24);
    });
  });

  describe('the delivery log', () => {
    it('should show no messages for a new endpoint', async () => {
      const res = await onTenant('GET', `/webhooks/${endpoint.id as string}/messages`);

      expect(res.status).toBe(200);
      expect(res.body).toEqual({ messages: [], next_cursor: null });
      const filtered = await onTenant('GET', `/webhooks/${endpoint.id as string}/messages?status=failed&limit=10`);
      expect(filtered.body).toEqual({ messages: [], next_cursor: null });
    });

    it('should replay an empty time range: nothing replayed', async () => {
      const res = await onTenant('POST', `/webhooks/${endpoint.id as string}/replay`, {
        since: new Date(Date.now() - 3600_000).toISOString(),
        until: new Date().toISOString(),
        only_failed: true,
      });

      expect({ status: res.status, body: res.body }).toEqual({ status: 202, body: { replayed: 0 } });
    });

    it('should answer an unknown message with 404, and its replay too', async () => {
      expectError(await onTenant('GET', '/webhook-messages/msg_doesnotexist0000000000'), 404, 'not_found');
      expectError(await onTenant('POST', '/webhook-messages/msg_doesnotexist0000000000/replay'), 404, 'not_found');
      expectError(await onTenant('GET', '/webhook-messages/not-a-message-id'), 404, 'not_found');
    });

    it.each(['status=lost', 'limit=abc', 'since=yesterday', 'page=2', 'status=failed&status=pending'])(
      'should refuse the query %p with 400',
      async (query) => {
        expectError(
          await onTenant('GET', `/webhooks/${endpoint.id as string}/messages?${query}`),
          400,
          'invalid_request',
        );
      },
    );
  });

  describe('tenant isolation', () => {
    it("should answer the endpoint under another tenant's path with 404, as a missing one", async () => {
      const id = endpoint.id as string;
      for (const [method, path, body] of [
        ['GET', `/webhooks/${id}`, undefined],
        ['PATCH', `/webhooks/${id}`, { enabled: false }],
        ['DELETE', `/webhooks/${id}`, undefined],
        ['POST', `/webhooks/${id}/rotate-secret`, {}],
        ['GET', `/webhooks/${id}/messages`, undefined],
        ['POST', `/webhooks/${id}/replay`, { since: '2020-01-01T00:00:00Z', until: '2100-01-01T00:00:00Z' }],
      ] as const) {
        for (const tenant of [publicSlug, 'demo']) {
          const res = await onTenant(method, path, body, tenant);
          expectError(res, 404, 'not_found');
          // ...exactly as a missing endpoint of that tenant.
          const missing = await onTenant(
            method,
            path.replace(id, '00000000-0000-4000-8000-000000000000'),
            body,
            tenant,
          );
          expect(res.json).toEqual(missing.json);
        }
      }
      // Untouched by all of that.
      expect((await onTenant('GET', `/webhooks/${id}`)).body).toMatchObject({ enabled: true, id });
    });

    it("should not list one tenant's endpoints under another", async () => {
      const res = await onTenant('GET', '/webhooks', undefined, publicSlug);

      expect(res.status).toBe(200);
      expect(res.body.endpoints).toEqual([]);
    });
  });

  describe('validation', () => {
    it.each([
      ['a URL that is not one', { url: 'not a url' }],
      ['a relative URL', { url: '/hooks' }],
      ['an ftp URL', { url: 'ftp://planner.example/hooks' }],
      ['a URL with credentials', { url: 'https://user:pass@planner.example/hooks' }],
      ['a URL with a fragment', { url: 'https://planner.example/hooks#x' }],
      ['the metadata address', { url: 'http://169.254.169.254/latest/meta-data/' }],
      ['a link-local address', { url: 'http://169.254.10.10/hooks' }],
      ['a loopback address', { url: 'http://127.0.0.1:6379/' }],
      ['the IPv6 loopback', { url: 'http://[::1]/hooks' }],
      ['a private address', { url: 'http://10.0.0.5/hooks' }],
      ['an unknown event type', { url: 'https://planner.example/hooks', event_types: ['session.deleted'] }],
      ['no event type', { url: 'https://planner.example/hooks', event_types: [] }],
      ['an unknown kind', { url: 'https://planner.example/hooks', kind: 'email' }],
      [
        'a back-channel logout endpoint for another event',
        { url: 'https://planner.example/bcl', kind: 'backchannel_logout', event_types: ['session.created'] },
      ],
      ['an unknown field', { url: 'https://planner.example/hooks', secret: 'whsec_chosenbyme' }],
      ['a camelCase field', { url: 'https://planner.example/hooks', eventTypes: ['session.created'] }],
      ['a null field', { url: 'https://planner.example/hooks', enabled: null }],
      ['no URL', {}],
      ['an array', [{ url: 'https://planner.example/hooks' }]],
      ['malformed JSON', '{"url": '],
    ])('should refuse %s under a public tenant with 400 invalid_request', async (_case, body) => {
      expectError(await onTenant('POST', '/vendors/planner/webhooks', body, publicSlug), 400, 'invalid_request');
    });

    it('should have created nothing behind the refusals', async () => {
      expect((await onTenant('GET', '/webhooks', undefined, publicSlug)).body.endpoints).toEqual([]);
    });

    it.each([
      ['the metadata address', { url: 'http://169.254.169.254/latest/meta-data/' }],
      ['an unknown field', { url, secret: 'x' }],
      ['an unknown event type', { event_types: ['x'] }],
      ['a kind (it cannot change)', { kind: 'backchannel_logout' }],
    ])('should refuse a patch with %s with 400', async (_case, body) => {
      expectError(await onTenant('PATCH', `/webhooks/${endpoint.id as string}`, body), 400, 'invalid_request');
    });

    it.each([
      ['a negative overlap', { overlap_seconds: -1 }],
      ['an overlap over a week', { overlap_seconds: 8 * 24 * 3600 }],
      ['an unknown field', { overlap: 60 }],
    ])('should refuse a rotation with %s with 400', async (_case, body) => {
      expectError(
        await onTenant('POST', `/webhooks/${endpoint.id as string}/rotate-secret`, body),
        400,
        'invalid_request',
      );
    });

    it('should refuse a range replay without its bounds with 400', async () => {
      expectError(await onTenant('POST', `/webhooks/${endpoint.id as string}/replay`, {}), 400, 'invalid_request');
    });

    it('should answer an unknown tenant, vendor or malformed endpoint id with 404', async () => {
      expectError(await admin(base, 'POST', `/no-such-${suffix}/vendors/planner/webhooks`, { url }), 404, 'not_found');
      expectError(await admin(base, 'GET', `/no-such-${suffix}/webhooks`), 404, 'not_found');
      expectError(await onTenant('POST', '/vendors/nobody/webhooks', { url }), 404, 'not_found');
      expectError(await onTenant('GET', '/vendors/nobody/webhooks'), 404, 'not_found');
      expectError(await onTenant('GET', '/webhooks/not-a-uuid'), 404, 'not_found');
      expectError(await onTenant('DELETE', '/webhooks/not-a-uuid'), 404, 'not_found');
    });

    it('should refuse an unknown outbound_network on a new tenant with 400', async () => {
      expectError(
        await admin(base, 'POST', '', { slug: `n-${suffix}`, name: 'x', outbound_network: 'internet' }),
        400,
        'invalid_request',
      );
    });
  });

  describe('deletion', () => {
    it('should delete the endpoint with 204; then it is gone (404), and a second delete is 404', async () => {
      const id = endpoint.id as string;
      const res = await onTenant('DELETE', `/webhooks/${id}`);

      expect({ status: res.status, text: res.text }).toEqual({ status: 204, text: '' });
      expectError(await onTenant('GET', `/webhooks/${id}`), 404, 'not_found');
      expectError(await onTenant('GET', `/webhooks/${id}/messages`), 404, 'not_found');
      expectError(await onTenant('DELETE', `/webhooks/${id}`), 404, 'not_found');
      const listed = (await onTenant('GET', '/webhooks')).body.endpoints as Array<{ id: string }>;
      expect(listed.map((e) => e.id)).not.toContain(id);
      expect(listed).toHaveLength(2);
    });
  });

  it('should describe the webhook routes in the OpenAPI document', async () => {
    const res = await call(`${base}/openapi.json`);
    const paths = res.body.paths as Record<string, Record<string, { tags?: string[]; security?: unknown[] }>>;

    for (const [path, methods] of [
      ['/admin/tenants/{tenant}/vendors/{vendor}/webhooks', ['post', 'get']],
      ['/admin/tenants/{tenant}/webhooks', ['get']],
      ['/admin/tenants/{tenant}/webhooks/{endpoint_id}', ['get', 'patch', 'delete']],
      ['/admin/tenants/{tenant}/webhooks/{endpoint_id}/rotate-secret', ['post']],
      ['/admin/tenants/{tenant}/webhooks/{endpoint_id}/messages', ['get']],
      ['/admin/tenants/{tenant}/webhooks/{endpoint_id}/replay', ['post']],
      ['/admin/tenants/{tenant}/webhook-messages/{message_id}', ['get']],
      ['/admin/tenants/{tenant}/webhook-messages/{message_id}/replay', ['post']],
    ] as const) {
      for (const method of methods) {
        expect({ path, method, tags: paths[path]?.[method]?.tags }).toEqual({ path, method, tags: ['admin-api'] });
        expect(paths[path]?.[method]?.security).toEqual([{ 'api-key': [] }]);
      }
    }
  });
});
