import type { AttemptTrigger, EndpointKind, WebhookEventType } from '#contracts';
import { asDate } from '../endpoints/endpoint.record.js';

/** A due message a worker holds under lease `leaseId`, with what it needs of its endpoint to deliver it. */
export interface ClaimedMessage {
  id: string;
  leaseId: string;
  tenantId: string;
  eventType: WebhookEventType;
  /** The exact body signed and sent (`{type, timestamp, data}`). */
  payload: string;
  attempts: number;
  scheduleStep: number;
  trigger: AttemptTrigger;
  endpoint: {
    id: string;
    tenantSlug: string;
    vendor: string;
    kind: EndpointKind;
    url: string;
    enabled: boolean;
    secret: string | null;
    previousSecret: string | null;
    previousSecretValidUntil: Date | null;
    failingSince: Date | null;
  };
}

/** The endpoint's columns as a claim, or the ingest's leasing insert, selects them along with a message. */
export interface ClaimedEndpointColumns {
  endpoint_id: string;
  tenant_slug: string;
  vendor: string;
  kind: EndpointKind;
  url: string;
  enabled: boolean;
  secret: string | null;
  previous_secret: string | null;
  previous_secret_valid_until: Date | string | null;
  failing_since: Date | string | null;
}

export function claimedEndpoint(r: ClaimedEndpointColumns): ClaimedMessage['endpoint'] {
  return {
    id: r.endpoint_id,
    tenantSlug: r.tenant_slug,
    vendor: r.vendor,
    kind: r.kind,
    url: r.url,
    enabled: r.enabled,
    secret: r.secret,
    previousSecret: r.previous_secret,
    previousSecretValidUntil: asDate(r.previous_secret_valid_until),
    failingSince: asDate(r.failing_since),
  };
}
