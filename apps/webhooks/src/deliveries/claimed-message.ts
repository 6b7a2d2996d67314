import type { AttemptTrigger, EndpointKind, WebhookEventType } from '#contracts';

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
