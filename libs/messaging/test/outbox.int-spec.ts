/**
 * The outbox and its relay against real databases: this run's PostgreSQL (distributed) and embedded PGlite files
 * (embedded), each with an outbox schema of the test's own, migrated by `outboxMigrationSql`. The FI-06 crash
 * points are simulated by abandoning a relay between its steps, and checked against the machine's real
 * JetStream (a stream of the test's own). Mocked: the publisher where a test needs to fail or hold it.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import type { DurableEvent } from '#contracts';
import {
  connectNats,
  DurableStreams,
  JetStreamDurableEvents,
  OutboxGroupWriter,
  OutboxRelay,
  outboxMigrationSql,
  writeOutbox,
  type DurableEventPublisher,
  type OutboxRelayOptions,
  type OutboxWriter,
} from '#messaging';
import { metricsRegistry } from '#observability';
import { openDatabase, type DatabaseTarget } from '#storage';
import { currentTestRun, uniqueName } from '#testing';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const tenantId = '11111111-1111-4111-8111-111111111111';

function event(): DurableEvent {
  return {
    id: `evt_${randomBytes(24).toString('base64url')}`,
    type: 'session.logged_out',
    tenantId,
    occurredAt: new Date().toISOString(),
    vendors: ['vendor-a'],
    data: { session_id: randomBytes(32).toString('base64url'), sub: randomUUID(), reason: 'host_logout' },
  };
}

async function eventually<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Records what it is given; can be made to fail, or to hold a publish until released. */
/** The part of an `EXPLAIN (FORMAT JSON)` plan node the tests read. */
interface PlanNode {
  'Index Name'?: string;
  'Actual Rows'?: number;
  Plans?: PlanNode[];
}

class TestPublisher implements DurableEventPublisher {
  readonly batches: DurableEvent[][] = [];
  down: Error | undefined;
  private held: { started: () => void; release: Promise<void> } | undefined;

  get ids(): string[] {
    return this.batches.flat().map((e) => e.id);
  }

  async publish(events: readonly DurableEvent[]): Promise<void> {
    if (this.held) {
      const held = this.held;
      this.held = undefined;
      held.started();
      await held.release;
    }
    if (this.down) throw this.down;
    this.batches.push([...events]);
  }

  /** The next publish waits for `release` (then fails or records as usual); resolves once it started waiting. */
  hold(release: Promise<void>): Promise<void> {
    return new Promise((started) => (this.held = { started, release }));
  }
}

const log = () => {
  const warnings: string[] = [];
  return { warnings, warn: (m: string) => void warnings.push(m), error: (m: string) => void warnings.push(m) };
};

const TARGETS: Array<[string, DatabaseTarget['kind']]> = [
  ['PostgreSQL', 'postgres'],
  ['PGlite', 'pglite'],
];

