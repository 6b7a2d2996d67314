import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AttemptOutcome, AttemptTrigger, MessageStatus } from '#contracts';
import { Clock } from '../clock.js';
import { Sql } from '../database/sql.js';
import { WebhookPolicy } from '../webhooks.policy.js';

export interface AttemptRecord {
  attemptedAt: Date;
  trigger: AttemptTrigger;
  outcome: AttemptOutcome;
  statusCode: number | null;
  latencyMs: number;
  responseExcerpt: string | null;
  error: string | null;
}

/** A message's state after a worker is done with it (its lease is released). */
export interface MessageOutcome {
  status: MessageStatus;
  scheduleStep: number;
  nextAttemptAt: Date | null;
  nextTrigger: AttemptTrigger;
  deliveredAt: Date | null;
  lastError: string | null;
}

export interface DeliveryRecord {
  messageId: string;
  /** The claim's lease: a message replayed or re-claimed meanwhile is not overwritten. */
  leaseId: string;
  endpointId: string;
  /** Absent when nothing was sent (the endpoint was disabled, the attempt was deferred). */
  attempt: AttemptRecord | null;
  message: MessageOutcome;
}

interface Pending extends DeliveryRecord {
  queuedAt: number;
}

/** Flush when this many records wait, or this long after the first. */
const MAX_BATCH = 500;
const FLUSH_DELAY_MS = 20;
const RETRY_DELAY_MS = 500;

/** Text PostgreSQL accepts: no NUL (a receiver's answer may hold anything). */
function pgText(value: string | null): string | null {
  return value === null ? null : value.replaceAll('\u0000', '\uFFFD');
}

/**
 * Writes attempt rows, message outcomes and endpoint health in batches: one statement per ~20 ms (or per 500
 * results), instead of three round trips per delivery. Losing a batch (a crash before the flush)
 * only means its messages are claimed again when their leases run out: at-least-once, same webhook-id.
 */
@Injectable()
export class DeliveryRecorder {
  private readonly logger = new Logger('WebhooksRecorder');
  private buffer: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;

  constructor(
    @Inject(Sql) private readonly sql: Sql,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(WebhookPolicy) private readonly policy: WebhookPolicy,
  ) {}

  record(record: DeliveryRecord): void {
    this.buffer.push({ ...record, queuedAt: this.clock.now() });
    this.schedule(this.buffer.length >= MAX_BATCH ? 0 : FLUSH_DELAY_MS);
  }

  /** Resolves once everything recorded so far is written, or after `timeoutMs` of failing to (shutdown). */
  async drain(timeoutMs: number): Promise<void> {
    const until = this.clock.now() + timeoutMs;
    while ((this.buffer.length > 0 || this.flushing) && this.clock.now() < until) {
      await (this.flushing ?? this.flush());
    }
  }

