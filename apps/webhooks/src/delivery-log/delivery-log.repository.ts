import { Inject, Injectable } from '@nestjs/common';
import type {
  AttemptOutcome,
  AttemptTrigger,
  AttemptView,
  MessageStatus,
  MessageView,
  WebhookEventType,
} from '#contracts';
import { Sql } from '../database/sql.js';
import { asDate } from '../endpoints/endpoint.record.js';
import type { MessageCursor } from './message-cursor.js';

interface MessageRow {
  id: string;
  endpoint_id: string;
  event_id: string;
  event_type: WebhookEventType;
  status: MessageStatus;
  attempts: number;
  next_attempt_at: Date | null;
  created_at: Date;
  created_at_key: string;
  last_attempt_at: Date | null;
  delivered_at: Date | null;
  last_status_code: number | null;
  last_error: string | null;
  endpoint_enabled: boolean;
}

export interface LoggedMessage {
  view: MessageView;
  /** The creation time at full (µs) precision, for the keyset cursor. */
  createdAtKey: string;
  endpointEnabled: boolean;
}

export interface MessageFilter {
  status?: MessageStatus;
  since?: string;
  until?: string;
  after?: MessageCursor;
  limit: number;
}

const MESSAGE_COLUMNS = `m.id, m.endpoint_id, m.event_id, m.event_type, m.status, m.attempts, m.next_attempt_at,
  m.created_at, to_char(m.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at_key,
  m.last_attempt_at, m.delivered_at, m.last_status_code, m.last_error, e.enabled AS endpoint_enabled`;

const iso = (d: Date | string | null): string | null => asDate(d)?.toISOString() ?? null;

function logged(r: MessageRow): LoggedMessage {
  return {
    view: {
      id: r.id,
      endpointId: r.endpoint_id,
      eventId: r.event_id,
      eventType: r.event_type,
      status: r.status,
      attempts: r.attempts,
      nextAttemptAt: iso(r.next_attempt_at),
      createdAt: iso(r.created_at) ?? '',
      lastAttemptAt: iso(r.last_attempt_at),
      deliveredAt: iso(r.delivered_at),
      lastStatusCode: r.last_status_code,
      lastError: r.last_error,
    },
    createdAtKey: r.created_at_key,
    endpointEnabled: r.endpoint_enabled,
  };
}

/** The delivery log (messages and attempts) and replays, always scoped to a tenant. */
@Injectable()
export class DeliveryLogRepository {
  constructor(@Inject(Sql) private readonly sql: Sql) {}

  /** One page of an endpoint's messages, newest first (keyset on created_at, id). */
  async page(tenantId: string, endpointId: string, filter: MessageFilter): Promise<LoggedMessage[]> {
    const { rows } = await this.sql.query<MessageRow>(
      `SELECT ${MESSAGE_COLUMNS}
         FROM webhooks.messages m JOIN webhooks.endpoints e ON e.id = m.endpoint_id
        WHERE m.tenant_id = $1 AND m.endpoint_id = $2
          AND ($3::text IS NULL OR m.status = $3)
          AND ($4::timestamptz IS NULL OR m.created_at >= $4::timestamptz)
          AND ($5::timestamptz IS NULL OR m.created_at < $5::timestamptz)
          AND ($6::timestamptz IS NULL OR (m.created_at, m.id) < ($6::timestamptz, $7::text))
        ORDER BY m.created_at DESC, m.id DESC
        LIMIT $8`,
      [
        tenantId,
        endpointId,
        filter.status ?? null,
        filter.since ?? null,
        filter.until ?? null,
        filter.after?.createdAt ?? null,
        filter.after?.id ?? null,
        filter.limit,
      ],
    );
    return rows.map(logged);
  }

  async message(tenantId: string, messageId: string): Promise<(LoggedMessage & { payload: string }) | null> {
    const { rows } = await this.sql.query<MessageRow & { payload: string }>(
      `SELECT ${MESSAGE_COLUMNS}, m.payload
         FROM webhooks.messages m JOIN webhooks.endpoints e ON e.id = m.endpoint_id
        WHERE m.tenant_id = $1 AND m.id = $2`,
      [tenantId, messageId],
    );
    const row = rows[0];
    return row ? { ...logged(row), payload: row.payload } : null;
  }

  async attempts(tenantId: string, messageId: string): Promise<AttemptView[]> {
    const { rows } = await this.sql.query<{
      attempted_at: Date;
      trigger: AttemptTrigger;
      outcome: AttemptOutcome;
      status_code: number | null;
      latency_ms: number;
      response_excerpt: string | null;
      error: string | null;
    }>(
      `SELECT a.attempted_at, a.trigger, a.outcome, a.status_code, a.latency_ms, a.response_excerpt, a.error
         FROM webhooks.attempts a JOIN webhooks.messages m ON m.id = a.message_id
        WHERE m.tenant_id = $1 AND a.message_id = $2
        ORDER BY a.attempted_at, a.id`,
      [tenantId, messageId],
    );
    return rows.map((r) => ({
      attemptedAt: iso(r.attempted_at) ?? '',
      trigger: r.trigger,
      outcome: r.outcome,
      statusCode: r.status_code,
      latencyMs: r.latency_ms,
      responseExcerpt: r.response_excerpt,
      error: r.error,
    }));
  }

  /**
   * Makes messages due now again, from the start of the schedule, with the same id; their next attempt is logged
   * as a replay. A message in flight is not sent twice at once: its lease stands, and its worker's result no
   * longer counts (`lease_id` cleared). Only messages of an enabled endpoint are replayed.
   */
  async replay(
    tenantId: string,
    where: { messageId: string } | { endpointId: string; since: string; until: string; onlyFailed: boolean },
  ): Promise<number> {
    const byMessage = 'messageId' in where;
    const { affected } = await this.sql.query(
      `UPDATE webhooks.messages m
          SET status = 'pending', next_attempt_at = now(), schedule_step = 0, next_trigger = 'replay',
              lease_id = NULL, last_error = NULL
         FROM webhooks.endpoints e
        WHERE e.id = m.endpoint_id AND e.enabled AND m.tenant_id = $1
          AND ${
            byMessage
              ? 'm.id = $2'
              : `m.endpoint_id = $2::uuid AND m.created_at >= $3::timestamptz AND m.created_at < $4::timestamptz
                 AND (NOT $5::boolean OR m.status = 'failed')`
          }`,
      byMessage
        ? [tenantId, where.messageId]
        : [tenantId, where.endpointId, where.since, where.until, where.onlyFailed],
    );
    return affected;
  }
}
