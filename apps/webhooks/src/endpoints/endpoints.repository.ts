import { Inject, Injectable } from '@nestjs/common';
import type { WebhookEventType } from '#contracts';
import { Sql, type SqlQuery } from '../database/sql.js';
import {
  ENDPOINT_COLUMNS,
  endpointFromRow,
  type DisabledReason,
  type EndpointRecord,
  type EndpointRow,
} from './endpoint.record.js';

/** What ingest needs to fan an event out: who subscribes to what, and whether deliveries may start. */
export interface Subscription {
  endpointId: string;
  tenantId: string;
  tenantSlug: string;
  vendor: string;
  eventTypes: WebhookEventType[];
  enabled: boolean;
}

export type EndpointChanges = Partial<Pick<EndpointRecord, 'url' | 'eventTypes' | 'description'>> & {
  enabled?: boolean;
};

/**
 * Marks an endpoint's pending messages failed (kept for replay once it is enabled again). Messages in flight
 * (leased) are left to their workers, which record the attempt; the next claim of any still pending sees the
 * endpoint disabled and fails it.
 */
async function failPending(query: SqlQuery, endpointId: string): Promise<void> {
  await query(
    `UPDATE webhooks.messages
        SET status = 'failed', last_error = 'endpoint disabled', next_attempt_at = NULL
      WHERE endpoint_id = $1 AND status = 'pending' AND (lease_until IS NULL OR lease_until < now())`,
    [endpointId],
  );
}

/** `webhooks.endpoints`. Every read and write of the admin API names the tenant: another tenant's id is absent. */
@Injectable()
export class EndpointsRepository {
  constructor(@Inject(Sql) private readonly sql: Sql) {}

  async insert(e: Omit<EndpointRecord, 'createdAt' | 'updatedAt' | 'failingSince'>): Promise<EndpointRecord> {
    const { rows } = await this.sql.query<EndpointRow>(
      `INSERT INTO webhooks.endpoints (id, tenant_id, tenant_slug, vendor, kind, url, description, event_types,
         enabled, disabled_reason, disabled_at, secret, previous_secret, previous_secret_valid_until)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text[], $9, $10, $11::timestamptz, $12, $13, $14::timestamptz)
       RETURNING ${ENDPOINT_COLUMNS}`,
      [
        e.id,
        e.tenantId,
        e.tenantSlug,
        e.vendor,
        e.kind,
        e.url,
        e.description,
        e.eventTypes,
        e.enabled,
        e.disabledReason,
        e.disabledAt?.toISOString() ?? null,
        e.secret,
        e.previousSecret,
        e.previousSecretValidUntil?.toISOString() ?? null,
      ],
    );
    return endpointFromRow(rows[0] as EndpointRow);
  }

  async find(tenantId: string, id: string): Promise<EndpointRecord | null> {
    const { rows } = await this.sql.query<EndpointRow>(
      `SELECT ${ENDPOINT_COLUMNS} FROM webhooks.endpoints WHERE tenant_id = $1 AND id = $2`,
      [tenantId, id],
    );
    return rows[0] ? endpointFromRow(rows[0]) : null;
  }

  async list(tenantId: string, vendor?: string): Promise<EndpointRecord[]> {
    const { rows } = await this.sql.query<EndpointRow>(
      `SELECT ${ENDPOINT_COLUMNS} FROM webhooks.endpoints
        WHERE tenant_id = $1 AND ($2::text IS NULL OR vendor = $2)
        ORDER BY created_at, id`,
      [tenantId, vendor ?? null],
    );
    return rows.map(endpointFromRow);
  }

  /** Every endpoint of these tenants, enabled or not (a disabled one still records what it missed). */
  async subscriptions(tenantIds: readonly string[]): Promise<Subscription[]> {
    const { rows } = await this.sql.query<{
      id: string;
      tenant_id: string;
      tenant_slug: string;
      vendor: string;
      event_types: WebhookEventType[];
      enabled: boolean;
    }>(
      `SELECT id, tenant_id, tenant_slug, vendor, event_types, enabled FROM webhooks.endpoints
        WHERE tenant_id = ANY($1::uuid[])`,
      [tenantIds],
    );
    return rows.map((r) => ({
      endpointId: r.id,
      tenantId: r.tenant_id,
      tenantSlug: r.tenant_slug,
      vendor: r.vendor,
      eventTypes: r.event_types,
      enabled: r.enabled,
    }));
  }