  private schedule(delayMs: number): void {
    if (this.flushing) return; // the running flush schedules the next
    if (this.timer && delayMs > 0) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.flush(), delayMs);
  }

  private flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.flushing || this.buffer.length === 0) return this.flushing ?? Promise.resolve();
    const batch = this.buffer.splice(0, MAX_BATCH);
    this.flushing = this.write(batch)
      .then(
        () => undefined,
        (err: unknown) => {
          // Kept for another try while their leases still hold them; after that, a worker claims them anew.
          const cutoff = this.clock.now() - this.policy.leaseMs;
          const kept = batch.filter((r) => r.queuedAt > cutoff);
          this.buffer.unshift(...kept);
          this.logger.warn(
            `delivery results not written (${batch.length}, ${batch.length - kept.length} given up): ${String(err)}`,
          );
          return new Promise<void>((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
        },
      )
      .finally(() => {
        this.flushing = undefined;
        if (this.buffer.length > 0) this.schedule(this.buffer.length >= MAX_BATCH ? 0 : FLUSH_DELAY_MS);
      });
    return this.flushing;
  }

  /**
   * One statement (its CTEs commit together, atomically): the attempt rows, the message outcomes and endpoint
   * health, in one round trip and one commit instead of BEGIN, three statements and COMMIT.
   */
  private async write(batch: Pending[]): Promise<void> {
    const attempted = batch.filter((r): r is Pending & { attempt: AttemptRecord } => r.attempt !== null);
    const health = endpointHealth(batch);
    // A message deleted meanwhile (its endpoint was removed) takes no attempt row. The messages are updated only
    // under the claim's lease: one replayed or re-claimed meanwhile is not overwritten. `reset` (endpoints): a
    // success in this batch ends the old failing streak; otherwise a running streak keeps its start.
    await this.sql.query(
      `WITH attempt_rows AS (
         INSERT INTO webhooks.attempts
           (message_id, endpoint_id, attempted_at, trigger, outcome, status_code, latency_ms, response_excerpt, error)
         SELECT a.message_id, a.endpoint_id, a.attempted_at, a.trigger, a.outcome, a.status_code, a.latency_ms,
                a.response_excerpt, a.error
           FROM unnest($1::text[], $2::uuid[], $3::timestamptz[], $4::text[], $5::text[], $6::int[], $7::int[],
                       $8::text[], $9::text[])
                AS a(message_id, endpoint_id, attempted_at, trigger, outcome, status_code, latency_ms,
                     response_excerpt, error)
          WHERE EXISTS (SELECT 1 FROM webhooks.messages m WHERE m.id = a.message_id)
       ), message_rows AS (
         UPDATE webhooks.messages m
            SET status = u.status,
                attempts = m.attempts + u.attempted,
                schedule_step = u.schedule_step,
                next_attempt_at = u.next_attempt_at,
                next_trigger = u.next_trigger,
                last_attempt_at = COALESCE(u.last_attempt_at, m.last_attempt_at),
                delivered_at = COALESCE(u.delivered_at, m.delivered_at),
                last_status_code = CASE WHEN u.attempted > 0 THEN u.last_status_code ELSE m.last_status_code END,
                last_error = u.last_error,
                lease_until = NULL,
                lease_id = NULL
           FROM unnest($10::text[], $11::uuid[], $12::text[], $13::int[], $14::int[], $15::timestamptz[],
                       $16::text[], $17::timestamptz[], $18::timestamptz[], $19::int[], $20::text[])
                AS u(id, lease_id, status, attempted, schedule_step, next_attempt_at, next_trigger, last_attempt_at,
                     delivered_at, last_status_code, last_error)
          WHERE m.id = u.id AND m.lease_id = u.lease_id
       )
       UPDATE webhooks.endpoints e
          SET failing_since = CASE WHEN h.reset THEN h.failing_since ELSE COALESCE(e.failing_since, h.failing_since) END
         FROM unnest($21::uuid[], $22::boolean[], $23::timestamptz[]) AS h(id, reset, failing_since)
        WHERE e.id = h.id
          AND e.failing_since IS DISTINCT FROM
              (CASE WHEN h.reset THEN h.failing_since ELSE COALESCE(e.failing_since, h.failing_since) END)`,
      [
        attempted.map((r) => r.messageId),
        attempted.map((r) => r.endpointId),
        attempted.map((r) => r.attempt.attemptedAt.toISOString()),
        attempted.map((r) => r.attempt.trigger),
        attempted.map((r) => r.attempt.outcome),
        attempted.map((r) => r.attempt.statusCode),
        attempted.map((r) => r.attempt.latencyMs),
        attempted.map((r) => pgText(r.attempt.responseExcerpt)),
        attempted.map((r) => pgText(r.attempt.error)),
        // One outcome per message and lease; a later duplicate (never expected) would only repeat the same update.
        batch.map((r) => r.messageId),
        batch.map((r) => r.leaseId),
        batch.map((r) => r.message.status),
        batch.map((r) => (r.attempt ? 1 : 0)),
        batch.map((r) => r.message.scheduleStep),
        batch.map((r) => r.message.nextAttemptAt?.toISOString() ?? null),
        batch.map((r) => r.message.nextTrigger),
        batch.map((r) => r.attempt?.attemptedAt.toISOString() ?? null),
        batch.map((r) => r.message.deliveredAt?.toISOString() ?? null),
        batch.map((r) => r.attempt?.statusCode ?? null),
        batch.map((r) => pgText(r.message.lastError)),
        health.map(([id]) => id),
        health.map(([, h]) => h.sawSuccess),
        health.map(([, h]) => h.failingSince?.toISOString() ?? null),
      ],
    );
  }
}

/**
 * `failing_since`: set at the first failure after a success, cleared by a success. Within a batch the last
 * success of an endpoint decides where its failing streak starts.
 */
function endpointHealth(batch: Pending[]): Array<[string, { sawSuccess: boolean; failingSince: Date | null }]> {
  const health = new Map<string, { sawSuccess: boolean; failingSince: Date | null }>();
  for (const r of batch) {
    if (!r.attempt) continue;
    const h = health.get(r.endpointId) ?? { sawSuccess: false, failingSince: null };
    if (r.attempt.outcome === 'success') {
      h.sawSuccess = true;
      h.failingSince = null;
    } else if (!h.failingSince) h.failingSince = r.attempt.attemptedAt;
    health.set(r.endpointId, h);
  }
  return [...health];
}
