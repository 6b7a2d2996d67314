import type { DataSource } from 'typeorm';
import { DurableEvent, validatePayload } from '#contracts';
import { counter, gauge } from '#observability';
import type { DurableEventPublisher } from './durable-events.js';

/**
 * The transactional outbox (issue #5, FI-06, FI-08): an app that changes state writes the durable event into
 * `<schema>.outbox` with the same transaction (or, when the state lives outside PostgreSQL, before the change,
 * so nothing is acknowledged that is not durable). `OutboxRelay` publishes the rows to the durable stream and
 * marks them only once the publish resolved. A crash at any point therefore republishes, never loses; the
 * stream drops the repeat by its `Nats-Msg-Id` (= the event id), and consumers are idempotent on the id.
 */

/** What `writeOutbox` writes with: an EntityManager inside the caller's transaction, or the DataSource itself. */
export interface OutboxWriter {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  query(sql: string, parameters?: any[]): Promise<any>;
}

/** `warn` and `error` of Nest's `Logger` or pino. */
export interface OutboxLogger {
  warn(message: string): void;
  error(message: string): void;
}

const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;
/** Rows per INSERT: 4 parameters each, far below PostgreSQL's 65,535. */
const WRITE_CHUNK = 1000;

function outboxTable(schema: string): string {
  if (!SCHEMA_PATTERN.test(schema)) throw new Error(`not a schema name: ${JSON.stringify(schema)}`);
  return `"${schema}"."outbox"`;
}

/**
 * The statements that create `<schema>.outbox`, for the owning app's own migration (`for (const sql of
 * outboxMigrationSql('token').up) await q.query(sql)`). `seq` orders publication; a lease (`claimed_until`)
 * lets relay replicas share rows without holding a transaction open across the publish.
 */
export function outboxMigrationSql(schema: string): { up: string[]; down: string[] } {
  const table = outboxTable(schema);
  return {
    up: [
      `CREATE TABLE ${table} (
        id text PRIMARY KEY,
        seq bigserial NOT NULL UNIQUE,
        type text NOT NULL,
        tenant_id uuid NOT NULL,
        event jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        claimed_until timestamptz,
        published_at timestamptz
      )`,
      `CREATE INDEX outbox_unpublished ON ${table} (seq) WHERE published_at IS NULL`,
      `CREATE INDEX outbox_published ON ${table} (published_at) WHERE published_at IS NOT NULL`,
    ],
    down: [`DROP TABLE ${table}`],
  };
}

/**
 * Writes events to `<schema>.outbox` through `writer` (pass the transaction's EntityManager to make them part of
 * it). An event id that is already there is skipped (`ON CONFLICT DO NOTHING`): ids derived from what happened
 * (a session ends once) make a repeated write, by a retry or a racing replica, a no-op. Events are validated
 * first, so no row can become poison for the consumer.
 */
export async function writeOutbox(
  writer: OutboxWriter,
  schema: string,
  events: readonly DurableEvent[],
): Promise<void> {
  const table = outboxTable(schema);
  validateOutboxEvents(events);
  await insertOutboxRows(writer, table, events);
}

function validateOutboxEvents(events: readonly DurableEvent[]): void {
  for (const event of events) {
    try {
      validatePayload(DurableEvent, JSON.parse(JSON.stringify(event)) as unknown);
    } catch (err) {
      // A programming error, not a caller's: it must not look like a bad request.
      throw new Error(`invalid durable event ${String(event.id)}: ${String(err)}`, { cause: err });
    }
  }
}

async function insertOutboxRows(writer: OutboxWriter, table: string, events: readonly DurableEvent[]): Promise<void> {
  for (let start = 0; start < events.length; start += WRITE_CHUNK) {
    const chunk = events.slice(start, start + WRITE_CHUNK);
    const values = chunk.map((_, i) => `($${i * 4 + 1}, $${i * 4 + 2}, $${i * 4 + 3}, $${i * 4 + 4}::jsonb)`);
    const parameters = chunk.flatMap((e) => [e.id, e.type, e.tenantId, JSON.stringify(e)]);
    await writer.query(
      `INSERT INTO ${table} (id, type, tenant_id, event) VALUES ${values.join(', ')} ON CONFLICT (id) DO NOTHING`,
      parameters,
    );
  }
}

