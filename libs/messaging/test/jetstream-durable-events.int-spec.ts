/**
 * JetStreamDurableEvents against the machine's real NATS JetStream: each test on a stream of its own (a subject
 * prefix under this run's, deleted afterwards). Real: NATS, JetStream, the durable consumer. Mocked: nothing;
 * the handler is the test's.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { DurableEvent } from '#contracts';
import {
  connectNats,
  DURABLE_EVENTS_CONSUMER,
  DurableStreams,
  JetStreamDurableEvents,
  type DurableEventSubscription,
  type JetStreamDurableEventsOptions,
} from '#messaging';
import { currentTestRun, uniqueName } from '#testing';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ms = (nanos: number) => nanos / 1_000_000;
const tenantId = '11111111-1111-4111-8111-111111111111';

function event(overrides: Partial<DurableEvent> = {}): DurableEvent {
  return {
    id: `evt_${randomBytes(24).toString('base64url')}`,
    type: 'session.logged_out',
    tenantId,
    occurredAt: new Date().toISOString(),
    vendors: ['vendor-a'],
    data: { session_id: randomBytes(32).toString('base64url'), sub: randomUUID(), reason: 'host_logout' },
    ...overrides,
  } as DurableEvent;
}

async function eventually<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

class Log {
  readonly errors: string[] = [];
  readonly warnings: string[] = [];
  warn = (message: string) => void this.warnings.push(message);
  error = (message: string) => void this.errors.push(message);
}

describe(JetStreamDurableEvents.name, () => {
  const run = currentTestRun();
  let connection: NatsConnection;
  let manager: JetStreamManager;
  let streams: DurableStreams;
  const created: JetStreamDurableEvents[] = [];
  const subscriptions: DurableEventSubscription[] = [];

  /** A transport on a stream of the test's own. */
  const transport = (options: Partial<JetStreamDurableEventsOptions> = {}) => {
    const sut = new JetStreamDurableEvents(streams, { subjectPrefix: uniqueName(run.subjectPrefix), ...options });
    created.push(sut);
    return sut;
  };
  const subscribe = async (sut: JetStreamDurableEvents, handler: (events: DurableEvent[]) => Promise<void>) => {
    const subscription = await sut.subscribe(handler);
    subscriptions.push(subscription);
    return subscription;
  };
  const consumerInfo = (sut: JetStreamDurableEvents) => manager.consumers.info(sut.stream, DURABLE_EVENTS_CONSUMER);

  beforeAll(async () => {
    connection = await connectNats({
      url: run.natsUrl,
      subjectPrefix: run.subjectPrefix,
      requestTimeoutMs: 2000,
      name: 'int-test-durable-events',
    });
    manager = await jetstreamManager(connection);
    streams = await DurableStreams.open(connection);
  });

  afterEach(async () => {
    await Promise.all(subscriptions.splice(0).map((s) => s.stop()));
    await Promise.all(created.splice(0).map((sut) => streams.deleteStream(sut.stream).catch(() => false)));
  });

  afterAll(async () => {
    await connection?.drain();
  });

  describe('ensureStream', () => {
    it('should create a file-backed <prefix>_EVENTS stream on <prefix>.events.> with a 2 min duplicate window and 7 days max age', async () => {
      const sut = transport();
      await sut.ensureStream();
      await sut.ensureStream();

      const info = await manager.streams.info(sut.stream);
      expect(sut.stream).toMatch(/^test_[0-9a-f]+_[0-9a-f]+_EVENTS$/);
      expect(info.config).toMatchObject({
        storage: 'file',
        subjects: [`${sut.stream.replace(/_EVENTS$/, '')}.events.>`],
      });
      expect(ms(info.config.duplicate_window)).toBe(120_000);
      expect(ms(info.config.max_age)).toBe(7 * 24 * 3600_000);
    });
  });

  describe('publish', () => {
    it('should store an event published twice with the same id once (Nats-Msg-Id = event id, FI-06)', async () => {
      const sut = transport();
      const once = event();

      await sut.publish([once]);
      await sut.publish([once]);
      await sut.publish([event(), event({ type: 'session.created' } as Partial<DurableEvent>)]);

      const info = await manager.streams.info(sut.stream);
      expect(info.state.messages).toBe(3);
      const first = await manager.streams.getMessage(sut.stream, { seq: 1 });
      expect(first?.subject).toBe(sut.subjectOf('session.logged_out'));
      expect(first?.json()).toEqual(once);
    });

    it('should reject when the stream is gone rather than lose the event, and make it again on the next attempt', async () => {
      const sut = transport();
      await sut.ensureStream();
      await streams.deleteStream(sut.stream);

      await expect(sut.publish([event()])).rejects.toThrow();
      await sut.publish([event()]);

      await expect(manager.streams.info(sut.stream)).resolves.toMatchObject({ state: { messages: 1 } });
    });
  });

  describe('subscribe', () => {
    it('should hand the events to the handler and acknowledge them once it resolves', async () => {
      const sut = transport();
      const received: DurableEvent[] = [];
      await subscribe(sut, async (events) => void received.push(...events));
      const sent = [event(), event(), event()];

      await sut.publish(sent);

      await eventually('the three events', () => (received.length >= 3 ? true : undefined));
      expect(received.map((e) => e.id).sort()).toEqual(sent.map((e) => e.id).sort());
      const info = await eventually('every event acknowledged', async () => {
        const i = await consumerInfo(sut);
        return i.num_ack_pending === 0 && i.num_pending === 0 ? i : undefined;
      });
      expect(info.config).toMatchObject({
        durable_name: 'webhooks-dispatcher',
        ack_policy: 'explicit',
        max_deliver: 1000,
        filter_subject: `${sut.stream.replace(/_EVENTS$/, '')}.events.>`,
      });
      expect(ms(info.config.ack_wait ?? 0)).toBe(30_000);
      expect(info.num_redelivered).toBe(0);
    });

    it('should redeliver a batch the handler rejected, after about a second', async () => {
      const sut = transport();
      const deliveries: Array<{ id: string; at: number }> = [];
      await subscribe(sut, async (events) => {
        for (const e of events) deliveries.push({ id: e.id, at: Date.now() });
        if (deliveries.length === 1) throw new Error('database down');
      });
      const sent = event();

      await sut.publish([sent]);

      await eventually('the redelivery', () => (deliveries.length >= 2 ? true : undefined));
      expect(deliveries.map((d) => d.id)).toEqual([sent.id, sent.id]);
      expect(deliveries[1].at - deliveries[0].at).toBeGreaterThanOrEqual(900);
      await eventually('the redelivered event acknowledged', async () =>
        (await consumerInfo(sut)).num_ack_pending === 0 ? true : undefined,
      );
      await sleep(1500);
      expect(deliveries).toHaveLength(2);
    });

    it('should terminate messages that are not durable events, log them, and go on with the rest (poison)', async () => {
      const log = new Log();
      const sut = transport({ logger: log });
      const received: DurableEvent[] = [];
      await subscribe(sut, async (events) => void received.push(...events));
      const subject = sut.subjectOf('session.logged_out');

      await streams.publish(subject, '{not json', `poison-${randomUUID()}`);
      await streams.publish(subject, JSON.stringify({ ...event(), id: 'evt_short' }), `poison-${randomUUID()}`);
      await streams.publish(subject, JSON.stringify({ ...event(), extra: true }), `poison-${randomUUID()}`);
      const good = event();
      await sut.publish([good]);

      await eventually('the good event', () => (received.length > 0 ? true : undefined));
      await eventually('three poison messages logged', () => (log.errors.length >= 3 ? true : undefined));
      await sleep(1500);
      expect(received.map((e) => e.id)).toEqual([good.id]);
      expect(log.errors).toHaveLength(3);
      expect(log.errors.join('\n')).toContain('terminated message');
      const info = await consumerInfo(sut);
      expect(info).toMatchObject({ num_ack_pending: 0, num_pending: 0, num_redelivered: 0 });
    });

    it('should not let one event the handler cannot take hold back the others of its batch', async () => {
      const sut = transport();
      const bad = event();
      const accepted = new Set<string>();
      let badSeen = 0;
      await subscribe(sut, async (events) => {
        if (events.some((e) => e.id === bad.id)) {
          badSeen++;
          throw new Error('cannot take this one');
        }
        for (const e of events) accepted.add(e.id);
      });
      const good = Array.from({ length: 20 }, () => event());

      await sut.publish([...good.slice(0, 10), bad, ...good.slice(10)]);

      await eventually('every good event', () => (good.every((e) => accepted.has(e.id)) ? true : undefined));
      await eventually('the bad one redelivered', () => (badSeen >= 2 ? true : undefined));
      expect(accepted.has(bad.id)).toBe(false);
    });

    it('should share the consumer between replicas: each event handled once', async () => {
      const sut = transport();
      const seen: string[] = [];
      await subscribe(sut, async (events) => void seen.push(...events.map((e) => e.id)));
      await subscribe(sut, async (events) => void seen.push(...events.map((e) => e.id)));
      const sent = Array.from({ length: 300 }, () => event());

      await sut.publish(sent);

      await eventually('all 300 events', () => (new Set(seen).size === 300 ? true : undefined));
      await sleep(500);
      expect(seen).toHaveLength(300);
    });

    it('should report progress on a batch that outlasts ack_wait, so it is not redelivered in parallel (FI-05)', async () => {
      const sut = transport({ ackWaitMs: 1000 });
      const deliveries: string[] = [];
      await subscribe(sut, async (events) => {
        deliveries.push(...events.map((e) => e.id));
        await sleep(2500);
      });
      const slow = event();

      await sut.publish([slow]);

      await eventually('the batch acknowledged', async () =>
        deliveries.length > 0 && (await consumerInfo(sut)).num_ack_pending === 0 ? true : undefined,
      );
      expect(deliveries).toEqual([slow.id]);
      await expect(consumerInfo(sut)).resolves.toMatchObject({ num_redelivered: 0 });
    });

    it('should hand over at most batchSize events per call', async () => {
      const sut = transport({ batchSize: 16 });
      const sizes: number[] = [];
      let total = 0;
      await subscribe(sut, async (events) => {
        sizes.push(events.length);
        total += events.length;
        await sleep(20);
      });

      await sut.publish(Array.from({ length: 100 }, () => event()));

      await eventually('all 100 events', () => (total === 100 ? true : undefined));
      expect(Math.max(...sizes)).toBeLessThanOrEqual(16);
      expect(sizes.length).toBeLessThan(100);
    });
  });

  describe('stop', () => {
    it('should let the batch in hand finish and acknowledge it, then take no more', async () => {
      const sut = transport();
      let started!: () => void;
      const handling = new Promise<void>((resolve) => (started = resolve));
      const handled: string[] = [];
      const subscription = await sut.subscribe(async (events) => {
        started();
        await sleep(500);
        handled.push(...events.map((e) => e.id));
      });
      const first = event();
      await sut.publish([first]);
      await handling;

      const stopping = Date.now();
      await subscription.stop();

      expect(Date.now() - stopping).toBeGreaterThanOrEqual(300);
      expect(handled).toEqual([first.id]);
      await eventually('the batch acknowledged', async () =>
        (await consumerInfo(sut)).num_ack_pending === 0 ? true : undefined,
      );
      await sut.publish([event()]);
      await sleep(500);
      expect(handled).toEqual([first.id]);
      await expect(consumerInfo(sut)).resolves.toMatchObject({ num_pending: 1 });
    });
  });
});
