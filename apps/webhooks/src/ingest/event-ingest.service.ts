import { Inject, Injectable, Logger } from '@nestjs/common';
import { DurableEvent, HandoverError, validatePayload, type WebhookEventType } from '#contracts';
import { Sql } from '../database/sql.js';
import { claimedEndpoint, type ClaimedEndpointColumns, type ClaimedMessage } from '../deliveries/claimed-message.js';
import { DeliveryEngine } from '../deliveries/delivery-engine.js';
import { SubscriptionCache } from '../endpoints/subscription-cache.js';
import { WebhooksMetrics } from '../webhooks.metrics.js';
import { WebhookPolicy } from '../webhooks.policy.js';
import { messageIdOf } from './message-id.js';

interface NewMessage {
  id: string;
  endpointId: string;
  tenantId: string;
  eventId: string;
  eventType: WebhookEventType;
  payload: string;
}

/** A row the insert wrote; the endpoint's columns are null unless the message was leased to this replica. */
type InsertedRow = {
  id: string;
  status: 'pending' | 'failed';
  lease_id: string | null;
  endpoint_id: string;
} & { [K in Exclude<keyof ClaimedEndpointColumns, 'endpoint_id'>]: ClaimedEndpointColumns[K] | null };

/**
 * The longest new messages wait for the engine's room (still unacknowledged in the stream) before they go to the
 * table; it also bounds how long they hold back the batches behind them.
 */
const HOLD_BACK_MAX_MS = 500;

/**
 * Turns durable events into messages: one per event and subscribed endpoint, written in one statement per batch.
 * Resolving acknowledges the batch to the stream, so it resolves only once the messages are committed. The
 * message id is derived from (event, endpoint), so a redelivered batch inserts nothing new.
 */
@Injectable()
export class EventIngestService {
  private readonly logger = new Logger('WebhooksIngest');

  constructor(
    @Inject(Sql) private readonly sql: Sql,
    @Inject(SubscriptionCache) private readonly subscriptions: SubscriptionCache,
    @Inject(DeliveryEngine) private readonly engine: DeliveryEngine,
    @Inject(WebhooksMetrics) private readonly metrics: WebhooksMetrics,
    @Inject(WebhookPolicy) private readonly policy: WebhookPolicy,
  ) {}

  readonly handle = async (batch: DurableEvent[]): Promise<void> => {
    const events = batch.flatMap((raw) => this.valid(raw));
    if (events.length === 0) return;
    const byTenant = await this.subscriptions.forTenants(events.map((e) => e.tenantId));
    const messages: NewMessage[] = [];
    for (const event of events) {
      const subscribed = (byTenant.get(event.tenantId) ?? []).filter(
        (s) => s.eventTypes.includes(event.type) && (!event.vendors || event.vendors.includes(s.vendor)),
      );
      if (subscribed.length === 0) continue;
      // One serialisation per event: these exact bytes are stored, signed and sent on every attempt.
      const payload = JSON.stringify({
        type: event.type,
        timestamp: event.occurredAt,
        data: { ...event.data, tenant: subscribed[0]?.tenantSlug },
      });
      for (const s of subscribed) {
        messages.push({
          id: messageIdOf(event.id, s.endpointId),
          endpointId: s.endpointId,
          tenantId: event.tenantId,
          eventId: event.id,
          eventType: event.type,
          payload,
        });
      }
    }
    if (messages.length === 0) return;
    await this.storeAsRoomAllows(messages);
  };

  /**
   * Backpressure: while the engine is full, messages for an endpoint that frees slots quickly wait here for one
   * (`soon`, see `DeliveryEngine.handOffPlan`) instead of in the table, so they are handed over and never need a
   * claim query (under a backlog, the claim is PostgreSQL's largest cost per webhook). They are stored in chunks
   * of at least an endpoint's cap as room appears; after HOLD_BACK_MAX_MS whatever still waits goes to the table.
   */
  private async storeAsRoomAllows(messages: NewMessage[]): Promise<void> {
    const deadline = performance.now() + HOLD_BACK_MAX_MS;
    let rest = messages;
    while (rest.length > 0) {
      const plan = this.engine.handOffPlan(rest.map((m) => m.endpointId));
      const count = { now: 0, soon: 0, table: 0 };
      for (const place of plan) count[place]++;
      const left = deadline - performance.now();
      if (count.soon === 0 || left <= 0) return this.store(rest);
      if (count.table > 0 || count.now >= Math.min(this.policy.endpointConcurrency, count.now + count.soon)) {
        await this.store(rest.filter((_, i) => plan[i] !== 'soon'));
        rest = rest.filter((_, i) => plan[i] === 'soon');
      } else {
        await this.engine.slotFreed(left);
      }
    }
  }