interface QueuedWrite {
  events: readonly DurableEvent[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit for outbox writes made outside a transaction (an app whose state lives elsewhere, like the token
 * app's sessions in Redis): writes that arrive while one is being committed wait for it, then go together as
 * one multi-row INSERT, so one round trip and one fsync'd commit serve many callers under load. Nothing waits
 * when the writer is idle (the first write goes at once), and each caller's promise resolves only once the
 * commit that holds its events is done, so nothing is acknowledged before it is durable; if that commit fails,
 * every caller in it gets the error and none of their events was written (one statement; only a single write of
 * more than 1,000 events takes several, as `writeOutbox` does). Each caller's events
 * are validated on its own before they join a group, so an invalid event fails only its own caller.
 */
export class OutboxGroupWriter {
  private readonly table: string;
  private queue: QueuedWrite[] = [];
  private committing = false;

  constructor(
    private readonly writer: OutboxWriter,
    schema: string,
  ) {
    this.table = outboxTable(schema);
  }

  /** Resolves once the events are committed (an id already there is skipped); rejects if their commit failed. */
  write(events: readonly DurableEvent[]): Promise<void> {
    try {
      validateOutboxEvents(events);
    } catch (err) {
      return Promise.reject(err);
    }
    if (events.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ events, resolve, reject });
      if (!this.committing) void this.commitQueued();
    });
  }

  private async commitQueued(): Promise<void> {
    this.committing = true;
    try {
      while (this.queue.length > 0) {
        const group = this.takeGroup();
        // One id once per statement: two callers ending the same session write the same event.
        const byId = new Map<string, DurableEvent>();
        for (const write of group) for (const e of write.events) if (!byId.has(e.id)) byId.set(e.id, e);
        try {
          await insertOutboxRows(this.writer, this.table, [...byId.values()]);
          for (const write of group) write.resolve();
        } catch (err) {
          for (const write of group) write.reject(err);
        }
      }
    } finally {
      this.committing = false;
    }
  }

  /** The queued writes up to one statement's worth of rows (a larger single write still goes whole). */
  private takeGroup(): QueuedWrite[] {
    let rows = 0;
    let taken = 0;
    while (taken < this.queue.length) {
      const next = (this.queue[taken] as QueuedWrite).events.length;
      if (taken > 0 && rows + next > WRITE_CHUNK) break;
      rows += next;
      taken++;
    }
    return this.queue.splice(0, taken);
  }
}

export interface OutboxRelayOptions {
  /** How often the relay looks for rows nobody nudged it about (OUTBOX_POLL_INTERVAL_MS). Default 1000. */
  pollIntervalMs?: number;
  /** Rows per publish, at most 500. */
  batchSize?: number;
  /**
   * How long a claimed row is left to its relay before another may take it (a relay that died after claiming).
   * Well inside the stream's 2 min duplicate window, so a row republished after a lease ran out is deduplicated.
   */
  leaseMs?: number;
  /** Longest wait between attempts while the publisher or the database is down. Default 10 s. */
  maxBackoffMs?: number;
  /** Published rows are deleted this long after publication. Default 24 h. */
  retentionMs?: number;
}

const MAX_BATCH = 500;
const CLEANUP_EVERY_MS = 60_000;
/** The pending gauges are refreshed at most this often (a COUNT per round would cost a query per logout). */
const MEASURE_EVERY_MS = 1000;
/** A nudged round waits this long, so that the writes of a burst go out in one batch. */
const NUDGE_COALESCE_MS = 2;
/** Published rows wait at most this long to be marked by the next claim statement before a round marks them. */
const MARK_DEFER_MS = 50;
const CLEANUP_CHUNK = 10_000;
/**
 * A claim starts at the relay's floor: the row after the last one it claimed at least this long ago. The index
 * `outbox_unpublished` keeps an entry for every published row until a vacuum, and a claim from the lowest `seq`
 * walks them all (3-14 ms a claim over 20,000 published rows, 0.15 ms from the floor). The lag lets a transaction
 * that took its `seq` before a claim and committed after it be found by a later claim from the floor; one slower
 * than that is found by the full claim each poll interval makes, as is a row whose lease ran out.
 */
