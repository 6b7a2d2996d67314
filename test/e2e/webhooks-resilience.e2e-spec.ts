/**
 * Nothing acknowledged is lost (SPEC §6, RELIABILITY FI-04 to FI-07): a receiver that is down and comes back, a
 * restart of the whole stack with deliveries pending (both modes), a crash of the dispatcher mid-delivery, of
 * the token app mid-logout burst, and of NATS (a private nats-server) with events in the stream (distributed).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { DURABLE_EVENTS_CONSUMER } from '#messaging';
import { freePort, PrivateNats, WebhookReceiver } from '#testing';
import { e2eMode, onlyIn, sleep, startStack, type Stack } from './harness.js';
import { inBatches, type Vendor } from './handover-fixture.js';
import {
  admin,
  createEndpoint,
  createVendor,
  eventually,
  logout,
  messagesOf,
  sessionHandedTo,
  type Endpoint,
} from './webhooks-fixture.js';

const mode = e2eMode();

/** Events of the durable stream not yet delivered to the dispatcher's consumer (one stack per NATS server here). */
async function pendingInStream(natsUrl: string): Promise<number> {
  const connection = await connect({ servers: natsUrl });
  try {
    const manager = await jetstreamManager(connection);
    let pending = 0;
    for await (const stream of manager.streams.list()) {
      if (!stream.config.name.endsWith('_EVENTS')) continue;
      pending += (await manager.consumers.info(stream.config.name, DURABLE_EVENTS_CONSUMER)).num_pending;
    }
    return pending;
  } finally {
    await connection.close();
  }
}

/** Retries on a compressed schedule: three attempts, a few hundred ms apart. */
const RESILIENCE_ENV = {
  WEBHOOK_RETRY_SCHEDULE: '500ms,500ms',
  WEBHOOK_DISABLE_AFTER: '1h',
  WEBHOOK_HTTP_TIMEOUT_MS: '6000',
  WEBHOOK_LEASE_MS: '11000',
};

async function logoutMany(base: string, vendors: Vendor[], count: number): Promise<void> {
  await inBatches(count, 16, async () => logout(base, (await sessionHandedTo(base, vendors)).sid));
}

async function allDelivered(base: string, endpoint: Endpoint, count: number, timeoutMs = 60_000) {
  return eventually(
    `${count} delivered messages`,
    async () => {
      const messages = await messagesOf(base, endpoint.id);
      return messages.length === count && messages.every((m) => m.status === 'delivered') ? messages : undefined;
    },
    timeoutMs,
  );
}

