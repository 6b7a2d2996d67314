/**
 * The admin side of the dispatcher over the bus: endpoints (WH-07 secrets and rotation, WH-08 at registration),
 * the delivery log, and replay (WH-05); tenant isolation throughout.
 * Real: the webhooks app, PostgreSQL, HTTP to loopback receivers verifying with `standardwebhooks`.
 * Test handlers: user-data (tenants, vendors).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { WEBHOOK_SECRET_PATTERN } from '#contracts';
import { WebhookReceiver } from '#testing';
import { WebhooksModule } from '../src/webhooks.module.js';
import { durableEvent, errorBodyOf, sleep, WebhooksHarness, type TestTenant } from './webhooks.harness.js';

describe(WebhooksModule.name, () => {
  let sut: WebhooksHarness;
  const receivers: WebhookReceiver[] = [];
  const receiver = async (options: Parameters<typeof WebhookReceiver.start>[0] = {}) => {
    const r = await WebhookReceiver.start(options);
    receivers.push(r);
    return r;
  };

  beforeAll(async () => {
    sut = await WebhooksHarness.start();
  }, 60_000);

  afterAll(async () => {
    await sut?.close();
  });

  afterEach(async () => {
    for (const r of receivers.splice(0)) await r.close();
  });

  describe('webhooks.endpoint.*', () => {
    it('creates an endpoint with a fresh whsec_ secret, shown once and sealed at rest', async () => {
      const tenant = sut.addTenant();
      const created = await sut.createEndpoint(tenant, {
        url: 'http://127.0.0.1:9/hook',
        description: 'billing',
        eventTypes: ['session.logged_out', 'session.created'],
      });

      expect(created.secret).toMatch(WEBHOOK_SECRET_PATTERN);
      expect(Buffer.from((created.secret as string).slice(6), 'base64').length).toBeGreaterThanOrEqual(24);
      expect(created).toMatchObject({
        vendor: 'vendor-a',
        kind: 'webhook',
        url: 'http://127.0.0.1:9/hook',
        description: 'billing',
        eventTypes: ['session.logged_out', 'session.created'],
        enabled: true,
        disabledReason: null,
        failingSince: null,
      });
      const view = await sut.client.request('webhooks.endpoint.get', { tenantId: tenant.id, endpointId: created.id });
      expect(view).not.toHaveProperty('secret');
      const rows: Array<{ secret: string }> = await sut.database.query(
        `SELECT secret FROM webhooks.endpoints WHERE id = $1`,
        [created.id],
      );
      expect(rows[0]?.secret).toMatch(/^v1\./);
      expect(rows[0]?.secret).not.toContain((created.secret as string).slice(6));
    });

    it('gives every endpoint its own secret', async () => {
      const tenant = sut.addTenant();
      const secrets = await Promise.all(
        [1, 2, 3].map(async (n) => (await sut.createEndpoint(tenant, { url: `http://127.0.0.1:9/${n}` })).secret),
      );
      expect(new Set(secrets).size).toBe(3);
    });

    it('refuses a vendor that is not the tenant’s, and a slug that is another tenant’s', async () => {
      const tenant = sut.addTenant(['vendor-a']);
      const other = sut.addTenant(['vendor-z']);

      await expect(
        errorBodyOf(sut.createEndpoint(tenant, { url: 'http://127.0.0.1:9/', vendor: 'vendor-z' })),
      ).resolves.toMatchObject({ error: 'not_found' });
      await expect(
        errorBodyOf(
          sut.client.request('webhooks.endpoint.create', {
            tenantId: tenant.id,
            tenantSlug: other.slug,
            vendor: 'vendor-a',
            kind: 'webhook',
            url: 'http://127.0.0.1:9/',
          }),
        ),
      ).resolves.toMatchObject({ error: 'not_found' });
    });

    it('takes only session.logged_out for a back-channel logout endpoint, and gives it no secret', async () => {
      const tenant = sut.addTenant();
      const created = await sut.createEndpoint(tenant, { url: 'http://127.0.0.1:9/bcl', kind: 'backchannel_logout' });
      expect(created).toMatchObject({ secret: null, eventTypes: ['session.logged_out'] });

      await expect(
        errorBodyOf(
          sut.createEndpoint(tenant, {
            url: 'http://127.0.0.1:9/bcl',
            kind: 'backchannel_logout',
            eventTypes: ['session.created'],
          }),
        ),
      ).resolves.toMatchObject({ error: 'invalid_request' });
      await expect(
        errorBodyOf(
          sut.client.request('webhooks.endpoint.rotate-secret', { tenantId: tenant.id, endpointId: created.id }),
        ),
      ).resolves.toMatchObject({ error: 'invalid_request' });
    });

    it('lists, updates and deletes within the tenant only; another tenant’s id is not_found', async () => {
      const tenant = sut.addTenant(['vendor-a', 'vendor-b']);
      const intruder = sut.addTenant();
      const a = await sut.createEndpoint(tenant, { url: 'http://127.0.0.1:9/a', vendor: 'vendor-a' });
      const b = await sut.createEndpoint(tenant, { url: 'http://127.0.0.1:9/b', vendor: 'vendor-b' });

      const all = await sut.client.request('webhooks.endpoint.list', { tenantId: tenant.id });
      const ofB = await sut.client.request('webhooks.endpoint.list', { tenantId: tenant.id, vendor: 'vendor-b' });
      expect(all.endpoints.map((e) => e.id)).toEqual([a.id, b.id]);
      expect(ofB.endpoints.map((e) => e.id)).toEqual([b.id]);
      expect((await sut.client.request('webhooks.endpoint.list', { tenantId: intruder.id })).endpoints).toEqual([]);

      const foreign = { tenantId: intruder.id, endpointId: a.id };
      for (const call of [
        sut.client.request('webhooks.endpoint.get', foreign),
        sut.client.request('webhooks.endpoint.update', { ...foreign, enabled: false }),
        sut.client.request('webhooks.endpoint.rotate-secret', foreign),
        sut.client.request('webhooks.endpoint.delete', foreign),
        sut.client.request('webhooks.message.list', foreign),
      ]) {
        await expect(errorBodyOf(call)).resolves.toMatchObject({ error: 'not_found' });
      }

      const updated = await sut.client.request('webhooks.endpoint.update', {
        tenantId: tenant.id,
        endpointId: a.id,
        url: 'http://127.0.0.1:9/a2',
        eventTypes: ['vendor_data.updated'],
        description: 'renamed',
      });
      expect(updated).toMatchObject({ url: 'http://127.0.0.1:9/a2', eventTypes: ['vendor_data.updated'] });
      expect(updated.description).toBe('renamed');

      await expect(
        sut.client.request('webhooks.endpoint.delete', { tenantId: tenant.id, endpointId: a.id }),
      ).resolves.toEqual({ deleted: true });
      await expect(
        errorBodyOf(sut.client.request('webhooks.endpoint.get', { tenantId: tenant.id, endpointId: a.id })),
      ).resolves.toMatchObject({ error: 'not_found' });
    });

    it('refuses an invalid payload with invalid_request', async () => {
      const tenant = sut.addTenant();
      for (const payload of [
        { tenantId: tenant.id, tenantSlug: tenant.slug, vendor: 'vendor-a', kind: 'email', url: 'http://x/' },
        { tenantId: 'not-a-uuid', tenantSlug: tenant.slug, vendor: 'vendor-a', kind: 'webhook', url: 'http://x/' },
        { tenantId: tenant.id, tenantSlug: tenant.slug, vendor: 'vendor-a', kind: 'webhook', url: 'http://x/', x: 1 },
      ]) {
        await expect(
          errorBodyOf(sut.client.request('webhooks.endpoint.create', payload as never)),
        ).resolves.toMatchObject({ error: 'invalid_request' });
      }
    });
  });

  describe('WH-08 at registration', () => {
    const internal = [
      'http://169.254.169.254/latest/meta-data/',
      'http://127.0.0.1:6379',
      'http://[::1]/',
      'http://10.0.0.5/',
      'http://localhost:8080/hook',
      'http://[::ffff:127.0.0.1]/',
      'http://0.0.0.0/',
    ];

    it.each(internal)('refuses %s under the public policy (400)', async (url) => {
      const tenant = sut.addTenant(['vendor-a'], 'public');
      await expect(errorBodyOf(sut.createEndpoint(tenant, { url }))).resolves.toMatchObject({
        error: 'invalid_request',
      });
    });

    it.each(['ftp://example.com/', 'http://user:pw@example.com/', 'http://example.com/#frag', 'not a url'])(
      'refuses %s whatever the policy',
      async (url) => {
        const tenant = sut.addTenant(['vendor-a'], 'loopback');
        await expect(errorBodyOf(sut.createEndpoint(tenant, { url }))).resolves.toMatchObject({
          error: 'invalid_request',
        });
      },
    );

    it('re-checks the URL on update', async () => {
      const tenant = sut.addTenant(['vendor-a'], 'public');
      const created = await sut.createEndpoint(tenant, { url: 'https://93.184.215.14/hook' });
      await expect(
        errorBodyOf(
          sut.client.request('webhooks.endpoint.update', {
            tenantId: tenant.id,
            endpointId: created.id,
            url: 'http://169.254.169.254/',
          }),
        ),
      ).resolves.toMatchObject({ error: 'invalid_request' });
    });
  });

  describe('WH-07 per-endpoint secrets and rotation', () => {
    it('signs each endpoint with its own secret: A’s never verifies B’s deliveries', async () => {
      const tenant = sut.addTenant(['vendor-a', 'vendor-b']);
      const rxA = await receiver();
      const rxB = await receiver();
      const a = await sut.createEndpoint(tenant, { url: rxA.url, vendor: 'vendor-a' });
      const b = await sut.createEndpoint(tenant, { url: rxB.url, vendor: 'vendor-b' });

      await sut.publish(durableEvent(tenant));
      await rxA.waitFor((r) => r.deliveries.length === 1, 10_000, 'A');
      await rxB.waitFor((r) => r.deliveries.length === 1, 10_000, 'B');

      const [atA] = rxA.deliveries;
      const [atB] = rxB.deliveries;
      expect(() => WebhookReceiver.verify(a.secret as string, atA!.rawBody, atA!.headers)).not.toThrow();
      expect(() => WebhookReceiver.verify(b.secret as string, atB!.rawBody, atB!.headers)).not.toThrow();
      expect(() => WebhookReceiver.verify(a.secret as string, atB!.rawBody, atB!.headers)).toThrow();
      expect(() => WebhookReceiver.verify(b.secret as string, atA!.rawBody, atA!.headers)).toThrow();
      expect(atA!.webhookId).not.toBe(atB!.webhookId);
    }, 20_000);

    it('sends two signatures during the overlap, each verifying with its secret; one after an immediate rotation', async () => {
      const tenant = sut.addTenant();
      const rx = await receiver();
      const endpoint = await sut.createEndpoint(tenant, { url: rx.url });
      const old = endpoint.secret as string;

      const rotated = await sut.client.request('webhooks.endpoint.rotate-secret', {
        tenantId: tenant.id,
        endpointId: endpoint.id,
        overlapSeconds: 3600,
      });
      expect(rotated.secret).not.toBe(old);
      expect(Date.parse(rotated.previousSecretValidUntil ?? '') - Date.now()).toBeGreaterThan(3_500_000);
      await sut.publish(durableEvent(tenant));
      await rx.waitFor((r) => r.deliveries.length === 1, 10_000, 'a delivery during the overlap');

      const during = rx.deliveries[0]!;
      const signatures = String(during.headers['webhook-signature']).split(' ');
      expect(signatures).toHaveLength(2);
      expect(signatures.every((s) => s.startsWith('v1,'))).toBe(true);
      expect(() => WebhookReceiver.verify(old, during.rawBody, during.headers)).not.toThrow();
      expect(() => WebhookReceiver.verify(rotated.secret, during.rawBody, during.headers)).not.toThrow();
      // Each signature on its own verifies with exactly one of the secrets.
      for (const [i, secret] of [rotated.secret, old].entries()) {
        const single = { ...during.headers, 'webhook-signature': signatures[i] as string };
        expect(() => WebhookReceiver.verify(secret, during.rawBody, single)).not.toThrow();
      }

      const again = await sut.client.request('webhooks.endpoint.rotate-secret', {
        tenantId: tenant.id,
        endpointId: endpoint.id,
        overlapSeconds: 0,
      });
      expect(again.previousSecretValidUntil).toBeNull();
      await sut.publish(durableEvent(tenant));
      await rx.waitFor((r) => r.deliveries.length === 2, 10_000, 'a delivery after the rotation');
      const after = rx.deliveries[1]!;
      expect(String(after.headers['webhook-signature']).split(' ')).toHaveLength(1);
      expect(() => WebhookReceiver.verify(again.secret, after.rawBody, after.headers)).not.toThrow();
      expect(() => WebhookReceiver.verify(rotated.secret, after.rawBody, after.headers)).toThrow();
    }, 20_000);
  });

  describe('delivery log and WH-05 replay', () => {
    async function deliveredMessages(tenant: TestTenant, count: number) {
      let secret = '';
      const rx = await receiver({ secrets: () => [secret] });
      const endpoint = await sut.createEndpoint(tenant, { url: rx.url });
      secret = endpoint.secret as string;
      for (let i = 0; i < count; i++) {
        await sut.publish(durableEvent(tenant));
        await sleep(5); // distinct creation times, for the range
      }
      await rx.waitFor((r) => r.deliveries.length === count, 10_000, `${count} deliveries`);
      const page = await sut.eventually(
        () => sut.client.request('webhooks.message.list', { tenantId: tenant.id, endpointId: endpoint.id }),
        (p) => p.messages.every((m) => m.status === 'delivered'),
      );
      return { rx, endpoint, messages: page.messages };
    }

    it('pages through an endpoint’s messages newest first, with filters', async () => {
      const tenant = sut.addTenant();
      const { endpoint, messages } = await deliveredMessages(tenant, 5);
      expect(messages).toHaveLength(5);
      const created = messages.map((m) => Date.parse(m.createdAt));
      expect([...created].sort((x, y) => y - x)).toEqual(created);

      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await sut.client.request('webhooks.message.list', {
          tenantId: tenant.id,
          endpointId: endpoint.id,
          limit: 2,
          ...(cursor ? { cursor } : {}),
        });
        seen.push(...page.messages.map((m) => m.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(seen).toEqual(messages.map((m) => m.id));

      const failed = await sut.client.request('webhooks.message.list', {
        tenantId: tenant.id,
        endpointId: endpoint.id,
        status: 'failed',
      });
      expect(failed.messages).toEqual([]);
      const older = await sut.client.request('webhooks.message.list', {
        tenantId: tenant.id,
        endpointId: endpoint.id,
        until: messages[1]!.createdAt,
      });
      expect(older.messages.map((m) => m.id)).toEqual(messages.slice(2).map((m) => m.id));
      await expect(
        errorBodyOf(
          sut.client.request('webhooks.message.list', {
            tenantId: tenant.id,
            endpointId: endpoint.id,
            cursor: 'bm90IGEgY3Vyc29y',
          }),
        ),
      ).resolves.toMatchObject({ error: 'invalid_request' });
    }, 20_000);

    it('replays one delivered message with the same webhook-id, logged as a replay attempt', async () => {
      const tenant = sut.addTenant();
      const { rx, messages } = await deliveredMessages(tenant, 1);
      const id = messages[0]!.id;

      await expect(
        sut.client.request('webhooks.message.replay', { tenantId: tenant.id, messageId: id }),
      ).resolves.toEqual({ replayed: 1 });
      await rx.waitFor((r) => r.deliveries.length === 2, 10_000, 'the replay');

      expect(rx.deliveries.map((d) => d.webhookId)).toEqual([id, id]);
      expect(rx.deliveries.every((d) => d.verified)).toBe(true);
      // Signed afresh: stamped with the time of the replay, not the original attempt's.
      expect(Number(rx.deliveries[1]!.headers['webhook-timestamp'])).toBeGreaterThanOrEqual(
        Number(rx.deliveries[0]!.headers['webhook-timestamp']),
      );
      const detail = await sut.eventually(
        () => sut.message(tenant, id),
        (m) => m.attemptLog.length === 2 && m.status === 'delivered',
      );
      expect(detail.attemptLog.map((a) => a.trigger)).toEqual(['initial', 'replay']);
    }, 20_000);

    it('replays a time range of an endpoint’s messages, each once more with its id', async () => {
      const tenant = sut.addTenant();
      const { rx, endpoint, messages } = await deliveredMessages(tenant, 4);
      const oldestFirst = [...messages].reverse();
      // [second, fourth): the second and third message.
      const since = oldestFirst[1]!.createdAt;
      const until = oldestFirst[3]!.createdAt;

      const reply = await sut.client.request('webhooks.message.replay-range', {
        tenantId: tenant.id,
        endpointId: endpoint.id,
        since,
        until,
      });
      expect(reply).toEqual({ replayed: 2 });
      await rx.waitFor((r) => r.deliveries.length === 6, 10_000, 'the replays');

      expect(
        rx.deliveries
          .slice(4)
          .map((d) => d.webhookId)
          .sort(),
      ).toEqual([oldestFirst[1]!.id, oldestFirst[2]!.id].sort());
      for (const m of [oldestFirst[1]!, oldestFirst[2]!]) {
        const detail = await sut.eventually(
          () => sut.message(tenant, m.id),
          (d) => d.attemptLog.length === 2,
        );
        expect(detail.attemptLog[1]?.trigger).toBe('replay');
      }
      await expect(
        sut.client.request('webhooks.message.replay-range', {
          tenantId: tenant.id,
          endpointId: endpoint.id,
          since,
          until,
          onlyFailed: true,
        }),
      ).resolves.toEqual({ replayed: 0 });
    }, 20_000);

    it('refuses to replay while the endpoint is disabled (conflict), and another tenant’s message (not_found)', async () => {
      const tenant = sut.addTenant();
      const intruder = sut.addTenant();
      const { endpoint, messages } = await deliveredMessages(tenant, 1);
      const id = messages[0]!.id;

      await expect(
        errorBodyOf(sut.client.request('webhooks.message.replay', { tenantId: intruder.id, messageId: id })),
      ).resolves.toMatchObject({ error: 'not_found' });
      await expect(
        errorBodyOf(sut.client.request('webhooks.message.get', { tenantId: intruder.id, messageId: id })),
      ).resolves.toMatchObject({ error: 'not_found' });
      await sut.client.request('webhooks.endpoint.update', {
        tenantId: tenant.id,
        endpointId: endpoint.id,
        enabled: false,
      });
      await expect(
        errorBodyOf(sut.client.request('webhooks.message.replay', { tenantId: tenant.id, messageId: id })),
      ).resolves.toMatchObject({ error: 'conflict' });
      await expect(
        errorBodyOf(
          sut.client.request('webhooks.message.replay-range', {
            tenantId: tenant.id,
            endpointId: endpoint.id,
            since: '2000-01-01T00:00:00Z',
            until: '2100-01-01T00:00:00Z',
          }),
        ),
      ).resolves.toMatchObject({ error: 'conflict' });
    }, 20_000);
  });
});