const FLOOR_LAG_MS = 250;

const pendingGauge = () =>
  gauge('handover_outbox_pending', 'Outbox rows not yet published to the durable stream', ['outbox'] as const);
const oldestGauge = () =>
  gauge('handover_outbox_oldest_pending_seconds', 'Age of the oldest unpublished outbox row', ['outbox'] as const);
const publishedCounter = () =>
  counter('handover_outbox_published_total', 'Outbox rows published to the durable stream', ['outbox'] as const);
const failuresCounter = () =>
  counter('handover_outbox_relay_failures_total', 'Relay rounds that failed (publisher or database down)', [
    'outbox',
  ] as const);

/** Where a claim may start once it is FLOOR_LAG_MS old: the row after the last one a claim took at `at`. */
interface FloorCandidate {
  at: number;
  seq: number;
}

interface ClaimedRow {
  id: string;
  seq: string | number;
  event: DurableEvent | string;
}

/**
 * Publishes an app's outbox: rows in `seq` order, up to 500 at a time. Each round claims rows with a short
 * statement (`FOR UPDATE SKIP LOCKED`, so replicas take different rows) that stamps a lease, publishes them with
 * no connection held (in embedded mode every schema shares PGlite's one connection, and the in-process consumer
 * needs it to commit), and marks them `published_at` only after the publish resolved. A crash after the write
 * and before the publish leaves rows that the next round (or, once their lease ran out, another replica) sends;
 * a crash after the publish and before the mark sends them again, and the stream drops the duplicate.
 *
 * Runs when nudged (right after a write) and every `pollIntervalMs`; backs off while the publisher or the
 * database is down; deletes rows published more than `retentionMs` ago. Claims start at a floor below which it
 * has published everything, except one claim per `pollIntervalMs` from the lowest row (see FLOOR_LAG_MS).
 */
export class OutboxRelay {
  private readonly table: string;
  private readonly pollIntervalMs: number;
  private readonly batchSize: number;
  private readonly leaseMs: number;
  private readonly maxBackoffMs: number;
  private readonly retentionMs: number;
  private readonly pending = pendingGauge();
  private readonly oldest = oldestGauge();
  private readonly published = publishedCounter();
  private readonly failed = failuresCounter();

  private stopped = true;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private failures = 0;
  private lastCleanup = 0;
  private lastMeasure = 0;
  /** A nudged round is scheduled (within NUDGE_COALESCE_MS). */
  private nudgeDue = false;
  /**
   * Ids published and not yet marked because another claim follows at once: that claim statement marks them
   * (one statement per batch under load instead of a claim and a mark), and a round follows within
   * MARK_DEFER_MS in any case. Until marked they
   * stay under this relay's lease, and this relay's claims skip them; a crash before the mark republishes
   * them, which the stream drops as duplicates (the same case as a crash between publish and mark before).
   */
  private unmarked: string[] = [];
  /** The lowest `seq` a claim from the floor looks at (0: every row). See FLOOR_LAG_MS. */
  private floor = 0;
  private floorCandidates: FloorCandidate[] = [];
  private lastFullClaim = 0;

