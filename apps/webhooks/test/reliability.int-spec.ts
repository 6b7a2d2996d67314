/**
 * The dispatcher's reliability cases at integration level: the retry schedule and endpoint disabling (WH-04),
 * a poison endpoint under load (FI-07), a worker that vanishes mid-delivery (FI-05: lease expiry), the SSRF
 * guard at delivery (WH-08) and back-channel logout tokens (WH-09).
 * Real: the webhooks app (two replicas where needed), PostgreSQL, HTTP to loopback receivers verifying with
 * `standardwebhooks`. Test handlers: user-data (tenants, vendors), token (ES256 logout tokens signed with jose).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import { BACKCHANNEL_LOGOUT_EVENT, LOGOUT_TOKEN_TYPE } from '#contracts';
import { metricsRegistry } from '#observability';
import { WebhookReceiver } from '#testing';
import type { ClaimedMessage } from '../src/deliveries/claimed-message.js';
import { DeliveryEngine } from '../src/deliveries/delivery-engine.js';
import { MessagesRepository } from '../src/deliveries/messages.repository.js';
import { WebhooksModule } from '../src/webhooks.module.js';
import { durableEvent, PUBLIC_BASE_URL, sleep, testPolicy, WebhooksHarness } from './webhooks.harness.js';

async function counterValue(name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = metricsRegistry().getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))
    .reduce((sum, v) => sum + v.value, 0);
}

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

  describe('WH-04 retry schedule and endpoint disabling', () => {
    let sut: WebhooksHarness;
    const schedule = [200, 400, 800];

    beforeAll(async () => {
      sut = await WebhooksHarness.start({
        policy: testPolicy({ retrySchedule: schedule, pollIntervalMs: 10, disableAfterMs: 60_000 }),
      });
    }, 60_000);

    afterAll(async () => {
      await sut?.close();
    });

    it('retries on the schedule with ±20 % jitter, then fails the message as exhausted', async () => {
      const tenant = sut.addTenant();
      const rx = await receiver({ answer: () => ({ status: 503 }) });
      await sut.createEndpoint(tenant, { url: rx.url });
      const exhaustedBefore = await counterValue('handover_webhook_messages_exhausted_total');

      await sut.publish(durableEvent(tenant));
      await rx.waitFor((r) => r.deliveries.length === schedule.length + 1, 10_000, 'every attempt');

      const times = rx.deliveries.map((d) => d.receivedAt);
      schedule.forEach((wait, i) => {
        const gap = (times[i + 1] as number) - (times[i] as number);
        expect(gap).toBeGreaterThanOrEqual(wait * 0.8 - 5);
        // Slack for the poll interval, the recorder's flush and the receiver.
        expect(gap).toBeLessThanOrEqual(wait * 1.2 + 250);
      });
      const id = rx.deliveries[0]?.webhookId as string;
      const detail = await sut.eventually(
        () => sut.message(tenant, id),
        (m) => m.status === 'failed',
      );
      expect(detail).toMatchObject({ attempts: 4, nextAttemptAt: null });
      expect(detail.lastError).toMatch(/^all attempts failed/);
      await sleep(1_200);
      expect(rx.deliveries).toHaveLength(4);
      expect(await counterValue('handover_webhook_messages_exhausted_total')).toBe(exhaustedBefore + 1);
    }, 20_000);

    it('disables an endpoint failing for the disable period, tells the operator, and keeps its messages', async () => {
      const disabling = await WebhooksHarness.start({
        policy: testPolicy({ retrySchedule: Array(30).fill(100), pollIntervalMs: 10, disableAfterMs: 700 }),
      });
      try {
        const tenant = disabling.addTenant();
        let healthy = false;
        let secret = '';
        const rx = await receiver({
          secrets: () => [secret],
          answer: () => ({ status: healthy ? 200 : 500 }),
        });
        const endpoint = await disabling.createEndpoint(tenant, { url: rx.url });
        secret = endpoint.secret as string;
        const disabledBefore = await counterValue('handover_webhook_endpoints_disabled_total', { reason: 'failing' });

        await disabling.publish(durableEvent(tenant));
        const view = await disabling.eventually(
          () => disabling.client.request('webhooks.endpoint.get', { tenantId: tenant.id, endpointId: endpoint.id }),
          (e) => !e.enabled,
        );
        expect(view.disabledReason).toBe('failing');
        expect(Date.parse(view.disabledAt ?? '') - Date.parse(view.failingSince ?? '')).toBeGreaterThanOrEqual(700);
        expect(disabling.disabledEvents).toEqual([
          expect.objectContaining({
            tenantId: tenant.id,
            endpointId: endpoint.id,
            vendor: 'vendor-a',
            reason: 'failing',
          }),
        ]);
        expect(await counterValue('handover_webhook_endpoints_disabled_total', { reason: 'failing' })).toBe(
          disabledBefore + 1,
        );

        // Events while it is disabled are kept (failed, replayable); nothing is sent.
        const attemptsSoFar = rx.deliveries.length;
        await disabling.publish(durableEvent(tenant));
        await sleep(300);
        expect(rx.deliveries).toHaveLength(attemptsSoFar);
        const kept = await disabling.client.request('webhooks.message.list', {
          tenantId: tenant.id,
          endpointId: endpoint.id,
        });
        expect(kept.messages.map((m) => m.status)).toEqual(['failed', 'failed']);

        // Re-enabled (failing state cleared) and replayed: both arrive, with their ids.
        healthy = true;
        const enabled = await disabling.client.request('webhooks.endpoint.update', {
          tenantId: tenant.id,
          endpointId: endpoint.id,
          enabled: true,
        });
        expect(enabled).toMatchObject({ enabled: true, disabledReason: null, failingSince: null });
        await disabling.client.request('webhooks.message.replay-range', {
          tenantId: tenant.id,
          endpointId: endpoint.id,
          since: '2000-01-01T00:00:00Z',
          until: '2100-01-01T00:00:00Z',
          onlyFailed: true,
        });
        await rx.waitFor((r) => r.acceptedIds().size === 2, 10_000, 'both messages delivered after replay');
        expect([...rx.acceptedIds()].sort()).toEqual(kept.messages.map((m) => m.id).sort());
      } finally {
        await disabling.close();
      }
    }, 30_000);
  });

  describe('FI-07 poison endpoint under load', () => {
    let sut: WebhooksHarness;

    beforeAll(async () => {
      sut = await WebhooksHarness.start({
        policy: testPolicy({ retrySchedule: [50], concurrency: 16, endpointConcurrency: 4, pollIntervalMs: 20 }),
      });
    }, 60_000);

    afterAll(async () => {
      await sut?.close();
    });

    it('delivers to healthy endpoints promptly while one always fails slowly; the poison ends failed, replayable', async () => {
      const events = 100;
      const tenant = sut.addTenant(['poison', 'v1', 'v2', 'v3']);
      let poisonHealthy = false;
      const secrets = new Map<string, string>();
      const poison = await receiver({
        secrets: () => [secrets.get('poison') ?? ''],
        answer: () => (poisonHealthy ? { status: 200 } : { status: 500, delayMs: 100 }),
      });
      const healthy = await Promise.all(
        ['v1', 'v2', 'v3'].map((vendor) => receiver({ secrets: () => [secrets.get(vendor) ?? ''] })),
      );
      const poisonEndpoint = await sut.createEndpoint(tenant, { url: poison.url, vendor: 'poison' });
      secrets.set('poison', poisonEndpoint.secret as string);
      for (const [i, rx] of healthy.entries()) {
        const vendor = `v${i + 1}`;
        secrets.set(vendor, (await sut.createEndpoint(tenant, { url: rx.url, vendor })).secret as string);
      }

      const started = Date.now();
      for (let i = 0; i < events; i += 25) {
        await sut.publish(...Array.from({ length: 25 }, () => durableEvent(tenant)));
      }
      await Promise.all(healthy.map((rx) => rx.waitFor((r) => r.acceptedIds().size === events, 20_000, 'healthy')));
      const healthyDone = Date.now() - started;

      // At 4 attempts in flight × 100 ms, the poison's 200 attempts take ≥ 5 s; the others did not wait for it.
      expect(healthyDone).toBeLessThan(4_000);
      expect(poison.deliveries.length).toBeLessThan(2 * events);
      const page = await sut.eventually(
        () =>
          sut.client.request('webhooks.message.list', {
            tenantId: tenant.id,
            endpointId: poisonEndpoint.id,
            limit: 200,
          }),
        (p) => p.messages.length === events && p.messages.every((m) => m.status === 'failed'),
        30_000,
      );
      expect(page.messages.every((m) => m.attempts === 2)).toBe(true);

      poisonHealthy = true;
      const replay = await sut.client.request('webhooks.message.replay-range', {
        tenantId: tenant.id,
        endpointId: poisonEndpoint.id,
        since: new Date(started - 60_000).toISOString(),
        until: new Date(Date.now() + 60_000).toISOString(),
        onlyFailed: true,
      });
      expect(replay).toEqual({ replayed: events });
      await poison.waitFor((r) => r.acceptedIds().size === events, 20_000, 'the poison backlog replayed');
      expect([...poison.acceptedIds()].sort()).toEqual(page.messages.map((m) => m.id).sort());
    }, 60_000);
  });

  describe('FI-05 a worker that vanishes mid-delivery', () => {
    it('leaves the message to another replica after the lease: delivered with the same webhook-id', async () => {
      const policy = testPolicy({ httpTimeoutMs: 5_000, leaseMs: 1_500, drainTimeoutMs: 0 });
      const sut = await WebhooksHarness.start({ policy });
      try {
        const tenant = sut.addTenant();
        let secret = '';
        // The first request hangs (the worker will be gone before it answers); later ones succeed.
        const rx = await receiver({
          secrets: () => [secret],
          answer: (_d, n) => (n === 1 ? { status: 200, delayMs: 10_000 } : { status: 200 }),
        });
        const endpoint = await sut.createEndpoint(tenant, { url: rx.url });
        secret = endpoint.secret as string;
        const replica = await sut.startReplica(policy);

        await sut.publish(durableEvent(tenant));
        await rx.waitFor((r) => r.deliveries.length === 1, 10_000, 'the first attempt');
        const stoppedAt = Date.now();
        // Drain timeout 0: the in-flight attempt is abandoned, unrecorded, its lease left to run out.
        await sut.stopApp();
        await rx.waitFor((r) => r.deliveries.length === 2, 10_000, 'the re-claimed attempt');

        const [first, second] = rx.deliveries;
        expect(second?.webhookId).toBe(first?.webhookId);
        expect(second?.verified).toBe(true);
        expect((second?.receivedAt ?? 0) - stoppedAt).toBeGreaterThanOrEqual(1_000);
        const detail = await sut.eventually(
          () => sut.message(tenant, first?.webhookId as string),
          (m) => m.status === 'delivered',
        );
        expect(detail.attemptLog.map((a) => a.outcome)).toEqual(['success']);
        await replica.close();
      } finally {
        await sut.close();
      }
    }, 30_000);
  });

  describe('direct hand-off: new messages leased by the ingest, delivered without a claim', () => {
    it('delivers fresh messages with the claim path out of the way, within the per-endpoint cap', async () => {
      const sut = await WebhooksHarness.start({ policy: testPolicy({ endpointConcurrency: 2 }) });
      try {
        const tenant = sut.addTenant();
        let secret = '';
        let open = 0;
        let mostOpen = 0;
        const rx = await receiver({
          secrets: () => [secret],
          answer: () => {
            mostOpen = Math.max(mostOpen, ++open);
            // Counted closed a little before the answer leaves: the measure can only err low, never flag falsely.
            setTimeout(() => open--, 40);
            return { status: 204, delayMs: 50 };
          },
        });
        const endpoint = await sut.createEndpoint(tenant, { url: rx.url });
        secret = endpoint.secret as string;
        const delivered = (n: number) =>
          sut.eventually(
            () => sut.client.request('webhooks.message.list', { tenantId: tenant.id, endpointId: endpoint.id }),
            (p) => p.messages.filter((m) => m.status === 'delivered').length === n,
          );
        // Two at first (the engine has caught up with the table by then, and knows the endpoint's pace)...
        await sut.publish(durableEvent(tenant), durableEvent(tenant));
        await delivered(2);
        // ...then nothing can be claimed: whatever is delivered was handed over by the ingest. Of four, two start
        // at once and two wait in memory for a slot.
        const claim = jest.spyOn(sut.get(MessagesRepository), 'claim').mockResolvedValue([]);
        try {
          await sut.publish(...Array.from({ length: 4 }, () => durableEvent(tenant)));
          await rx.waitFor((r) => r.acceptedIds().size === 6, 10_000, 'six deliveries');
          expect(rx.deliveries).toHaveLength(6);
          expect(rx.deliveries.every((d) => d.verified)).toBe(true);
          expect(mostOpen).toBeLessThanOrEqual(2);
          const page = await delivered(6);
          expect(page.messages.every((m) => m.attempts === 1)).toBe(true);
        } finally {
          claim.mockRestore();
        }
      } finally {
        await sut.close();
      }
    }, 30_000);

    /**
     * An app with an endpoint cap of 2 and a quick receiver, after twelve deliveries: the endpoint's pace
     * (≥ 4 × its cap a second) marks it fast, and the engine may hold 8 of its messages.
     */
    async function withFastEndpoint() {
      const sut = await WebhooksHarness.start({ policy: testPolicy({ endpointConcurrency: 2 }) });
      try {
        const tenant = sut.addTenant();
        let secret = '';
        const rx = await receiver({ secrets: () => [secret], answer: () => ({ status: 204, delayMs: 2 }) });
        const endpoint = await sut.createEndpoint(tenant, { url: rx.url });
        secret = endpoint.secret as string;
        await sut.publish(...Array.from({ length: 12 }, () => durableEvent(tenant)));
        await rx.waitFor((r) => r.acceptedIds().size === 12, 10_000, 'twelve deliveries');
        return { sut, tenant, rx, endpoint };
      } catch (err) {
        await sut.close();
        throw err;
      }
    }

    it('holds a burst for a fast endpoint back until slots free, instead of leaving it to the table', async () => {
      const { sut, tenant, rx, endpoint } = await withFastEndpoint();
      try {
        // A burst of 24 in one batch: three times the 8 the engine may hold. With no claim possible, every one is
        // delivered only if the ingest waited for room and handed it over.
        const claim = jest.spyOn(sut.get(MessagesRepository), 'claim').mockResolvedValue([]);
        try {
          await sut.publish(...Array.from({ length: 24 }, () => durableEvent(tenant)));
          await rx.waitFor((r) => r.acceptedIds().size === 36, 10_000, 'the burst');
          expect(rx.deliveries).toHaveLength(36);
          expect(rx.deliveries.every((d) => d.verified)).toBe(true);
        } finally {
          claim.mockRestore();
        }
        // Each message stored once, and every one recorded delivered at its first attempt.
        const [row] = await sut.eventually(
          async () =>
            (await sut.database.query(
              `SELECT count(*)::int AS n, count(*) FILTER (WHERE status = 'delivered' AND attempts = 1)::int AS delivered
                 FROM webhooks.messages WHERE endpoint_id = $1`,
              [endpoint.id],
            )) as Array<{ n: number; delivered: number }>,
          ([r]) => r?.delivered === 36,
        );
        expect(row).toEqual({ n: 36, delivered: 36 });
      } finally {
        await sut.close();
      }
    }, 30_000);

    it('holds new messages for a fast endpoint that is behind until a claim has caught up, then hands them over', async () => {
      const { sut, tenant, rx, endpoint } = await withFastEndpoint();
      try {
        // Claims wait at a gate until the ingest has started waiting (one running now finishes meanwhile), so
        // nothing can catch up with the endpoint before the publish below.
        const repository = sut.get(MessagesRepository);
        const realClaim = repository.claim.bind(repository);
        let openGate!: () => void;
        const gate = new Promise<void>((resolve) => (openGate = resolve));
        const claim = jest.spyOn(repository, 'claim').mockImplementation(async (request) => {
          await gate;
          return realClaim(request);
        });
        const engine = sut.get(DeliveryEngine);
        const realWait = engine.slotFreed.bind(engine);
        const wait = jest.spyOn(engine, 'slotFreed').mockImplementation((ms) => {
          openGate();
          return realWait(ms);
        });
        const handOff = jest.spyOn(engine, 'handOff');
        try {
          await sleep(200);
          // Asking for more places than the endpoint may hold marks it behind (as a burst beyond its room would);
          // the places granted are given back at once.
          const asked = Array.from({ length: 50 }, () => endpoint.id);
          const granted = engine.reserve(asked);
          engine.handOff(
            asked.filter((_, i) => granted[i]),
            [],
          );
          expect(engine.handOffPlan([endpoint.id])).toEqual(['soon']);
          handOff.mockClear();
          // The ingest waits; the claim it lets through finds nothing due, so the endpoint is no longer behind, the
          // ingest is woken, and its messages are leased by their insert and handed over.
          await sut.publish(...Array.from({ length: 4 }, () => durableEvent(tenant)));
          expect(wait).toHaveBeenCalled();
          expect(handOff.mock.calls.flatMap(([, leased]) => leased)).toHaveLength(4);
          await rx.waitFor((r) => r.acceptedIds().size === 16, 10_000, 'the four held back');
        } finally {
          openGate();
          claim.mockRestore();
          wait.mockRestore();
          handOff.mockRestore();
        }
      } finally {
        await sut.close();
      }
    }, 30_000);

    it('leaves a slow endpoint’s overflow to the table at once: it holds back no other endpoint', async () => {
      const sut = await WebhooksHarness.start({ policy: testPolicy({ endpointConcurrency: 1 }) });
      try {
        const tenant = sut.addTenant();
        let secret = '';
        const slow = await receiver({ secrets: () => [secret], answer: () => ({ status: 204, delayMs: 1_000 }) });
        const endpoint = await sut.createEndpoint(tenant, { url: slow.url });
        secret = endpoint.secret as string;
        await sut.publish(durableEvent(tenant));
        await slow.waitFor((r) => r.deliveries.length === 1, 10_000, 'a first delivery under way');
        // Five more while the one slot is taken: the ingest stores them without waiting for room.
        const wait = jest.spyOn(sut.get(DeliveryEngine), 'slotFreed');
        try {
          await sut.publish(...Array.from({ length: 5 }, () => durableEvent(tenant)));
          expect(wait).not.toHaveBeenCalled();
        } finally {
          wait.mockRestore();
        }
        const [row] = (await sut.database.query(
          `SELECT count(*)::int AS n FROM webhooks.messages WHERE endpoint_id = $1 AND status = 'pending'`,
          [endpoint.id],
        )) as Array<{ n: number }>;
        expect(row?.n).toBeGreaterThanOrEqual(5);
      } finally {
        await sut.close();
      }
    }, 30_000);

    it('gives a leased message that waited too long for a slot back to the table, and it is delivered once', async () => {
      const sut = await WebhooksHarness.start({ policy: testPolicy({ endpointConcurrency: 1 }) });
      try {
        const tenant = sut.addTenant();
        let secret = '';
        let slow = false;
        const rx = await receiver({
          secrets: () => [secret],
          answer: () => ({ status: 204, delayMs: slow ? 1_500 : 0 }),
        });
        const endpoint = await sut.createEndpoint(tenant, { url: rx.url });
        secret = endpoint.secret as string;
        const list = () =>
          sut.client.request('webhooks.message.list', { tenantId: tenant.id, endpointId: endpoint.id });
        // Three quick deliveries: the endpoint's pace lets it hold more than its cap of one.
        await sut.publish(durableEvent(tenant), durableEvent(tenant), durableEvent(tenant));
        await sut.eventually(list, (p) => p.messages.filter((m) => m.status === 'delivered').length === 3);
        const release = jest.spyOn(sut.get(MessagesRepository), 'release');
        try {
          // One starts and hangs for 1.5 s; two wait in memory longer than they may (1 s with this policy).
          slow = true;
          await sut.publish(durableEvent(tenant), durableEvent(tenant), durableEvent(tenant));
          await rx.waitFor((r) => r.deliveries.length === 4, 10_000, 'the slow delivery');
          slow = false;
          const page = await sut.eventually(
            list,
            (p) => p.messages.length === 6 && p.messages.every((m) => m.status === 'delivered'),
          );
          expect(release).toHaveBeenCalled();
          expect(release.mock.calls.flatMap(([messages]) => messages)).toHaveLength(2);
          expect(page.messages.every((m) => m.attempts === 1)).toBe(true);
          expect(rx.deliveries).toHaveLength(6);
          expect(rx.acceptedIds().size).toBe(6);
        } finally {
          release.mockRestore();
        }
      } finally {
        await sut.close();
      }
    }, 30_000);

    it('a message leased by the ingest of a process that dies before delivering it is claimed after the lease', async () => {
      const policy = testPolicy({ httpTimeoutMs: 1_000, leaseMs: 2_000 });
      const sut = await WebhooksHarness.start({ policy });
      try {
        const tenant = sut.addTenant();
        let secret = '';
        const rx = await receiver({ secrets: () => [secret] });
        const endpoint = await sut.createEndpoint(tenant, { url: rx.url });
        secret = endpoint.secret as string;
        // A first delivery: the engine is up and has caught up with the table.
        await sut.publish(durableEvent(tenant));
        await rx.waitFor((r) => r.deliveries.length === 1, 10_000, 'a first delivery');
        rx.deliveries.splice(0);
        // The insert commits with its lease, then the process "dies": the messages never reach the engine.
        const engine = sut.get(DeliveryEngine);
        const handOff = engine.handOff.bind(engine);
        const lost: ClaimedMessage[] = [];
        const spy = jest.spyOn(engine, 'handOff').mockImplementationOnce((reserved, leased) => {
          lost.push(...leased);
          handOff(reserved, []);
        });

        const publishedAt = Date.now();
        await sut.publish(durableEvent(tenant));
        expect(lost).toHaveLength(1);
        const [row] = (await sut.database.query(
          `SELECT status, lease_id, lease_until > now() AS leased FROM webhooks.messages WHERE id = $1`,
          [lost[0]?.id],
        )) as Array<{ status: string; lease_id: string | null; leased: boolean }>;
        expect(row).toEqual({ status: 'pending', lease_id: lost[0]?.leaseId, leased: true });

        // The engine keeps claiming every 25 ms, yet the lease holds the message until it runs out.
        await sleep(1_000);
        expect(rx.deliveries).toHaveLength(0);
        await rx.waitFor((r) => r.deliveries.length === 1, 10_000, 'the delivery after the lease');
        expect(rx.deliveries[0]?.webhookId).toBe(lost[0]?.id);
        expect(rx.deliveries[0]?.verified).toBe(true);
        expect((rx.deliveries[0]?.receivedAt ?? 0) - publishedAt).toBeGreaterThanOrEqual(1_900);
        const detail = await sut.eventually(
          () => sut.message(tenant, lost[0]?.id as string),
          (m) => m.status === 'delivered',
        );
        expect(detail.attemptLog.map((a) => [a.outcome, a.trigger])).toEqual([['success', 'initial']]);
        await sleep(300);
        expect(rx.deliveries).toHaveLength(1);
        spy.mockRestore();
      } finally {
        await sut.close();
      }
    }, 30_000);
  });

  describe('WH-08 at delivery', () => {
    it('refuses to connect to a name that resolves to an internal address: logged as blocked, the canary sees nothing', async () => {
      const canary = await receiver();
      const port = new URL(canary.url).port;
      const sut = await WebhooksHarness.start({
        policy: testPolicy({ retrySchedule: [50] }),
        // DNS answers differently at delivery than it did at registration (rebinding).
        resolver: async (name) => {
          if (name === 'rebound.invalid') return ['127.0.0.1'];
          throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
        },
      });
      try {
        const tenant = sut.addTenant(['vendor-a'], 'public');
        // Does not resolve at registration (the system resolver knows no .invalid), so it is accepted.
        const endpoint = await sut.createEndpoint(tenant, { url: `http://rebound.invalid:${port}/hook` });

        await sut.publish(durableEvent(tenant));
        const page = await sut.eventually(
          () => sut.client.request('webhooks.message.list', { tenantId: tenant.id, endpointId: endpoint.id }),
          (p) => p.messages[0]?.status === 'failed',
        );
        const detail = await sut.message(tenant, page.messages[0]!.id);
        expect(detail.attemptLog.map((a) => a.outcome)).toEqual(['blocked', 'blocked']);
        expect(detail.attemptLog[0]?.error).toMatch(/127\.0\.0\.1.*refused by network policy 'public'/);
        expect(canary.deliveries).toHaveLength(0);
      } finally {
        await sut.close();
      }
    }, 20_000);
  });

  describe('WH-09 back-channel logout', () => {
    let sut: WebhooksHarness;

    beforeAll(async () => {
      sut = await WebhooksHarness.start({ policy: testPolicy({ retrySchedule: [50, 50, 50] }) });
    }, 60_000);

    afterAll(async () => {
      await sut?.close();
    });

    it('form-posts a fresh logout token per attempt; an RP 400 is a failure', async () => {
      const tenant = sut.addTenant(['rp-vendor']);
      const rp = await receiver({ answer: (_d, n) => (n <= 2 ? { status: 400 } : { status: 200 }) });
      const endpoint = await sut.createEndpoint(tenant, {
        url: `${rp.url}/backchannel_logout`,
        kind: 'backchannel_logout',
        vendor: 'rp-vendor',
      });

      await sut.publish(
        durableEvent(tenant, { data: { session_id: 'sid-77', sub: 'pairwise-sub-1', reason: 'user_logout' } }),
      );
      await rp.waitFor((r) => r.deliveries.length === 3, 10_000, 'three attempts');

      const key = await importJWK(sut.logoutKey.publicJwk, 'ES256');
      const jtis: string[] = [];
      for (const delivery of rp.deliveries) {
        expect(delivery.method).toBe('POST');
        expect(delivery.path).toBe('/backchannel_logout');
        expect(delivery.headers['content-type']).toBe('application/x-www-form-urlencoded');
        const form = new URLSearchParams(delivery.rawBody);
        expect([...form.keys()]).toEqual(['logout_token']);
        const token = form.get('logout_token') as string;
        expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'ES256', typ: LOGOUT_TOKEN_TYPE });
        const { payload } = await jwtVerify(token, key, {
          issuer: `${PUBLIC_BASE_URL}/t/${tenant.slug}`,
          audience: 'rp-vendor',
          typ: LOGOUT_TOKEN_TYPE,
        });
        expect(payload).toMatchObject({
          sub: 'pairwise-sub-1',
          sid: 'sid-77',
          events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
        });
        expect(payload).not.toHaveProperty('nonce');
        expect((payload.exp as number) - (payload.iat as number)).toBeLessThanOrEqual(120);
        jtis.push(payload.jti as string);
      }
      expect(new Set(jtis).size).toBe(3);
      expect(sut.logoutTokenRequests.filter((r) => r.audience === 'rp-vendor')).toHaveLength(3);

      const page = await sut.eventually(
        () => sut.client.request('webhooks.message.list', { tenantId: tenant.id, endpointId: endpoint.id }),
        (p) => p.messages[0]?.status === 'delivered',
      );
      const detail = await sut.message(tenant, page.messages[0]!.id);
      expect(detail.attemptLog.map((a) => [a.outcome, a.statusCode])).toEqual([
        ['http_error', 400],
        ['http_error', 400],
        ['success', 200],
      ]);
    }, 20_000);
  });
});
