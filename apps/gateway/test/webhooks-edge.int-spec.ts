/**
 * The gateway's webhook edges over Fastify's inject: the admin API for webhook endpoints (admin-key door, status
 * codes, strict bodies and query, malformed ids answered 404 without a bus call, the mapping to the bus contract,
 * the OpenAPI document) and the demo vendor's webhook receiver (Standard Webhooks verified over the raw bytes
 * Fastify received, tampered or re-serialized bodies refused, the inbox shown).
 *
 * Real: the GatewayModule with the demo on, on Fastify (createHttpApp, the global ErrorFilter, the body parsers
 * and the raw-body hook), the `standardwebhooks` library, the in-memory short-lived store. Mocked: the bus (a stub
 * RpcClient answering the subjects the gateway sends, as the webhooks and user-data apps would).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Webhook } from 'standardwebhooks';
import { DEMO_WEBHOOK_SECRET, HandoverError, type EndpointView } from '#contracts';
import { createHttpApp } from '#http-edge';
import { createLogger } from '#observability';
import { MemoryShortLivedStore } from '#storage';
import { GatewayModule, GatewayOptions } from '../src/index.js';
import { StubBus } from './stub-bus.js';
import { acceptAnyBodyType } from '../src/http/body-types.js';
import { keepRawBodies } from '../src/http/raw-body.js';

const BASE = 'http://gateway.test';
const demo = {
  id: '11111111-1111-4111-8111-111111111111',
  slug: 'demo',
  name: 'Demo Bank',
  outboundNetwork: 'loopback',
};
const ADMIN_KEY = 'admin-key';
const endpointId = '22222222-2222-4222-8222-222222222222';
const messageId = 'msg_0123456789abcdefghijkl';
const JSON_TYPE = 'application/json';

const view: EndpointView = {
  id: endpointId,
  vendor: 'demo-vendor',
  kind: 'webhook',
  url: 'https://planner.example/hooks',
  description: null,
  eventTypes: ['session.logged_out'],
  enabled: true,
  disabledReason: null,
  disabledAt: null,
  failingSince: null,
  previousSecretValidUntil: null,
  createdAt: '2030-01-01T00:00:00.000Z',
  updatedAt: '2030-01-01T00:00:00.000Z',
};

describe('gateway webhook edges', () => {
  let app: NestFastifyApplication;
  let bus: StubBus;
  let store: MemoryShortLivedStore;

  const inject = (options: { method: string; url: string; headers?: Record<string, string>; payload?: string }) =>
    app
      .getHttpAdapter()
      .getInstance()
      .inject(options as never);

  const admin = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    inject({
      method,
      url: `/admin/tenants/demo${path}`,
      headers: {
        authorization: `Bearer ${ADMIN_KEY}`,
        ...(body === undefined ? {} : { 'content-type': JSON_TYPE }),
        ...headers,
      },
      payload: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });

  beforeAll(async () => {
    bus = new StubBus();
    store = new MemoryShortLivedStore();
    app = await createHttpApp(
      GatewayModule.register({
        rpc: bus,
        store,
        options: new GatewayOptions(BASE, 'embedded', true),
        healthChecks: {},
      }),
      { app: 'gateway', logger: createLogger('gateway', 'silent'), bodyLimit: 4 * 1024 },
    );
    // configureGateway's body handling, without the docs page (its assets load through a dynamic import jest
    // cannot run) nor cookies (no route here reads one).
    acceptAnyBodyType(app);
    keepRawBodies(app);
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
        if (p.key !== ADMIN_KEY) throw new HandoverError('unauthorized', 'unknown key');
        return { kind: 'admin', tenantId: null, label: 'ops' };
      },
      'user-data.vendor.get': (p: { clientId: string }) => {
        if (p.clientId !== 'demo-vendor') throw new HandoverError('not_found', 'no such vendor');
        return { clientId: 'demo-vendor' };
      },
      'webhooks.endpoint.create': () => ({ ...view, secret: `whsec_${'A'.repeat(43)}=` }),
      'webhooks.endpoint.list': () => ({ endpoints: [view] }),
      'webhooks.endpoint.get': () => view,
      'webhooks.endpoint.update': () => view,
      'webhooks.endpoint.delete': () => ({ deleted: true }),
      'webhooks.endpoint.rotate-secret': () => ({ secret: `whsec_${'B'.repeat(43)}=`, previousSecretValidUntil: null }),
      'webhooks.message.list': () => ({ messages: [], nextCursor: null }),
      'webhooks.message.replay': () => ({ replayed: 1 }),
      'webhooks.message.replay-range': () => ({ replayed: 0 }),
    };
  });

  describe('admin API for webhook endpoints', () => {
    it('should refuse a request without the admin key with 401 before reading the body', async () => {
      const res = await inject({
        method: 'POST',
        url: '/admin/tenants/demo/vendors/demo-vendor/webhooks',
        headers: { 'content-type': JSON_TYPE },
        payload: '{"url": 1}',
      });

      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ error: 'unauthorized', error_description: 'a valid admin API key is required' });
      expect(res.headers['www-authenticate']).toBe('Bearer');
    });

    it('should create an endpoint: 201, no-store, snake_case, the tenant slug and id on the bus', async () => {
      const res = await admin('POST', '/vendors/demo-vendor/webhooks', {
        url: 'https://planner.example/hooks',
        event_types: ['session.logged_out', 'session.created'],
      });

      expect(res.statusCode).toBe(201);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.json()).toMatchObject({ id: endpointId, event_types: ['session.logged_out'], secret: /^whsec_/ });
      expect(bus.sent('webhooks.endpoint.create')).toEqual([
        {
          tenantId: demo.id,
          tenantSlug: 'demo',
          vendor: 'demo-vendor',
          kind: 'webhook',
          url: 'https://planner.example/hooks',
          eventTypes: ['session.logged_out', 'session.created'],
        },
      ]);
    });

    it.each([
      ['an unknown field', { url: 'https://x.example', secret: 'whsec_mine' }],
      ['an unknown event type', { url: 'https://x.example', event_types: ['user.deleted'] }],
      ['a null field', { url: 'https://x.example', description: null }],
      ['malformed JSON', '{"url": '],
      ['a JSON array', '[]'],
    ])('should refuse %s with 400 invalid_request, without a bus call to webhooks', async (_case, body) => {
      const res = await admin('POST', '/vendors/demo-vendor/webhooks', body);

      expect(res.statusCode).toBe(400);
      expect(res.json().error).toBe('invalid_request');
      expect(bus.sent('webhooks.endpoint.create')).toEqual([]);
    });

    it('should answer an unknown vendor, and a malformed one, with 404', async () => {
      for (const vendor of ['nobody', 'has%20space']) {
        const res = await admin('POST', `/vendors/${vendor}/webhooks`, { url: 'https://x.example' });
        expect({ vendor, status: res.statusCode, error: res.json().error }).toEqual({
          vendor,
          status: 404,
          error: 'not_found',
        });
      }
      expect(bus.sent('webhooks.endpoint.create')).toEqual([]);
    });

    it('should list, get, patch and delete with the right statuses', async () => {
      expect((await admin('GET', '/webhooks')).json()).toEqual({
        endpoints: [expect.objectContaining({ id: endpointId })],
      });
      expect((await admin('GET', '/vendors/demo-vendor/webhooks')).statusCode).toBe(200);
      expect((await admin('GET', `/webhooks/${endpointId}`)).json()).toMatchObject({ id: endpointId, enabled: true });
      expect((await admin('PATCH', `/webhooks/${endpointId}`, { enabled: false })).statusCode).toBe(200);
      const deleted = await admin('DELETE', `/webhooks/${endpointId}`);
      expect({ status: deleted.statusCode, body: deleted.body }).toEqual({ status: 204, body: '' });
      expect(bus.sent('webhooks.endpoint.list')).toEqual([
        { tenantId: demo.id },
        { tenantId: demo.id, vendor: 'demo-vendor' },
      ]);
    });

    it('should answer a malformed endpoint or message id with 404 on every route, without asking webhooks', async () => {
      for (const [method, path] of [
        ['GET', '/webhooks/not-a-uuid'],
        ['PATCH', '/webhooks/not-a-uuid'],
        ['DELETE', '/webhooks/not-a-uuid'],
        ['POST', '/webhooks/not-a-uuid/rotate-secret'],
        ['GET', '/webhooks/not-a-uuid/messages'],
        ['POST', '/webhook-messages/not-a-message/replay'],
        ['GET', '/webhook-messages/not-a-message'],
      ]) {
        const res = await admin(method, path, method === 'PATCH' ? {} : undefined);
        expect({ method, path, status: res.statusCode, error: res.json().error }).toEqual({
          method,
          path,
          status: 404,
          error: 'not_found',
        });
      }
      expect(bus.calls.filter((c) => c.subject.startsWith('webhooks.'))).toEqual([]);
    });

    it('should rotate with no body at all, with {}, or with an overlap; refuse another body type', async () => {
      expect((await admin('POST', `/webhooks/${endpointId}/rotate-secret`)).statusCode).toBe(200);
      expect((await admin('POST', `/webhooks/${endpointId}/rotate-secret`, {})).statusCode).toBe(200);
      const rotated = await admin('POST', `/webhooks/${endpointId}/rotate-secret`, { overlap_seconds: 60 });
      expect(rotated.json()).toEqual({ secret: `whsec_${'B'.repeat(43)}=`, previous_secret_valid_until: null });
      expect(bus.sent('webhooks.endpoint.rotate-secret')).toEqual([
        { tenantId: demo.id, endpointId },
        { tenantId: demo.id, endpointId },
        { tenantId: demo.id, endpointId, overlapSeconds: 60 },
      ]);
      const form = await admin('POST', `/webhooks/${endpointId}/rotate-secret`, undefined, {
        'content-type': 'application/x-www-form-urlencoded',
      });
      expect(form.statusCode).toBe(200); // no bytes sent: nothing to refuse
      const text = await inject({
        method: 'POST',
        url: `/admin/tenants/demo/webhooks/${endpointId}/rotate-secret`,
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'text/plain' },
        payload: 'overlap_seconds=60',
      });
      expect(text.statusCode).toBe(400);
      expect((await admin('POST', `/webhooks/${endpointId}/rotate-secret`, { overlap_seconds: -1 })).statusCode).toBe(
        400,
      );
    });

    it('should validate the delivery log query strictly and map it', async () => {
      const ok = await admin('GET', `/webhooks/${endpointId}/messages?status=failed&limit=500&since=2030-01-01`);
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toEqual({ messages: [], next_cursor: null });
      expect(bus.sent('webhooks.message.list')).toEqual([
        { tenantId: demo.id, endpointId, status: 'failed', limit: 200, since: '2030-01-01' },
      ]);
      for (const query of [
        'status=lost',
        'status=failed&status=pending',
        'limit=abc',
        'limit=0',
        'page=2',
        'since=x',
      ]) {
        const res = await admin('GET', `/webhooks/${endpointId}/messages?${query}`);
        expect({ query, status: res.statusCode, error: res.json().error }).toEqual({
          query,
          status: 400,
          error: 'invalid_request',
        });
      }
    });

    it('should replay a range and one message with 202', async () => {
      const range = await admin('POST', `/webhooks/${endpointId}/replay`, {
        since: '2030-01-01T00:00:00Z',
        until: '2030-01-02T00:00:00Z',
      });
      expect({ status: range.statusCode, body: range.json() }).toEqual({ status: 202, body: { replayed: 0 } });
      const one = await admin('POST', `/webhook-messages/${messageId}/replay`);
      expect({ status: one.statusCode, body: one.json() }).toEqual({ status: 202, body: { replayed: 1 } });
      expect((await admin('POST', `/webhook-messages/${messageId}/replay`, {})).statusCode).toBe(202);
      expect((await admin('POST', `/webhook-messages/${messageId}/replay`, { force: true })).statusCode).toBe(400);
      expect(bus.sent('webhooks.message.replay')).toEqual([
        { tenantId: demo.id, messageId },
        { tenantId: demo.id, messageId },
      ]);
    });

    it('should answer 503 while the webhooks app is unreachable', async () => {
      delete bus.handlers['webhooks.endpoint.get'];

      const res = await admin('GET', `/webhooks/${endpointId}`);

      expect(res.statusCode).toBe(503);
      expect(res.json().error).toBe('temporarily_unavailable');
    });

    it('should pass outbound_network on when creating a tenant', async () => {
      bus.handlers['user-data.tenant.create'] = () => ({ id: demo.id, slug: 'acme', name: 'Acme', hostKey: 'hk' });
      const res = await inject({
        method: 'POST',
        url: '/admin/tenants',
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': JSON_TYPE },
        payload: JSON.stringify({ slug: 'acme', name: 'Acme', outbound_network: 'loopback' }),
      });

      expect(res.statusCode).toBe(201);
      expect(bus.sent('user-data.tenant.create')).toEqual([
        { slug: 'acme', name: 'Acme', outboundNetwork: 'loopback' },
      ]);
    });

    it('should describe every webhook route in the OpenAPI document, under admin-api with the API key', () => {
      const document = SwaggerModule.createDocument(app, new DocumentBuilder().build());
      const routes: Array<[string, string]> = [
        ['/admin/tenants/{tenant}/vendors/{vendor}/webhooks', 'post'],
        ['/admin/tenants/{tenant}/vendors/{vendor}/webhooks', 'get'],
        ['/admin/tenants/{tenant}/webhooks', 'get'],
        ['/admin/tenants/{tenant}/webhooks/{endpoint_id}', 'get'],
        ['/admin/tenants/{tenant}/webhooks/{endpoint_id}', 'patch'],
        ['/admin/tenants/{tenant}/webhooks/{endpoint_id}', 'delete'],
        ['/admin/tenants/{tenant}/webhooks/{endpoint_id}/rotate-secret', 'post'],
        ['/admin/tenants/{tenant}/webhooks/{endpoint_id}/messages', 'get'],
        ['/admin/tenants/{tenant}/webhooks/{endpoint_id}/replay', 'post'],
        ['/admin/tenants/{tenant}/webhook-messages/{message_id}', 'get'],
        ['/admin/tenants/{tenant}/webhook-messages/{message_id}/replay', 'post'],
      ];
      for (const [path, method] of routes) {
        const operation = (document.paths[path] as Record<string, { tags?: string[]; security?: unknown[] }>)?.[method];
        expect({ path, method, tags: operation?.tags, security: operation?.security }).toEqual({
          path,
          method,
          tags: ['admin-api'],
          security: [{ 'api-key': [] }],
        });
      }
      expect(JSON.stringify(document.paths)).not.toContain('/demo/webhooks');
      expect(document.components?.schemas?.CreateTenantBody).toMatchObject({
        properties: { outbound_network: { enum: ['public', 'loopback', 'private'] } },
      });
    });
  });

  describe('demo webhook receiver', () => {
    const sender = new Webhook(DEMO_WEBHOOK_SECRET);
    // Odd spacing and key order: only the bytes as received verify, not a re-serialization of the parsed JSON.
    const body = (sid: string) =>
      `{ "timestamp":"2030-01-02T03:04:05Z" ,"type":"session.logged_out","data":{"session_id":"${sid}","sub":"u","tenant":"demo","reason":"user_logout"}}`;
    const post = (payload: string, id: string, signWith = payload, extra: Record<string, string> = {}) => {
      const now = new Date();
      return inject({
        method: 'POST',
        url: '/demo/webhooks',
        headers: {
          'content-type': JSON_TYPE,
          'webhook-id': id,
          'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
          'webhook-signature': sender.sign(id, now, signWith),
          ...extra,
        },
        payload,
      });
    };

    it('should accept a delivery signed over its raw bytes, and show it', async () => {
      const res = await post(body('sid-1'), 'msg_demo1');

      expect({ status: res.statusCode, body: res.body }).toEqual({ status: 204, body: '' });
      const inbox = await inject({ method: 'GET', url: '/demo/webhooks' });
      expect(inbox.headers['cache-control']).toBe('no-store');
      expect(inbox.json().deliveries[0]).toEqual({
        id: 'msg_demo1',
        type: 'session.logged_out',
        timestamp: '2030-01-02T03:04:05Z',
        data: { session_id: 'sid-1', sub: 'u', tenant: 'demo', reason: 'user_logout' },
        verified: true,
        received_at: expect.any(String),
        times_received: 1,
      });
    });

    it('should refuse a tampered body, and a body signed as re-serialized JSON, with 400', async () => {
      const tampered = await post(body('sid-2'), 'msg_demo2', body('sid-1'));
      const reserialized = await post(body('sid-3'), 'msg_demo3', JSON.stringify(JSON.parse(body('sid-3'))));

      for (const res of [tampered, reserialized]) {
        expect(res.statusCode).toBe(400);
        expect(res.json()).toMatchObject({ error: 'invalid_request' });
      }
      const ids = (await inject({ method: 'GET', url: '/demo/webhooks' }))
        .json()
        .deliveries.map((d: { id: string }) => d.id);
      expect(ids).not.toContain('msg_demo2');
      expect(ids).not.toContain('msg_demo3');
    });

    it('should refuse an unsigned delivery and one over the body limit', async () => {
      const unsigned = await inject({
        method: 'POST',
        url: '/demo/webhooks',
        headers: { 'content-type': JSON_TYPE },
        payload: body('sid-4'),
      });
      expect(unsigned.statusCode).toBe(400);
      const big = `{"type":"x","timestamp":"t","data":{"pad":"${'a'.repeat(5000)}"}}`;
      expect((await post(big, 'msg_big')).statusCode).toBe(413);
    });
  });
});
