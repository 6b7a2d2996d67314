import { Inject, Injectable, Logger } from '@nestjs/common';
import { DurableEvent, HandoverError, validatePayload } from '#contracts';
import { Sql } from '../database/sql.js';
import { DeliveryEngine } from '../deliveries/delivery-engine.js';
import { SubscriptionCache } from '../endpoints/subscription-cache.js';
import { WebhooksMetrics } from '../webhooks.metrics.js';
import { messageIdOf } from './message-id.js';

interface NewMessage {
  id: string;
  endpointId: string;
  tenantId: string;
  eventId: string;
  eventType: string;
  payload: string;
}

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
    const inserted = await this.insert(messages);
    this.metrics.messagesCreated(inserted.pending, inserted.failed);
    if (inserted.pending > 0) this.engine.nudge();
  };

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
   */
  private async insert(messages: NewMessage[]): Promise<{ pending: number; failed: number }> {
    const { rows } = await this.sql.query<{ status: 'pending' | 'failed' }>(
      `INSERT INTO webhooks.messages
         (id, endpoint_id, tenant_id, event_id, event_type, payload, status, next_attempt_at, last_error)
       SELECT u.id, u.endpoint_id, u.tenant_id, u.event_id, u.event_type, u.payload,
              CASE WHEN e.enabled THEN 'pending' ELSE 'failed' END,
              CASE WHEN e.enabled THEN now() END,
              CASE WHEN e.enabled THEN NULL ELSE 'endpoint disabled' END
         FROM unnest($1::text[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[])
              AS u(id, endpoint_id, tenant_id, event_id, event_type, payload)
         JOIN webhooks.endpoints e ON e.id = u.endpoint_id AND e.tenant_id = u.tenant_id
       ON CONFLICT DO NOTHING
       RETURNING status`,
      [
        messages.map((m) => m.id),
        messages.map((m) => m.endpointId),
        messages.map((m) => m.tenantId),
        messages.map((m) => m.eventId),
        messages.map((m) => m.eventType),
        messages.map((m) => m.payload),
      ],
    );
    const pending = rows.filter((r) => r.status === 'pending').length;
    return { pending, failed: rows.length - pending };
  }
}