  constructor(
    private readonly dataSource: Pick<DataSource, 'query'>,
    private readonly schema: string,
    private readonly publisher: DurableEventPublisher,
    private readonly logger: OutboxLogger,
    options: OutboxRelayOptions = {},
  ) {
    this.table = outboxTable(schema);
    this.pollIntervalMs = Math.max(10, options.pollIntervalMs ?? 1000);
    this.batchSize = Math.min(MAX_BATCH, Math.max(1, options.batchSize ?? MAX_BATCH));
    this.leaseMs = Math.max(100, options.leaseMs ?? 15_000);
    this.maxBackoffMs = Math.max(this.pollIntervalMs, options.maxBackoffMs ?? 10_000);
    this.retentionMs = options.retentionMs ?? 24 * 3600 * 1000;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Something was just written: publish now, unless a round is running (then one more follows) or backing off. */
  nudge(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    // A round already due within the coalescing delay takes this write too; rescheduling would postpone it.
    if (this.failures === 0 && !this.nudgeDue) {
      this.nudgeDue = true;
      this.schedule(NUDGE_COALESCE_MS);
    }
  }

  /** Stops polling and waits for the round in progress, so nothing is left half-done by a clean shutdown. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await this.markPublished().catch((err: unknown) => {
      this.logger.warn(`outbox ${this.schema}: published rows not marked, they will be sent again: ${String(err)}`);
    });
  }

  /**
   * Publishes everything unpublished and unclaimed now, returning how many rows; rejects when the publisher or
   * the database fails (the rows stay for a later round). For tests and tools; the running relay does this itself.
   */
  async flush(): Promise<number> {
    await this.running;
    const total = await this.publishFrom(0);
    await this.markPublished();
    return total;
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.run(), delayMs);
    this.timer.unref();
  }

  private run(): void {
    this.nudgeDue = false;
    if (this.stopped || this.running) return;
    this.running = this.round().finally(() => {
      this.running = undefined;
      if (this.stopped) return;
      const again = this.again;
      this.again = false;
      const next = this.failures > 0 ? this.backoffMs() : again ? NUDGE_COALESCE_MS : this.pollIntervalMs;
      this.schedule(this.unmarked.length > 0 ? Math.min(next, MARK_DEFER_MS) : next);
    });
  }

  private backoffMs(): number {
    return Math.min(this.maxBackoffMs, this.pollIntervalMs * 2 ** Math.min(this.failures - 1, 16));
  }

  private async round(): Promise<void> {
    try {
      await this.publishFrom(this.claimStart(), () => !this.stopped);
      await this.cleanUp();
      await this.measure();
      if (this.failures > 0)
        this.logger.warn(`outbox ${this.schema}: publishing again after ${this.failures} failed rounds`);
      this.failures = 0;
    } catch (err) {
      this.failures++;
      this.failed.inc({ outbox: this.schema });
      // The first failure, then every tenth: a long outage must not flood the log.
      if (this.failures === 1 || this.failures % 10 === 0) {
        this.logger.warn(
          `outbox ${this.schema}: cannot publish (${this.failures} failed rounds, retrying in ${this.backoffMs()} ms): ${String(err)}`,
        );
      }
    }
  }

  /** Where this round's first claim starts: every row once per poll interval, else the floor. */
  private claimStart(): number {
    const now = Date.now();
    if (now - this.lastFullClaim >= this.pollIntervalMs) {
      this.lastFullClaim = now;
      return 0;
    }
    while (this.floorCandidates.length > 0 && now - (this.floorCandidates[0] as FloorCandidate).at >= FLOOR_LAG_MS) {
      this.floor = Math.max(this.floor, (this.floorCandidates.shift() as FloorCandidate).seq);
    }
    return this.floor;
  }

  /** Publishes batch after batch from `seq` `from` on while they come back full; returns how many rows it sent. */
  private async publishFrom(from: number, keepGoing: () => boolean = () => true): Promise<number> {
    let total = 0;
    for (let start = from; keepGoing();) {
      const batch = await this.publishBatch(start);
      total += batch.sent;
      if (batch.sent < this.batchSize) break;
      start = batch.next; // a full batch: more may be waiting after it
    }
    return total;
  }