describe(`webhook delivery survives failures (${mode} mode)`, () => {
  let stack: Stack;
  let base: string;
  const receivers: WebhookReceiver[] = [];

  beforeAll(async () => {
    stack = await startStack({ env: RESILIENCE_ENV });
    base = stack.baseUrl;
  }, 90_000);

  afterEach(async () => {
    for (const r of receivers.splice(0)) await r.close();
  });

  afterAll(async () => {
    await stack?.stop();
  }, 60_000);

  async function endpointAt(url: string, vendor: Vendor): Promise<{ endpoint: Endpoint; secrets: string[] }> {
    const endpoint = await createEndpoint(base, vendor, { url });
    return { endpoint, secrets: [endpoint.secret!] };
  }

  it('receiver down, then up: every message delivered after, with the ids of the delivery log', async () => {
    const port = await freePort();
    const vendor = await createVendor(base);
    const { endpoint, secrets } = await endpointAt(`http://127.0.0.1:${port}/hooks`, vendor);
    await logoutMany(base, [vendor], 40);
    // Every message fails at least once while nothing listens.
    const failing = await eventually('40 failed attempts', async () => {
      const messages = await messagesOf(base, endpoint.id);
      return messages.length === 40 && messages.every((m) => m.attempts >= 1) ? messages : undefined;
    });
    expect(failing.every((m) => m.status !== 'delivered')).toBe(true);

    const rx = await WebhookReceiver.start({ port, secrets: () => secrets });
    receivers.push(rx);
    // The last scheduled retry may be over: replay what exhausted its attempts while the receiver was down.
    await admin(base, 'POST', `/webhooks/${endpoint.id}/replay`, {
      since: new Date(Date.now() - 600_000).toISOString(),
      until: new Date(Date.now() + 60_000).toISOString(),
      only_failed: true,
    });
    const delivered = await allDelivered(base, endpoint, 40);
    expect([...rx.acceptedIds()].sort()).toEqual(delivered.map((m) => m.id).sort());
    expect(rx.deliveries.every((d) => d.verified)).toBe(true);
  }, 90_000);

  it('a restart of the whole stack with deliveries pending loses nothing', async () => {
    const port = await freePort();
    const vendor = await createVendor(base);
    const { endpoint, secrets } = await endpointAt(`http://127.0.0.1:${port}/hooks`, vendor);
    // A slow receiver keeps messages in flight across the restart.
    const rx = await WebhookReceiver.start({
      port,
      secrets: () => secrets,
      answer: () => ({ status: 200, delayMs: 3000 }),
    });
    receivers.push(rx);
    await logoutMany(base, [vendor], 30);
    await rx.waitFor((r) => r.deliveries.length >= 1, 15_000, 'the first delivery');

    await stack.restart();
    base = stack.baseUrl;
    rx.setAnswer(() => ({ status: 204 }));
    const delivered = await allDelivered(base, endpoint, 30, 90_000);
    expect(new Set(delivered.map((m) => m.id))).toEqual(rx.acceptedIds());
  }, 180_000);

  it('FI-07: a poison endpoint never holds the healthy ones back, and ends failed and replayable', async () => {
    const vendors = [await createVendor(base), await createVendor(base), await createVendor(base)];
    const rxs: WebhookReceiver[] = [];
    const endpoints: Endpoint[] = [];
    for (const [i, vendor] of vendors.entries()) {
      const secrets: string[] = [];
      const rx = await WebhookReceiver.start({
        secrets: () => secrets,
        answer: () => ({ status: i === 0 ? 500 : 204 }),
      });
      receivers.push(rx);
      rxs.push(rx);
      const endpoint = await createEndpoint(base, vendor, { url: `${rx.url}/hooks` });
      secrets.push(endpoint.secret!);
      endpoints.push(endpoint);
    }
    const count = 150;
    const started = Date.now();
    await logoutMany(base, vendors, count);
    for (const rx of rxs.slice(1)) await rx.waitFor((r) => r.acceptedIds().size >= count, 30_000, 'healthy deliveries');
    const healthyMs = Date.now() - started;
    console.log(`FI-07: ${count} logouts; both healthy endpoints had every delivery ${healthyMs} ms after the first`);

    const exhausted = await eventually(
      'the poison endpoint exhausted',
      async () => {
        const messages = await messagesOf(base, endpoints[0].id);
        return messages.length === count && messages.every((m) => m.status === 'failed') ? messages : undefined;
      },
      60_000,
    );
    expect(exhausted.every((m) => m.attempts === 3)).toBe(true);

    rxs[0].setAnswer(() => ({ status: 204 }));
    await admin(base, 'POST', `/webhooks/${endpoints[0].id}/replay`, {
      since: new Date(started - 60_000).toISOString(),
      until: new Date(Date.now() + 60_000).toISOString(),
      only_failed: true,
    });
    await allDelivered(base, endpoints[0], count);
  }, 150_000);

  onlyIn('distributed')('crashes', () => {
    it('FI-05: kill -9 of the dispatcher mid-delivery, five times: every message delivered, same ids', async () => {
      const vendor = await createVendor(base);
      const secrets: string[] = [];
      const rx = await WebhookReceiver.start({
        secrets: () => secrets,
        answer: () => ({ status: 200, delayMs: 5000 }),
      });
      receivers.push(rx);
      const endpoint = await createEndpoint(base, vendor, { url: `${rx.url}/hooks` });
      secrets.push(endpoint.secret!);
      const count = 20;
      await logoutMany(base, [vendor], count);

      for (let kill = 0; kill < 5; kill++) {
        const seen = rx.deliveries.length;
        await rx.waitFor((r) => r.deliveries.length > seen, 30_000, `a delivery in flight before kill ${kill + 1}`);
        await sleep(2000);
        await stack.restartProcess('webhooks', 'SIGKILL');
      }
      const delivered = await allDelivered(base, endpoint, count, 90_000);
      const ids = new Set(delivered.map((m) => m.id));
      expect(new Set(rx.deliveries.map((d) => d.webhookId))).toEqual(ids);
      expect(rx.deliveries.every((d) => d.verified)).toBe(true);
      const duplicates = rx.deliveries.length - ids.size;
      console.log(`FI-05: ${count} messages, 5 kills, ${rx.deliveries.length} requests (${duplicates} repeats)`);
      expect(duplicates).toBeLessThanOrEqual(5 * count);
    }, 240_000);

    it('FI-06: kill -9 of the token app during a burst of logouts: every acknowledged logout reaches its vendor once', async () => {
      const vendor = await createVendor(base);
      const secrets: string[] = [];
      const rx = await WebhookReceiver.start({ secrets: () => secrets });
      receivers.push(rx);
      const endpoint = await createEndpoint(base, vendor, { url: `${rx.url}/hooks` });
      secrets.push(endpoint.secret!);
      const sessions = await inBatches(60, 16, () => sessionHandedTo(base, [vendor]));

      let acknowledged = 0;
      const burst = inBatches(sessions.length, 8, async (i) => {
        const res = await fetch(`${base}/t/demo/api/sessions/${sessions[i].sid}`, {
          method: 'DELETE',
          headers: { authorization: 'Bearer demo-host-key' },
        });
        await res.arrayBuffer();
        expect([204, 503]).toContain(res.status);
        if (res.status === 204) acknowledged++;
        return res.status;
      });
      await sleep(150);
      await stack.restartProcess('token', 'SIGKILL');
      const statuses = await burst;
      // Logouts answered 503 during the crash are retried by the host (the call is idempotent).
      for (const [i, status] of statuses.entries()) if (status === 503) await logout(base, sessions[i].sid);

      const delivered = await allDelivered(base, endpoint, sessions.length, 60_000);
      expect(delivered).toHaveLength(sessions.length);
      expect(rx.acceptedIds().size).toBe(sessions.length);
      console.log(
        `FI-06: ${acknowledged} of ${sessions.length} logouts acknowledged around the crash; all delivered once`,
      );
    }, 120_000);
  });
});

