/**
 * Session events end to end in distributed mode's shape. Real: Redis (a key prefix of the spec's own),
 * PostgreSQL (this run's database, reached through a TCP proxy the test can cut), the outbox relay, JetStream (a
 * stream of the spec's own) and its durable consumer. Wired by hand: the token services (see token-fixture.ts),
 * whose bus is a fake that answers vendor lookups.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { DataSource } from 'typeorm';
import type { DurableEvent } from '#contracts';
import {
  connectNats,
  DurableStreams,
  JetStreamDurableEvents,
  OutboxRelay,
  type DurableEventSubscription,
} from '#messaging';
import { openDatabase, RedisShortLivedStore } from '#storage';
import { currentTestRun, uniqueName } from '#testing';
import { sessionEventId } from '../src/events/session-events.js';
import { TOKEN_SCHEMA, TokenOutbox } from '../src/events/token-outbox.js';
import { sessionHandle } from '../src/sessions/session-handle.js';
import { tokenDatabase } from '../src/token.database.js';
import { TcpProxy } from './tcp-proxy.js';
import { buildTokenServices, tenantId } from './token-fixture.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const userId = '22222222-2222-4222-8222-222222222222';

async function eventually<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

describe('session events (Redis, PostgreSQL, outbox relay, JetStream)', () => {
  const run = currentTestRun();
  const stores: RedisShortLivedStore[] = [];
  const warnings: string[] = [];
  const received: DurableEvent[] = [];
  let proxy: TcpProxy;
  let database: DataSource;
  let connection: NatsConnection;
  let events: JetStreamDurableEvents;
  let subscription: DurableEventSubscription;
  let outbox: TokenOutbox;

  const store = async () => {
    const s = await RedisShortLivedStore.connect({
      url: run.redisUrl,
      keyPrefix: `${run.redisPrefix}token-events-${randomBytes(4).toString('hex')}:`,
    });
    stores.push(s);
    return s;
  };
  const receivedEvent = (id: string) => eventually(`event ${id}`, () => received.find((e) => e.id === id));

  beforeAll(async () => {
    const url = new URL(run.databaseUrl);
    proxy = await TcpProxy.start({ host: url.hostname, port: Number(url.port || 5432) });
    url.port = String(proxy.port);
    database = await openDatabase({ kind: 'postgres', url: url.toString(), poolSize: 4 }, tokenDatabase);
    connection = await connectNats({
      url: run.natsUrl,
      subjectPrefix: run.subjectPrefix,
      requestTimeoutMs: 2000,
      name: 'int-token-events',
    });
    events = new JetStreamDurableEvents(await DurableStreams.open(connection), {
      subjectPrefix: uniqueName(run.subjectPrefix),
    });
    subscription = await events.subscribe(async (batch) => void received.push(...batch));
    const logger = { warn: (m: string) => void warnings.push(m), error: (m: string) => void warnings.push(m) };
    const relay = new OutboxRelay(database, TOKEN_SCHEMA, events, logger, { pollIntervalMs: 100, maxBackoffMs: 300 });
    outbox = new TokenOutbox(database, relay);
    outbox.onApplicationBootstrap();
  });

  afterAll(async () => {
    await outbox?.onModuleDestroy();
    await subscription?.stop();
    await (await jetstreamManager(connection)).streams.delete(events.stream).catch(() => false);
    await connection?.drain();
    await database?.destroy();
    await proxy?.close();
    await Promise.all(stores.map((s) => s.close()));
  });

  it('should publish session.created, then session.logged_out to the vendors the session was handed to', async () => {
    const t = buildTokenServices(await store(), {}, { outbox });
    const sessionId = await t.openSession();
    const handle = sessionHandle(sessionId);
    await t.issue(sessionId, 'vendor-a');
    await t.issue(sessionId, 'vendor-b');

    await expect(t.sessions.end({ tenantId, sessionId, reason: 'host_logout' })).resolves.toEqual({ ended: true });

    await expect(receivedEvent(sessionEventId(tenantId, handle, 'session.created'))).resolves.toMatchObject({
      type: 'session.created',
      data: { session_id: handle, sub: userId, auth_method: 'host' },
    });
    await expect(receivedEvent(sessionEventId(tenantId, handle, 'session.logged_out'))).resolves.toMatchObject({
      type: 'session.logged_out',
      tenantId,
      vendors: ['vendor-a', 'vendor-b'],
      data: { session_id: handle, sub: userId, reason: 'host_logout' },
    });
    const rows: Array<{ published: boolean }> = await database.query(
      `SELECT published_at IS NOT NULL AS published FROM token.outbox WHERE id = ANY($1)`,
      [[sessionEventId(tenantId, handle, 'session.created'), sessionEventId(tenantId, handle, 'session.logged_out')]],
    );
    expect(rows).toEqual([{ published: true }, { published: true }]);
  });

  it('should refuse a logout within 2 s while PostgreSQL is down, keep the session alive, and announce it after (FI-08)', async () => {
    const t = buildTokenServices(await store(), {}, { outbox });
    const sessionId = await t.openSession();
    const { code } = await t.issue(sessionId, 'vendor-a');
    const { access_token } = await t.exchange(code);

    await proxy.cut();
    try {
      const started = Date.now();
      await expect(t.sessions.end({ tenantId, sessionId, reason: 'host_logout' })).rejects.toMatchObject({
        code: 'temporarily_unavailable',
      });
      expect(Date.now() - started).toBeLessThan(2000);
      await expect(t.openSession()).rejects.toMatchObject({ code: 'temporarily_unavailable' });

      await expect(t.sessions.get(tenantId, sessionId)).resolves.toMatchObject({ sid: sessionHandle(sessionId) });
      await expect(t.introspect(access_token)).resolves.toMatchObject({ active: true });
      await expect(t.issue(sessionId, 'vendor-b')).resolves.toMatchObject({ code: expect.any(String) });
    } finally {
      await proxy.restore();
    }

    await expect(t.sessions.end({ tenantId, sessionId, reason: 'host_logout' })).resolves.toEqual({ ended: true });
    await expect(t.introspect(access_token)).resolves.toEqual({ active: false });
    const handle = sessionHandle(sessionId);
    await expect(receivedEvent(sessionEventId(tenantId, handle, 'session.logged_out'))).resolves.toMatchObject({
      vendors: ['vendor-a', 'vendor-b'],
      data: { session_id: handle, reason: 'host_logout' },
    });
  });

  it('should give one event per expired session when several token replicas sweep at once', async () => {
    const shared = await store();
    const creator = buildTokenServices(shared, { sessionTtlSeconds: 60 }, { outbox });
    const sessions = await Promise.all(Array.from({ length: 20 }, () => creator.openSession()));
    await creator.issue(sessions[0], 'vendor-a');
    const later = () => Date.now() + 61_000;
    const replicas = [1, 2, 3].map(() => buildTokenServices(shared, { sessionTtlSeconds: 60 }, { outbox, now: later }));

    const swept = await Promise.all(replicas.map((r) => r.sweeper.sweep()));

    expect(swept.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(20);
    const ids = sessions.map((s) => sessionEventId(tenantId, sessionHandle(s), 'session.logged_out'));
    const [{ count }]: Array<{ count: number }> = await database.query(
      `SELECT count(*)::int AS count FROM token.outbox WHERE id = ANY($1)`,
      [ids],
    );
    expect(count).toBe(20);
    await expect(receivedEvent(ids[0])).resolves.toMatchObject({
      vendors: ['vendor-a'],
      data: { reason: 'expired', session_id: sessionHandle(sessions[0]) },
    });
    await eventually('all 20 expiries', () =>
      ids.every((id) => received.some((e) => e.id === id)) ? true : undefined,
    );
    expect(received.filter((e) => ids.includes(e.id))).toHaveLength(20);
  });
});