  /** Inserts the messages, leasing to this replica those the engine grants a place, and hands those over. */
  private async store(messages: NewMessage[]): Promise<void> {
    const reserved = this.engine.reserve(messages.map((m) => m.endpointId));
    let leased: ClaimedMessage[] = [];
    try {
      const inserted = await this.insert(messages, reserved);
      leased = inserted.leased;
      this.metrics.messagesCreated(inserted.pending, inserted.failed);
      // Messages left to the table (not handed over) are claimed now rather than at the next poll.
      if (inserted.pending > leased.length) this.engine.nudge();
    } finally {
      this.engine.handOff(
        messages.filter((_, i) => reserved[i]).map((m) => m.endpointId),
        leased,
      );
    }
  }

  private valid(raw: DurableEvent): DurableEvent[] {
    try {
      return [validatePayload(DurableEvent, raw)];
    } catch (err) {
      // Acknowledged and dropped: redelivering an event that can never be valid would only block the stream.
      const detail = err instanceof HandoverError ? err.description : String(err);
      this.logger.error(`invalid durable event dropped (${String((raw as { id?: unknown }).id)}): ${detail}`);
      return [];
    }
  }

  /**
   * One multi-row insert. The endpoint is joined afresh: a deleted endpoint gets nothing, and a disabled one gets
   * a `failed` message (kept for replay) instead of a pending one. A message that exists already is left alone.
   * A pending message the engine reserved a place for is leased to this replica by the same statement, exactly
   * as a claim would lease it, and comes back with its endpoint: no claim query on the happy path.
   */
  private async insert(
    messages: NewMessage[],
    reserved: readonly boolean[],
  ): Promise<{ pending: number; failed: number; leased: ClaimedMessage[] }> {
    const { rows } = await this.sql.query<InsertedRow>(
      `WITH inserted AS (
         INSERT INTO webhooks.messages
           (id, endpoint_id, tenant_id, event_id, event_type, payload, status, next_attempt_at, last_error,
            lease_until, lease_id)
         SELECT u.id, u.endpoint_id, u.tenant_id, u.event_id, u.event_type, u.payload,
                CASE WHEN e.enabled THEN 'pending' ELSE 'failed' END,
                CASE WHEN e.enabled THEN now() END,
                CASE WHEN e.enabled THEN NULL ELSE 'endpoint disabled' END,
                CASE WHEN e.enabled AND u.leased THEN now() + make_interval(secs => $8::double precision / 1000) END,
                CASE WHEN e.enabled AND u.leased THEN gen_random_uuid() END
           FROM unnest($1::text[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::boolean[])
                AS u(id, endpoint_id, tenant_id, event_id, event_type, payload, leased)
           JOIN webhooks.endpoints e ON e.id = u.endpoint_id AND e.tenant_id = u.tenant_id
         ON CONFLICT DO NOTHING
         RETURNING id, endpoint_id, status, lease_id
       )
       SELECT i.id, i.status, i.lease_id, i.endpoint_id, e.tenant_slug, e.vendor, e.kind, e.url, e.enabled,
              e.secret, e.previous_secret, e.previous_secret_valid_until, e.failing_since
         FROM inserted i
         LEFT JOIN webhooks.endpoints e ON i.lease_id IS NOT NULL AND e.id = i.endpoint_id`,
      [
        messages.map((m) => m.id),
        messages.map((m) => m.endpointId),
        messages.map((m) => m.tenantId),
        messages.map((m) => m.eventId),
        messages.map((m) => m.eventType),
        messages.map((m) => m.payload),
        reserved,
        this.policy.leaseMs,
      ],
    );
    const byId = new Map(messages.map((m) => [m.id, m]));
    const leased: ClaimedMessage[] = [];
    let pending = 0;
    for (const r of rows) {
      if (r.status !== 'pending') continue;
      pending++;
      const m = byId.get(r.id);
      if (r.lease_id === null || !m || r.kind === null) continue;
      leased.push({
        id: r.id,
        leaseId: r.lease_id,
        tenantId: m.tenantId,
        eventType: m.eventType,
        payload: m.payload,
        attempts: 0,
        scheduleStep: 0,
        trigger: 'initial',
        endpoint: claimedEndpoint(r as ClaimedEndpointColumns),
      });
    }
    return { pending, failed: rows.length - pending, leased };
  }
}