onlyIn('distributed')('FI-04: NATS restart and crash with events in the stream (private nats-server)', () => {
  let nats: PrivateNats;
  let stack: Stack;
  let base: string;
  let rx: WebhookReceiver;
  let endpoint: Endpoint;
  let vendor: Vendor;

  beforeAll(async () => {
    nats = await PrivateNats.start();
    stack = await startStack({ env: { ...RESILIENCE_ENV, NATS_URL: nats.url } });
    base = stack.baseUrl;
    vendor = await createVendor(base);
    const secrets: string[] = [];
    rx = await WebhookReceiver.start({ secrets: () => secrets });
    endpoint = await createEndpoint(base, vendor, { url: `${rx.url}/hooks` });
    secrets.push(endpoint.secret!);
  }, 90_000);

  afterAll(async () => {
    await rx?.close();
    await stack?.stop();
    await nats?.destroy();
  }, 60_000);

  it.each([
    ['a clean restart', 'stop'],
    ['kill -9', 'kill9'],
  ] as const)(
    '%s of nats-server loses no event that JetStream acknowledged',
    async (_, how) => {
      const before = (await messagesOf(base, endpoint.id)).length;
      const count = 100;
      // The dispatcher is down: the relay's events wait in the stream, acknowledged by JetStream only.
      await stack.restartProcess('webhooks', 'SIGTERM', async () => {
        await logoutMany(base, [vendor], count);
        // The relay publishes right after each commit: the events are in the stream, not yet consumed.
        const pending = await eventually(`${count} events pending in the stream`, async () => {
          const n = await pendingInStream(nats.url);
          return n >= count ? n : undefined;
        });
        expect(pending).toBeGreaterThanOrEqual(count); // with the sessions' session.created events
        if (how === 'stop') await nats.stop();
        else await nats.kill9();
        await nats.spawn();
      });
      const delivered = await allDelivered(base, endpoint, before + count, 90_000);
      expect(rx.acceptedIds().size).toBe(delivered.length);
    },
    180_000,
  );
});