  /**
   * Applies an admin's changes. Enabling clears the disabled and failing state; disabling (`admin`) fails the
   * pending messages, in the same transaction.
   */
  async update(tenantId: string, id: string, changes: EndpointChanges, now: Date): Promise<EndpointRecord | null> {
    return this.sql.transaction(async (query) => {
      const { rows } = await query<EndpointRow>(
        `UPDATE webhooks.endpoints e
            SET url = COALESCE($3::text, e.url),
                event_types = COALESCE($4::text[], e.event_types),
                description = CASE WHEN $5::boolean THEN $6::text ELSE e.description END,
                enabled = COALESCE($7::boolean, e.enabled),
                disabled_reason = CASE WHEN $7::boolean IS TRUE THEN NULL
                                       WHEN $7::boolean IS FALSE AND e.enabled THEN 'admin'
                                       ELSE e.disabled_reason END,
                disabled_at = CASE WHEN $7::boolean IS TRUE THEN NULL
                                   WHEN $7::boolean IS FALSE AND e.enabled THEN $8::timestamptz
                                   ELSE e.disabled_at END,
                failing_since = CASE WHEN $7::boolean IS TRUE THEN NULL ELSE e.failing_since END,
                updated_at = $8::timestamptz
         WHERE e.tenant_id = $1 AND e.id = $2
         RETURNING ${ENDPOINT_COLUMNS}`,
        [
          tenantId,
          id,
          changes.url ?? null,
          changes.eventTypes ?? null,
          changes.description !== undefined,
          changes.description ?? null,
          changes.enabled ?? null,
          now.toISOString(),
        ],
      );
      const row = rows[0];
      if (!row) return null;
      if (changes.enabled === false) await failPending(query, id);
      return endpointFromRow(row);
    });
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    const { affected } = await this.sql.query(`DELETE FROM webhooks.endpoints WHERE tenant_id = $1 AND id = $2`, [
      tenantId,
      id,
    ]);
    return affected > 0;
  }

  /** The new sealed secret signs from now on; the old one alongside it until `previousValidUntil` (or never). */
  async rotateSecret(
    tenantId: string,
    id: string,
    sealedSecret: string,
    previousValidUntil: Date | null,
    now: Date,
  ): Promise<EndpointRecord | null> {
    const { rows } = await this.sql.query<EndpointRow>(
      `UPDATE webhooks.endpoints
          SET previous_secret = CASE WHEN $4::timestamptz IS NULL THEN NULL ELSE secret END,
              previous_secret_valid_until = $4::timestamptz,
              secret = $3,
              updated_at = $5::timestamptz
        WHERE tenant_id = $1 AND id = $2 AND kind = 'webhook'
        RETURNING ${ENDPOINT_COLUMNS}`,
      [tenantId, id, sealedSecret, previousValidUntil?.toISOString() ?? null, now.toISOString()],
    );
    return rows[0] ? endpointFromRow(rows[0]) : null;
  }

  /**
   * The dispatcher disables an endpoint (410, or failing for the disable period) and fails its pending messages.
   * Returns the endpoint when this call disabled it, null when it was disabled (or deleted) already.
   */
  async disable(id: string, reason: Exclude<DisabledReason, 'admin'>, now: Date): Promise<EndpointRecord | null> {
    return this.sql.transaction(async (query) => {
      const { rows } = await query<EndpointRow>(
        `UPDATE webhooks.endpoints
            SET enabled = false, disabled_reason = $2, disabled_at = $3::timestamptz, updated_at = $3::timestamptz
          WHERE id = $1 AND enabled
          RETURNING ${ENDPOINT_COLUMNS}`,
        [id, reason, now.toISOString()],
      );
      if (!rows[0]) return null;
      await failPending(query, id);
      return endpointFromRow(rows[0]);
    });
  }
}