describe.each(TARGETS)('outbox on %s', (_label, kind) => {
  const schema = uniqueName('outbox_int');
  let database: DataSource;
  let dataDir: string | undefined;
  const relays: OutboxRelay[] = [];

  const relay = (publisher: DurableEventPublisher, options: OutboxRelayOptions = {}, logger = log()) => {
    const r = new OutboxRelay(database, schema, publisher, logger, { pollIntervalMs: 60_000, ...options });
    relays.push(r);
    return r;
  };
  const rows = async () =>
    (await database.query(`SELECT id, published_at, claimed_until FROM "${schema}".outbox ORDER BY seq`)) as Array<{
      id: string;
      published_at: Date | null;
      claimed_until: Date | null;
    }>;
  const unpublished = async () => (await rows()).filter((r) => r.published_at === null).map((r) => r.id);

  beforeAll(async () => {
    class CreateOutbox1700000000000 implements MigrationInterface {
      name = 'CreateOutbox1700000000000';
      async up(q: QueryRunner): Promise<void> {
        for (const sql of outboxMigrationSql(schema).up) await q.query(sql);
      }
      async down(q: QueryRunner): Promise<void> {
        for (const sql of outboxMigrationSql(schema).down) await q.query(sql);
      }
    }
    let target: DatabaseTarget;
    if (kind === 'postgres') {
      target = { kind, url: currentTestRun().databaseUrl, poolSize: 6 };
    } else {
      dataDir = await mkdtemp(join(tmpdir(), 'handover-outbox-'));
      target = { kind, dataDir };
    }
    database = await openDatabase(target, {
      app: 'outbox-int',
      schema,
      entities: [],
      migrations: [CreateOutbox1700000000000],
    });
  });

  beforeEach(async () => {
    await Promise.all(relays.splice(0).map((r) => r.stop()));
    await database.query(`DELETE FROM "${schema}".outbox`);
  });

  afterAll(async () => {
    await Promise.all(relays.splice(0).map((r) => r.stop()));
    if (kind === 'postgres') await database?.query(`DROP SCHEMA "${schema}" CASCADE`);
    await database?.destroy();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  describe('writeOutbox', () => {
    it("should write within the caller's transaction: nothing when it rolls back", async () => {
      const [kept, rolledBack] = [event(), event()];

      await database.transaction((tx) => writeOutbox(tx, schema, [kept]));
      await expect(
        database.transaction(async (tx) => {
          await writeOutbox(tx, schema, [rolledBack]);
          throw new Error('the state change failed');
        }),
      ).rejects.toThrow('the state change failed');

      expect((await rows()).map((r) => r.id)).toEqual([kept.id]);
    });

    it('should skip an event id that is already there (once-only events)', async () => {
      const once = event();

      await writeOutbox(database, schema, [once]);
      await writeOutbox(database, schema, [once, once]);

      expect((await rows()).map((r) => r.id)).toEqual([once.id]);
    });

    it('should refuse an event that is not a valid durable event, writing nothing', async () => {
      const bad = { ...event(), id: 'evt_short' };

      await expect(writeOutbox(database, schema, [event(), bad])).rejects.toThrow('invalid durable event evt_short');
      expect(await rows()).toEqual([]);
    });
  });

  describe('OutboxGroupWriter', () => {
    /** The database, with every statement recorded and the first one held until `release`. */
    const heldWriter = () => {
      const statements: string[] = [];
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const writer: OutboxWriter = {
        query: async (sql: string, parameters?: unknown[]) => {
          statements.push(sql);
          if (statements.length === 1) await gate;
          return database.query(sql, parameters);
        },
      };
      return { writer, statements, release };
    };

    it('should commit the writes that arrive during a commit together, each acknowledged after its own commit', async () => {
      const { writer, statements, release } = heldWriter();
      const sut = new OutboxGroupWriter(writer, schema);
      const first = event();
      const later = Array.from({ length: 5 }, () => event());
      const acknowledged: string[] = [];
      const track = (e: DurableEvent, p: Promise<void>) => p.then(() => void acknowledged.push(e.id));

      const writes = [track(first, sut.write([first]))];
      await sleep(20);
      // The same session ended twice: one row.
      writes.push(...later.map((e) => track(e, sut.write([e]))), track(later[0], sut.write([later[0]])));
      await sleep(50);
      expect(acknowledged).toEqual([]);
      expect(await rows()).toEqual([]);

      release();
      await Promise.all(writes);
      expect(statements).toHaveLength(2);
      expect(acknowledged[0]).toBe(first.id);
      expect((await rows()).map((r) => r.id).sort()).toEqual([first, ...later].map((e) => e.id).sort());
    });

    it('should fail every write of a failed commit, and write nothing of them', async () => {
      const { writer, release } = heldWriter();
      const sut = new OutboxGroupWriter(
        {
          query: (sql, parameters) =>
            parameters?.includes(doomed[0].id)
              ? Promise.reject(new Error('database down'))
              : writer.query(sql, parameters),
        },
        schema,
      );
      const first = event();
      const doomed = [event(), event()];
      const firstWrite = sut.write([first]);
      await sleep(20);
      const results = Promise.allSettled(doomed.map((e) => sut.write([e])));
      release();
      await firstWrite;
      expect((await results).map((r) => r.status)).toEqual(['rejected', 'rejected']);
      expect((await rows()).map((r) => r.id)).toEqual([first.id]);

      const after = event();
      await sut.write([after]);
      expect((await rows()).map((r) => r.id)).toEqual([first.id, after.id]);
    });

    it('should refuse an invalid event on its own caller only', async () => {
      const sut = new OutboxGroupWriter(database, schema);
      const good = event();
      const [bad, ok] = await Promise.allSettled([sut.write([{ ...event(), id: 'evt_short' }]), sut.write([good])]);
      expect(bad.status).toBe('rejected');
      expect(String((bad as PromiseRejectedResult).reason)).toContain('invalid durable event evt_short');
      expect(ok.status).toBe('fulfilled');
      expect((await rows()).map((r) => r.id)).toEqual([good.id]);
    });
  });

  describe('OutboxRelay', () => {
    it('should mark a batch published with the statement that claims the next one', async () => {
      const publisher = new TestPublisher();
      await writeOutbox(
        database,
        schema,
        Array.from({ length: 1203 }, () => event()),
      );
      const statements: string[] = [];
      const counting = {
        query: (sql: string, parameters?: unknown[]) => (statements.push(sql), database.query(sql, parameters)),
      };
      const sut = new OutboxRelay(counting, schema, publisher, log(), { pollIntervalMs: 60_000 });

      await expect(sut.flush()).resolves.toBe(1203);

      // Three claims (the second and third also mark), and one mark at the end: not a claim and a mark per batch.
      expect(statements).toHaveLength(4);
      await expect(unpublished()).resolves.toEqual([]);
    });

    it('should mark published rows shortly after a round, without waiting for the next poll', async () => {
      const publisher = new TestPublisher();
      const sut = relay(publisher, { pollIntervalMs: 60_000 });
      sut.start();
      await sleep(100);
      const pending = event();
      await writeOutbox(database, schema, [pending]);
      sut.nudge();
      await eventually('the row marked', async () => ((await unpublished()).length === 0 ? true : undefined), 2_000);
      expect(publisher.ids).toEqual([pending.id]);
    });

    it('should publish in write order, at most 500 per batch, and mark every row published', async () => {
      const publisher = new TestPublisher();
      const events = Array.from({ length: 1203 }, () => event());
      await writeOutbox(database, schema, events);

      await expect(relay(publisher).flush()).resolves.toBe(1203);

      expect(publisher.batches.map((b) => b.length)).toEqual([500, 500, 203]);
      expect(publisher.ids).toEqual(events.map((e) => e.id));
      expect(publisher.batches[0][0]).toEqual(events[0]);
      await expect(unpublished()).resolves.toEqual([]);
      await expect(relay(publisher).flush()).resolves.toBe(0);
    });

    it('should mark nothing when the publish fails, and hand the rows back for the next round at once', async () => {
      const publisher = new TestPublisher();
      const events = [event(), event()];
      await writeOutbox(database, schema, events);
      publisher.down = new Error('NATS down');
      const sut = relay(publisher);

      await expect(sut.flush()).rejects.toThrow('NATS down');
      expect(await rows()).toEqual(
        events.map((e) => expect.objectContaining({ id: e.id, published_at: null, claimed_until: null })),
      );

      publisher.down = undefined;
      await expect(sut.flush()).resolves.toBe(2);
      expect(publisher.ids).toEqual(events.map((e) => e.id));
    });

    // PGlite has one connection: a transaction left open would hold the relay's own statements.
    if (kind === 'postgres') {
      it('should claim from its floor, and publish a row committed below it with the next full claim', async () => {
        const publisher = new TestPublisher();
        const sut = relay(publisher, { pollIntervalMs: 3_000 });
        sut.start();
        await sleep(50); // the first round, a full claim, finds nothing
        const [straggler, first, second] = [event(), event(), event()];
        const published = (e: DurableEvent) => () => (publisher.ids.includes(e.id) ? true : undefined);
        const open = database.createQueryRunner();
        await open.startTransaction();
        try {
          await writeOutbox(open, schema, [straggler]); // takes the lowest seq, commits last
          await writeOutbox(database, schema, [first]);
          sut.nudge();
          await eventually('the first row', published(first));
          await sleep(400); // the floor moves past the first row's claim
          await writeOutbox(database, schema, [second]);
          sut.nudge();
          await eventually('the second row', published(second));
          await open.commitTransaction();
        } finally {
          await open.release();
        }

        sut.nudge();
        await sleep(200);
        // Claims from the floor no longer look below it...
        expect(publisher.ids).toEqual([first.id, second.id]);
        // ...and the claim from the lowest seq each poll interval finds the row.
        await eventually('the straggler', published(straggler), 6_000);
        await eventually('every row marked', async () => ((await unpublished()).length === 0 ? true : undefined));
      });
    }

    it("should leave the claims' index scans only the unpublished rows' entries after its gauge ran", async () => {
      const indexEntriesScanned = async (): Promise<number> => {
        const [{ 'QUERY PLAN': plan }] = (await database.query(
          `EXPLAIN (ANALYZE, FORMAT JSON) SELECT count(*) FROM "${schema}".outbox WHERE published_at IS NULL`,
        )) as Array<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>;
        const scans = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(scans)];
        const index = scans(plan[0]!.Plan).find((n) => n['Index Name'] === 'outbox_unpublished');
        return index?.['Actual Rows'] ?? 0;
      };
      await writeOutbox(
        database,
        schema,
        Array.from({ length: 1000 }, () => event()),
      );
      await expect(relay(new TestPublisher()).flush()).resolves.toBe(1000);
      await writeOutbox(database, schema, [event()]);
      // Published rows leave the partial index only at a vacuum: until then a scan meets their entries.
      expect(await indexEntriesScanned()).toBeGreaterThan(1000);

      const sut = relay(new TestPublisher(), { pollIntervalMs: 50 });
      sut.start();
      try {
        await eventually('the entries of published rows marked', async () =>
          (await indexEntriesScanned()) <= 1 ? true : undefined,
        );
      } finally {
        await sut.stop();
      }
    });

    it('should let replicas share the rows: each published once', async () => {
      const publisher = new TestPublisher();
      const events = Array.from({ length: 2000 }, () => event());
      await writeOutbox(database, schema, events);

      const counts = await Promise.all([relay(publisher), relay(publisher), relay(publisher)].map((r) => r.flush()));

      expect(counts.reduce((a, b) => a + b, 0)).toBe(2000);
      expect(publisher.ids.sort()).toEqual(events.map((e) => e.id).sort());
    });

    it('should publish right away when nudged, and by itself every poll interval', async () => {
      const publisher = new TestPublisher();
      const nudged = relay(publisher, { pollIntervalMs: 60_000 });
      nudged.start();
      await sleep(100); // its first round finds nothing
      const first = event();
      await writeOutbox(database, schema, [first]);
      const at = Date.now();
      nudged.nudge();
      await eventually('the nudged event', () => (publisher.ids.includes(first.id) ? true : undefined));
      expect(Date.now() - at).toBeLessThan(1000);
      await nudged.stop();

      const polling = relay(publisher, { pollIntervalMs: 100 });
      polling.start();
      await sleep(150);
      const second = event();
      await writeOutbox(database, schema, [second]);
      await eventually('the polled event', () => (publisher.ids.includes(second.id) ? true : undefined), 2000);
    });

    it('should back off while the publisher is down and publish the backlog once it is back (FI-08)', async () => {
      const publisher = new TestPublisher();
      publisher.down = new Error('NATS down');
      const logger = log();
      const sut = relay(publisher, { pollIntervalMs: 50, maxBackoffMs: 400 }, logger);
      const backlog = Array.from({ length: 30 }, () => event());
      await writeOutbox(database, schema, backlog);
      const failures = () => metricValue('handover_outbox_relay_failures_total', schema);
      const before = await failures();

      sut.start();
      await sleep(1200);
      const failed = (await failures()) - before;
      // 50, 100, 200, 400, 400 ms...: a handful of rounds, not one every 50 ms.
      expect(failed).toBeGreaterThanOrEqual(3);
      expect(failed).toBeLessThanOrEqual(8);
      expect(logger.warnings.filter((w) => w.includes('cannot publish'))).toHaveLength(1);
      await expect(unpublished()).resolves.toHaveLength(30);

      publisher.down = undefined;
      await eventually('the backlog published', async () => ((await unpublished()).length === 0 ? true : undefined));
      expect(publisher.ids).toEqual(backlog.map((e) => e.id));
      await eventually('the recovery logged', () =>
        logger.warnings.some((w) => w.includes('publishing again')) ? true : undefined,
      );
    });

    it('should wait for the round in progress when stopped', async () => {
      const publisher = new TestPublisher();
      const sut = relay(publisher);
      const pending = event();
      await writeOutbox(database, schema, [pending]);
      let release!: () => void;
      const started = publisher.hold(new Promise<void>((resolve) => (release = resolve)));
      sut.start();
      await started;

      const stopped = sut.stop();
      await sleep(200);
      let done = false;
      void stopped.then(() => (done = true));
      await sleep(50);
      expect(done).toBe(false);
      release();
      await stopped;

      expect(publisher.ids).toEqual([pending.id]);
      await expect(unpublished()).resolves.toEqual([]);
    });

    it('should delete rows published more than 24 h ago, and only those', async () => {
      const [old, recent, waiting] = [event(), event(), event()];
      await writeOutbox(database, schema, [old, recent, waiting]);
      await database.query(`UPDATE "${schema}".outbox SET published_at = now() - interval '25 hours' WHERE id = $1`, [
        old.id,
      ]);
      await database.query(`UPDATE "${schema}".outbox SET published_at = now() - interval '23 hours' WHERE id = $1`, [
        recent.id,
      ]);
      // Another relay holds the third one: it stays unpublished, and must stay.
      await database.query(`UPDATE "${schema}".outbox SET claimed_until = now() + interval '1 hour' WHERE id = $1`, [
        waiting.id,
      ]);
      const sut = relay(new TestPublisher(), { pollIntervalMs: 50 });

      sut.start();
      await eventually('the old row deleted', async () =>
        (await rows()).some((r) => r.id === old.id) ? undefined : true,
      );
      await sut.stop();

      expect((await rows()).map((r) => r.id)).toEqual([recent.id, waiting.id]);
    });

    it('should report the rows pending and the rows published', async () => {
      const publisher = new TestPublisher();
      await writeOutbox(database, schema, [event(), event(), event()]);
      const sut = relay(publisher, { pollIntervalMs: 50 });
      const published = await metricValue('handover_outbox_published_total', schema);
      // Held by another relay at first: pending, and not published by this one.
      await database.query(`UPDATE "${schema}".outbox SET claimed_until = now() + interval '1 hour'`);
      sut.start();
      await eventually('pending = 3', async () =>
        (await metricValue('handover_outbox_pending', schema)) === 3 ? true : undefined,
      );
      await database.query(`UPDATE "${schema}".outbox SET claimed_until = NULL`);
      sut.nudge();
      await eventually('pending = 0', async () =>
        (await metricValue('handover_outbox_pending', schema)) === 0 ? true : undefined,
      );
      expect((await metricValue('handover_outbox_published_total', schema)) - published).toBe(3);
    });

    describe('FI-06: a relay that dies between its steps', () => {
      it('after the write, before the publish: another relay publishes the rows once their lease has run out', async () => {
        const dying = new TestPublisher();
        const events = [event(), event()];
        await writeOutbox(database, schema, events);
        let release!: () => void;
        const started = dying.hold(new Promise<void>((resolve) => (release = resolve)));
        const dead = relay(dying, { leaseMs: 500 }).flush();
        await started; // claimed, and "killed" before its publish returns

        const survivor = new TestPublisher();
        const restarted = relay(survivor, { leaseMs: 500 });
        await expect(restarted.flush()).resolves.toBe(0); // the dead relay's lease still holds
        await sleep(600);
        await expect(restarted.flush()).resolves.toBe(2);

        expect(survivor.ids).toEqual(events.map((e) => e.id));
        await expect(unpublished()).resolves.toEqual([]);
        dying.down = new Error('killed');
        release();
        await expect(dead).rejects.toThrow('killed');
        await expect(unpublished()).resolves.toEqual([]);
      });
    });
  });
});

describe('outbox relay into JetStream (FI-06)', () => {
  const run = currentTestRun();
  const schema = uniqueName('outbox_js');
  let database: DataSource;
  let connection: NatsConnection;
  let events: JetStreamDurableEvents;

  beforeAll(async () => {
    class CreateOutbox1700000000000 implements MigrationInterface {
      name = 'CreateOutbox1700000000000';
      async up(q: QueryRunner): Promise<void> {
        for (const sql of outboxMigrationSql(schema).up) await q.query(sql);
      }
      async down(): Promise<void> {}
    }
    database = await openDatabase(
      { kind: 'postgres', url: run.databaseUrl, poolSize: 4 },
      { app: 'outbox-js-int', schema, entities: [], migrations: [CreateOutbox1700000000000] },
    );
    connection = await connectNats({
      url: run.natsUrl,
      subjectPrefix: run.subjectPrefix,
      requestTimeoutMs: 2000,
      name: 'int-test-outbox',
    });
    events = new JetStreamDurableEvents(await DurableStreams.open(connection), {
      subjectPrefix: uniqueName(run.subjectPrefix),
    });
    await events.ensureStream();
  });

  afterAll(async () => {
    await (await jetstreamManager(connection)).streams.delete(events.stream).catch(() => false);
    await connection?.drain();
    await database?.query(`DROP SCHEMA "${schema}" CASCADE`);
    await database?.destroy();
  });

  const streamMessages = async () =>
    (await (await jetstreamManager(connection)).streams.info(events.stream)).state.messages;

  it('after the publish, before the mark: republished on restart, and stored in the stream once', async () => {
    const logout = event();
    await database.transaction((tx) => writeOutbox(tx, schema, [logout]));
    const before = await streamMessages();
    // The publish reaches the stream, then the relay dies before it can mark the row.
    const dying: DurableEventPublisher = {
      publish: async (batch) => {
        await events.publish(batch);
        throw new Error('killed before marking');
      },
    };
    await expect(new OutboxRelay(database, schema, dying, log(), { leaseMs: 200 }).flush()).rejects.toThrow('killed');
    expect(await streamMessages()).toBe(before + 1);

    await expect(new OutboxRelay(database, schema, events, log()).flush()).resolves.toBe(1);

    expect(await streamMessages()).toBe(before + 1);
    const [row] = (await database.query(`SELECT published_at FROM "${schema}".outbox WHERE id = $1`, [
      logout.id,
    ])) as Array<{
      published_at: Date | null;
    }>;
    expect(row.published_at).not.toBeNull();
  });

  it('after the write, before the publish: published on restart, once', async () => {
    const logout = event();
    await database.transaction((tx) => writeOutbox(tx, schema, [logout]));
    const before = await streamMessages();
    // The process died right after the commit: no relay ran. A fresh one starts.
    const relay = new OutboxRelay(database, schema, events, log(), { pollIntervalMs: 50 });
    relay.start();

    await eventually('the event in the stream', async () =>
      (await streamMessages()) === before + 1 ? true : undefined,
    );
    await relay.stop();
    await expect(new OutboxRelay(database, schema, events, log()).flush()).resolves.toBe(0);
    expect(await streamMessages()).toBe(before + 1);
  });
});

async function metricValue(name: string, outbox: string): Promise<number> {
  const metric = metricsRegistry().getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values.find((v) => v.labels.outbox === outbox)?.value ?? 0;
}
