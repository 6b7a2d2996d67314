/**
 * Delivery per Standard Webhooks (WH-01, WH-02, WH-03) and idempotent ingest, end to end: events published on
 * the durable event source, delivered by the real engine to loopback receivers that verify every request with
 * the reference `standardwebhooks` library.
 * Real: the webhooks app, PostgreSQL (and PGlite for the embedded shape), HTTP. Test handlers: user-data, token.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { WebhookReceiver } from '#testing';
import { WebhooksModule } from '../src/webhooks.module.js';
import { durableEvent, sleep, testPolicy, WebhooksHarness } from './webhooks.harness.js';

const TARGETS = [
  ['PostgreSQL (distributed)', 'postgres'],
  ['PGlite (embedded)', 'pglite'],
] as const;

describe(WebhooksModule.name, () => {
  const receivers: WebhookReceiver[] = [];
  const receiver = async (options: Parameters<typeof WebhookReceiver.start>[0] = {}) => {
    const r = await WebhookReceiver.start(options);
    receivers.push(r);
    return r;
  };

  afterEach(async () => {
    for (const r of receivers.splice(0)) await r.close();
  });

  describe.each(TARGETS)('delivery on %s', (_name, target) => {
    let sut: WebhooksHarness;

    beforeAll(async () => {
      // Retries > 1 s apart, so each attempt's webhook-timestamp (whole seconds) is later than the one before: without
      // jitter, which would bring 1.1 s down to 0.88 s (jitter itself is tested in reliability.int-spec.ts).
      sut = await WebhooksHarness.start({
        target,
        policy: testPolicy({ retrySchedule: [1_100, 1_100, 1_100], jitter: 0 }),
      });
    }, 60_000);

    afterAll(async () => {
      await sut?.close();
    });

    it('WH-01 signs the raw body: it verifies as sent and fails once re-serialized', async () => {
      const tenant = sut.addTenant();
      let secret = '';
      const rx = await receiver({ secrets: () => [secret] });
      const endpoint = await sut.createEndpoint(tenant, { url: `${rx.url}/hook` });
      secret = endpoint.secret as string;
      const event = durableEvent(tenant, {
        data: { session_id: 'sid-1', sub: 'user-ü', reason: 'host_logout' },
      });

      await sut.publish(event);
      await rx.waitFor((r) => r.deliveries.length === 1, 10_000, 'one delivery');

      const [delivery] = rx.deliveries;
      expect(delivery?.verified).toBe(true);
      expect(delivery?.headers['content-type']).toBe('application/json');
      expect(delivery?.headers['webhook-id']).toMatch(/^msg_[A-Za-z0-9_-]{27}$/);
      expect(delivery?.headers['webhook-timestamp']).toMatch(/^\d+$/);
      expect(Math.abs(Number(delivery?.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(10);
      expect(delivery?.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+={0,2}$/);
      expect(JSON.parse(delivery?.rawBody ?? '')).toEqual({
        type: 'session.logged_out',
        timestamp: event.occurredAt,
        data: { session_id: 'sid-1', sub: 'user-ü', reason: 'host_logout', tenant: tenant.slug },
      });
      // The same JSON with other whitespace is another byte string: the signature does not cover it.
      const reserialized = JSON.stringify(JSON.parse(delivery?.rawBody ?? ''), null, 2);
      expect(() => WebhookReceiver.verify(secret, reserialized, delivery?.headers ?? {})).toThrow();
      expect(() => WebhookReceiver.verify(secret, delivery?.rawBody ?? '', delivery?.headers ?? {})).not.toThrow();
    }, 20_000);

    it('WH-02 keeps the webhook-id over retries and signs each attempt afresh', async () => {
      const tenant = sut.addTenant();
      let secret = '';
      const rx = await receiver({
        secrets: () => [secret],
        answer: (_d, n) => (n <= 3 ? { status: 500, body: `boom ${n}` } : { status: 200, body: 'ok' }),
      });
      const endpoint = await sut.createEndpoint(tenant, { url: rx.url });
      secret = endpoint.secret as string;

      await sut.publish(durableEvent(tenant));
      await rx.waitFor((r) => r.deliveries.length === 4, 15_000, 'four attempts');

      const ids = new Set(rx.deliveries.map((d) => d.webhookId));
      const timestamps = rx.deliveries.map((d) => Number(d.headers['webhook-timestamp']));
      const signatures = new Set(rx.deliveries.map((d) => d.headers['webhook-signature']));
      expect(ids.size).toBe(1);
      expect(rx.deliveries.every((d) => d.verified)).toBe(true);
      for (let i = 1; i < timestamps.length; i++) expect(timestamps[i]).toBeGreaterThan(timestamps[i - 1] as number);
      expect(signatures.size).toBe(4);

      const messageId = [...ids][0] as string;
      const detail = await sut.eventually(
        () => sut.message(tenant, messageId),
        (m) => m.status === 'delivered',
      );
      expect(detail).toMatchObject({ id: messageId, attempts: 4, lastStatusCode: 200, lastError: null });
      expect(detail.attemptLog.map((a) => [a.trigger, a.outcome, a.statusCode])).toEqual([
        ['initial', 'http_error', 500],
        ['retry', 'http_error', 500],
        ['retry', 'http_error', 500],
        ['retry', 'success', 200],
      ]);
      expect(detail.attemptLog.every((a) => Number.isInteger(a.latencyMs) && a.latencyMs >= 0)).toBe(true);
      expect(detail.attemptLog[0]?.responseExcerpt).toBe('boom 1');
      expect(detail.payload).toMatchObject({ type: 'session.logged_out' });
    }, 30_000);

    it('stores one message for an event published twice (the id is derived from event and endpoint)', async () => {
      const tenant = sut.addTenant();
      const rx = await receiver();
      const endpoint = await sut.createEndpoint(tenant, { url: rx.url });
      const event = durableEvent(tenant);

      await sut.publish(event);
      await sut.publish(event, event);
      await rx.waitFor((r) => r.deliveries.length >= 1, 10_000, 'the delivery');
      await sleep(300);

      const page = await sut.client.request('webhooks.message.list', { tenantId: tenant.id, endpointId: endpoint.id });
      expect(page.messages).toHaveLength(1);
      expect(rx.deliveries).toHaveLength(1);
    }, 20_000);
  });

  describe('fan-out', () => {
    let sut: WebhooksHarness;

    beforeAll(async () => {
      sut = await WebhooksHarness.start();
    }, 60_000);

    afterAll(async () => {
      await sut?.close();
    });

    it('leaves room in the queue table for lease updates to stay heap-only (fillfactor 70)', async () => {
      const rows: Array<{ reloptions: string[] | null }> = await sut.database.query(
        `SELECT reloptions FROM pg_class WHERE oid = 'webhooks.messages'::regclass`,
      );
      expect(rows[0]?.reloptions).toEqual(['fillfactor=70']);
    });

    it('delivers to the endpoints subscribed to the type, of the named vendors only', async () => {
      const tenant = sut.addTenant(['vendor-a', 'vendor-b']);
      const other = sut.addTenant(['vendor-a']);
      const [a, b, created, otherTenant] = await Promise.all([receiver(), receiver(), receiver(), receiver()]);
      await sut.createEndpoint(tenant, { url: a.url, vendor: 'vendor-a' });
      await sut.createEndpoint(tenant, { url: b.url, vendor: 'vendor-b' });
      await sut.createEndpoint(tenant, { url: created.url, vendor: 'vendor-b', eventTypes: ['session.created'] });
      await sut.createEndpoint(other, { url: otherTenant.url });

      await sut.publish(durableEvent(tenant, { vendors: ['vendor-a'] }), durableEvent(tenant));
      await a.waitFor((r) => r.deliveries.length === 2, 10_000, 'both events at vendor-a');
      await b.waitFor((r) => r.deliveries.length === 1, 10_000, 'the unrestricted event at vendor-b');
      await sleep(300);

      expect(a.deliveries).toHaveLength(2);
      expect(b.deliveries).toHaveLength(1);
      expect(created.deliveries).toHaveLength(0);
      expect(otherTenant.deliveries).toHaveLength(0);
    }, 20_000);

    it('stores messages for a disabled endpoint as failed, for replay, and sends nothing', async () => {
      const tenant = sut.addTenant();
      const rx = await receiver();
      const endpoint = await sut.createEndpoint(tenant, { url: rx.url, enabled: false });

      await sut.publish(durableEvent(tenant));
      await sleep(300);

      const page = await sut.client.request('webhooks.message.list', { tenantId: tenant.id, endpointId: endpoint.id });
      expect(page.messages).toHaveLength(1);
      expect(page.messages[0]).toMatchObject({ status: 'failed', attempts: 0, lastError: 'endpoint disabled' });
      expect(rx.deliveries).toHaveLength(0);
    });
  });

  describe('WH-03 receiver status and timeout handling', () => {
    let sut: WebhooksHarness;

    beforeAll(async () => {
      sut = await WebhooksHarness.start({
        policy: testPolicy({ retrySchedule: [50, 50], httpTimeoutMs: 400, leaseMs: 2_000 }),
      });
    }, 60_000);

    afterAll(async () => {
      await sut?.close();
    });

    async function deliveredOnce(answer: Parameters<typeof WebhookReceiver.start>[0]) {
      const tenant = sut.addTenant();
      const rx = await receiver(answer);
      const endpoint = await sut.createEndpoint(tenant, { url: rx.url });
      await sut.publish(durableEvent(tenant));
      await rx.waitFor((r) => r.deliveries.length >= 1, 10_000, 'a first attempt');
      return { tenant, rx, endpoint, messageId: rx.deliveries[0]?.webhookId as string };
    }

    it('counts a 3xx as a failure and never follows it (the canary sees nothing)', async () => {
      const canary = await receiver();
      const { tenant, rx, messageId } = await deliveredOnce({
        answer: () => ({ status: 301, headers: { location: `${canary.url}/latest/meta-data/` } }),
      });

      const detail = await sut.eventually(
        () => sut.message(tenant, messageId),
        (m) => m.status === 'failed',
      );
      expect(detail.attemptLog.map((a) => a.outcome)).toEqual(['redirect', 'redirect', 'redirect']);
      expect(rx.deliveries).toHaveLength(3);
      expect(canary.deliveries).toHaveLength(0);
    }, 15_000);

    it('disables the endpoint on 410 and sends it nothing more', async () => {
      const { tenant, rx, endpoint, messageId } = await deliveredOnce({ answer: () => ({ status: 410 }) });

      const view = await sut.eventually(
        () => sut.client.request('webhooks.endpoint.get', { tenantId: tenant.id, endpointId: endpoint.id }),
        (e) => !e.enabled,
      );
      expect(view.disabledReason).toBe('gone');
      await sut.publish(durableEvent(tenant));
      await sleep(300);
      const detail = await sut.message(tenant, messageId);
      expect(detail).toMatchObject({ status: 'failed', attempts: 1, lastStatusCode: 410 });
      expect(rx.deliveries).toHaveLength(1);
      expect(sut.disabledEvents).toContainEqual(
        expect.objectContaining({ tenantId: tenant.id, endpointId: endpoint.id, reason: 'gone' }),
      );
    }, 15_000);

    it.each([
      ['429 with delay-seconds', 429, () => '1'],
      ['503 with an HTTP date', 503, () => new Date(Date.now() + 2_000).toUTCString()],
    ])(
      'honours Retry-After on a %s',
      async (_name, status, retryAfter) => {
        const { rx } = await deliveredOnce({
          answer: (_d, n) => (n === 1 ? { status, headers: { 'retry-after': retryAfter() } } : { status: 204 }),
        });

        await rx.waitFor((r) => r.deliveries.length === 2, 10_000, 'the retry');
        const [first, second] = rx.deliveries;
        // The schedule says 50 ms; the receiver asked for at least 1 s (the HTTP date has whole seconds).
        expect((second?.receivedAt ?? 0) - (first?.receivedAt ?? 0)).toBeGreaterThanOrEqual(950);
        expect(second?.webhookId).toBe(first?.webhookId);
      },
      15_000,
    );

    it('counts a 404 as a failure and retries on the schedule', async () => {
      const { tenant, rx, messageId } = await deliveredOnce({
        answer: (_d, n) => (n < 3 ? { status: 404, body: 'no such hook' } : { status: 200 }),
      });

      const detail = await sut.eventually(
        () => sut.message(tenant, messageId),
        (m) => m.status === 'delivered',
      );
      expect(detail.attemptLog.map((a) => [a.outcome, a.statusCode])).toEqual([
        ['http_error', 404],
        ['http_error', 404],
        ['success', 200],
      ]);
      expect(detail.attemptLog[0]?.responseExcerpt).toBe('no such hook');
      expect(rx.deliveries).toHaveLength(3);
    }, 15_000);

    it('times out an attempt that outlasts the HTTP timeout, and retries it', async () => {
      const { tenant, rx, messageId } = await deliveredOnce({
        answer: (_d, n) => (n === 1 ? { status: 200, delayMs: 3_000 } : { status: 200 }),
      });

      const detail = await sut.eventually(
        () => sut.message(tenant, messageId),
        (m) => m.status === 'delivered',
      );
      expect(detail.attemptLog.map((a) => a.outcome)).toEqual(['timeout', 'success']);
      expect(detail.attemptLog[0]?.latencyMs).toBeGreaterThanOrEqual(380);
      expect(detail.attemptLog[0]?.latencyMs).toBeLessThan(2_000);
      expect(rx.deliveries.map((d) => d.webhookId)).toEqual([messageId, messageId]);
    }, 15_000);

    it('keeps at most 1 KiB of a long answer', async () => {
      const { tenant, messageId } = await deliveredOnce({
        answer: () => ({ status: 500, body: 'x'.repeat(100_000) }),
      });

      const detail = await sut.eventually(
        () => sut.message(tenant, messageId),
        (m) => m.status === 'failed',
      );
      expect(detail.attemptLog[0]?.responseExcerpt).toHaveLength(1024);
    }, 15_000);

    it('logs an answer holding NUL bytes (which PostgreSQL text refuses) without losing the result', async () => {
      const { tenant, messageId } = await deliveredOnce({ answer: () => ({ status: 200, body: 'ok\u0000done' }) });

      const detail = await sut.eventually(
        () => sut.message(tenant, messageId),
        (m) => m.status === 'delivered',
      );
      expect(detail.attemptLog[0]?.responseExcerpt).toBe('ok\uFFFDdone');
    }, 15_000);
  });
});