  /** Claims, publishes and (now or with the next claim) marks up to a batch of rows from `seq` `from` on. */
  private async publishBatch(from: number): Promise<{ sent: number; next: number }> {
    const marking = this.unmarked;
    const rows: ClaimedRow[] = await this.dataSource.query(
      `WITH marked AS (
         UPDATE ${this.table} SET published_at = now(), claimed_until = NULL WHERE id = ANY($3::text[])
       ), claimed AS (
         UPDATE ${this.table} SET claimed_until = now() + ($1::int * interval '1 millisecond')
         WHERE seq IN (
           SELECT seq FROM ${this.table}
           WHERE published_at IS NULL AND (claimed_until IS NULL OR claimed_until < now())
             AND NOT (id = ANY($3::text[])) AND seq >= $4::bigint
           ORDER BY seq LIMIT $2
           FOR UPDATE SKIP LOCKED)
         RETURNING id, seq, event)
       SELECT id, seq, event FROM claimed ORDER BY seq`,
      [this.leaseMs, this.batchSize, marking, from],
    );
    // Marked with that statement (it committed): a later publish failure must not mark them again.
    if (marking.length > 0) this.unmarked = this.unmarked.slice(marking.length);
    if (rows.length === 0) return { sent: 0, next: from };
    const ids = rows.map((r) => r.id);
    const events = rows.map((r) => (typeof r.event === 'string' ? (JSON.parse(r.event) as DurableEvent) : r.event));
    try {
      await this.publisher.publish(events);
    } catch (err) {
      // Hand the rows back at once rather than at the end of the lease (best effort: the lease covers a failure).
      await this.dataSource
        .query(`UPDATE ${this.table} SET claimed_until = NULL WHERE id = ANY($1) AND published_at IS NULL`, [ids])
        .catch(() => undefined);
      throw err;
    }
    this.unmarked = this.unmarked.concat(ids);
    this.published.inc({ outbox: this.schema }, rows.length);
    const next = Number((rows[rows.length - 1] as ClaimedRow).seq) + 1;
    this.floorCandidates.push({ at: Date.now(), seq: next });
    // Under load another claim follows at once (a full batch, or a write nudged the relay meanwhile): it marks
    // these. Otherwise they are marked now, as before, so an idle relay leaves nothing unmarked.
    if (rows.length < this.batchSize && !this.again) await this.markPublished();
    return { sent: rows.length, next };
  }

  /** Marks what was published and not yet marked, with a statement of its own (flush, stop). */
  private async markPublished(): Promise<void> {
    const marking = this.unmarked;
    if (marking.length === 0) return;
    await this.dataSource.query(
      `UPDATE ${this.table} SET published_at = now(), claimed_until = NULL WHERE id = ANY($1)`,
      [marking],
    );
    this.unmarked = this.unmarked.slice(marking.length);
  }

  private async cleanUp(): Promise<void> {
    const now = Date.now();
    if (now - this.lastCleanup < CLEANUP_EVERY_MS) return;
    await this.dataSource.query(
      `DELETE FROM ${this.table} WHERE seq IN (
         SELECT seq FROM ${this.table}
         WHERE published_at IS NOT NULL AND published_at < now() - ($1::bigint * interval '1 millisecond')
         LIMIT ${CLEANUP_CHUNK})`,
      [this.retentionMs],
    );
    this.lastCleanup = now;
  }

  private async measure(): Promise<void> {
    const now = Date.now();
    if (now - this.lastMeasure < MEASURE_EVERY_MS) return;
    this.lastMeasure = now;
    // The oldest first, by an ordered scan of `outbox_unpublished`: it marks the entries of published rows it
    // passes as dead (once no transaction can see them), and later scans of the index skip them. The claims and
    // the count are bitmap scans, which never mark any: without this each of them walks an entry per row published
    // since the last vacuum (a count over 30,000 published rows: 1.0 ms, 0.07 ms once they are marked).
    const [first]: Array<{ oldest: number | string }> = await this.dataSource.query(
      `SELECT extract(epoch FROM now() - created_at)::float8 AS oldest
       FROM ${this.table} WHERE published_at IS NULL ORDER BY seq LIMIT 1`,
    );
    const [row]: Array<{ pending: number | string }> = await this.dataSource.query(
      `SELECT count(*)::int AS pending FROM ${this.table} WHERE published_at IS NULL`,
    );
    this.pending.set({ outbox: this.schema }, Number(row?.pending ?? 0));
    this.oldest.set({ outbox: this.schema }, Math.max(0, Number(first?.oldest ?? 0)));
  }
}
