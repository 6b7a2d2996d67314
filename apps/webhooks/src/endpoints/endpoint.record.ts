import type { EndpointKind, EndpointView, WebhookEventType } from '#contracts';

/** Why an endpoint is disabled: the receiver answered 410, it failed for the disable period, or an admin said so. */
export type DisabledReason = 'gone' | 'failing' | 'admin';

/** A row of `webhooks.endpoints`; `secret` and `previousSecret` are sealed (SecretBox, bound to the id). */
export interface EndpointRecord {
  id: string;
  tenantId: string;
  tenantSlug: string;
  vendor: string;
  kind: EndpointKind;
  url: string;
  description: string | null;
  eventTypes: WebhookEventType[];
  enabled: boolean;
  disabledReason: DisabledReason | null;
  disabledAt: Date | null;
  secret: string | null;
  previousSecret: string | null;
  previousSecretValidUntil: Date | null;
  failingSince: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export const ENDPOINT_COLUMNS = `id, tenant_id, tenant_slug, vendor, kind, url, description, event_types, enabled,
  disabled_reason, disabled_at, secret, previous_secret, previous_secret_valid_until, failing_since, created_at,
  updated_at`;

export interface EndpointRow {
  id: string;
  tenant_id: string;
  tenant_slug: string;
  vendor: string;
  kind: EndpointKind;
  url: string;
  description: string | null;
  event_types: WebhookEventType[];
  enabled: boolean;
  disabled_reason: DisabledReason | null;
  disabled_at: Date | null;
  secret: string | null;
  previous_secret: string | null;
  previous_secret_valid_until: Date | null;
  failing_since: Date | null;
  created_at: Date;
  updated_at: Date;
}

export function endpointFromRow(row: EndpointRow): EndpointRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    tenantSlug: row.tenant_slug,
    vendor: row.vendor,
    kind: row.kind,
    url: row.url,
    description: row.description,
    eventTypes: row.event_types,
    enabled: row.enabled,
    disabledReason: row.disabled_reason,
    disabledAt: asDate(row.disabled_at),
    secret: row.secret,
    previousSecret: row.previous_secret,
    previousSecretValidUntil: asDate(row.previous_secret_valid_until),
    failingSince: asDate(row.failing_since),
    createdAt: asDate(row.created_at) ?? new Date(0),
    updatedAt: asDate(row.updated_at) ?? new Date(0),
  };
}

/** Timestamps arrive as Date from `pg` and PGlite alike; a string is parsed, for safety. */
export function asDate(value: Date | string | null | undefined): Date | null {
  if (value === null || value === undefined) return null;
  return value instanceof Date ? value : new Date(value);
}

export function endpointView(e: EndpointRecord): EndpointView {
  return {
    id: e.id,
    vendor: e.vendor,
    kind: e.kind,
    url: e.url,
    description: e.description,
    eventTypes: e.eventTypes,
    enabled: e.enabled,
    disabledReason: e.disabledReason,
    disabledAt: e.disabledAt?.toISOString() ?? null,
    failingSince: e.failingSince?.toISOString() ?? null,
    previousSecretValidUntil: e.previousSecretValidUntil?.toISOString() ?? null,
    createdAt: e.createdAt.toISOString(),
    updatedAt: e.updatedAt.toISOString(),
  };
}
