import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { WebhookEventTypes, type WebhookEventType } from '../events/durable-events.js';
import { TENANT_SLUG_PATTERN } from '../tenant-slug.js';
import { CLIENT_ID_PATTERN } from '../user-data/principals.js';

/**
 * The webhooks app's bus contract (admin API → webhooks): vendor endpoints, their secrets, the delivery log and
 * replay. Every request is tenant-scoped: an id of another tenant's endpoint or message is `not_found`.
 */

/** `webhook`: Standard Webhooks POST of the event; `backchannel_logout`: an OIDC Back-Channel Logout token. */
export const EndpointKinds = ['webhook', 'backchannel_logout'] as const;
export type EndpointKind = (typeof EndpointKinds)[number];

export const MAX_ENDPOINT_URL_LENGTH = 2048;
export const MAX_ENDPOINT_DESCRIPTION_LENGTH = 200;
export const MAX_MESSAGE_CURSOR_LENGTH = 200;
/** Standard Webhooks: `whsec_` + base64 of at least 24 random bytes (we use 32). */
export const WEBHOOK_SECRET_PATTERN = /^whsec_[A-Za-z0-9+/]{32,}={0,2}$/;
/** The longest overlap during which a rotated-out secret still signs (both signatures are sent). */
export const MAX_SECRET_OVERLAP_SECONDS = 7 * 24 * 3600;
export const DEFAULT_SECRET_OVERLAP_SECONDS = 24 * 3600;

export const MessageStatuses = ['pending', 'delivered', 'failed'] as const;
export type MessageStatus = (typeof MessageStatuses)[number];

export const AttemptTriggers = ['initial', 'retry', 'replay'] as const;
export type AttemptTrigger = (typeof AttemptTriggers)[number];
/** `blocked`: the SSRF guard refused the resolved address; nothing was sent. */
export const AttemptOutcomes = ['success', 'http_error', 'redirect', 'timeout', 'network_error', 'blocked'] as const;
export type AttemptOutcome = (typeof AttemptOutcomes)[number];

/**
 * The rules of an endpoint's event types (at the HTTP edge and in the bus contract alike): a non-empty array of
 * distinct WebhookEventTypes.
 */
export function WebhookEventTypeList(): PropertyDecorator {
  // Listed top to bottom as they would be written above the property; applied bottom-up, as TypeScript does.
  const rules = [
    IsArray(),
    ArrayMinSize(1),
    ArrayMaxSize(WebhookEventTypes.length),
    ArrayUnique(),
    IsIn(WebhookEventTypes, { each: true }),
  ];
  return (target, key) => {
    for (const rule of [...rules].reverse()) rule(target, key);
  };
}

class TenantScoped {
  @IsUUID()
  tenantId!: string;
}

export class CreateEndpointRequest extends TenantScoped {
  /** The tenant's slug: the `tenant` field of every payload and the issuer of back-channel logout tokens. */
  @IsString()
  @Matches(TENANT_SLUG_PATTERN)
  tenantSlug!: string;

  /** The vendor's client id; it must be a vendor of the tenant. */
  @IsString()
  @Matches(CLIENT_ID_PATTERN)
  vendor!: string;

  @IsIn(EndpointKinds)
  kind!: EndpointKind;

  /** http(s), no credentials, no fragment; refused when it names a blocked address (SSRF). */
  @IsString()
  @MaxLength(MAX_ENDPOINT_URL_LENGTH)
  url!: string;

  /** Default `["session.logged_out"]`; a `backchannel_logout` endpoint takes only that one. */
  @IsOptional()
  @WebhookEventTypeList()
  eventTypes?: WebhookEventType[];

  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @IsOptional()
  @IsString()
  @MaxLength(MAX_ENDPOINT_DESCRIPTION_LENGTH)
  description?: string;
}

export interface EndpointView {
  id: string;
  vendor: string;
  kind: EndpointKind;
  url: string;
  description: string | null;
  eventTypes: WebhookEventType[];
  enabled: boolean;
  /** Why it was disabled: `gone` (the receiver answered 410), `failing` (failing for the disable period), `admin`. */
  disabledReason: string | null;
  disabledAt: string | null;
  /** Since when every attempt has failed (null after a success). */
  failingSince: string | null;
  /** Until when the previous secret still signs, during a rotation. */
  previousSecretValidUntil: string | null;
  createdAt: string;
  updatedAt: string;
}

/** The secret is shown here and on rotation only (stored encrypted). Back-channel logout endpoints have none. */
export interface CreatedEndpointReply extends EndpointView {
  secret: string | null;
}

export class ListEndpointsRequest extends TenantScoped {
  @IsOptional()
  @IsString()
  @Matches(CLIENT_ID_PATTERN)
  vendor?: string;
}

export interface EndpointsReply {
  endpoints: EndpointView[];
}

export class EndpointRef extends TenantScoped {
  @IsUUID()
  endpointId!: string;
}

export class UpdateEndpointRequest extends EndpointRef {
  @IsOptional()
  @IsString()
  @MaxLength(MAX_ENDPOINT_URL_LENGTH)
  url?: string;

  @IsOptional()
  @WebhookEventTypeList()
  eventTypes?: WebhookEventType[];

  /** `true` re-enables a disabled endpoint (and clears its failing state); `false` disables it (`admin`). */
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @IsOptional()
  @IsString()
  @MaxLength(MAX_ENDPOINT_DESCRIPTION_LENGTH)
  description?: string;
}

export interface DeletedReply {
  deleted: boolean;
}

export class RotateSecretRequest extends EndpointRef {
  /** How long the old secret keeps signing alongside the new one; default DEFAULT_SECRET_OVERLAP_SECONDS. */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_SECRET_OVERLAP_SECONDS)
  overlapSeconds?: number;
}

export interface RotatedSecretReply {
  secret: string;
  previousSecretValidUntil: string | null;
}

export class ListMessagesRequest extends EndpointRef {
  @IsOptional()
  @IsIn(MessageStatuses)
  status?: MessageStatus;

  /** Inclusive lower bound on the message's creation time. */
  @IsOptional()
  @IsISO8601()
  since?: string;

  /** Exclusive upper bound on the message's creation time. */
  @IsOptional()
  @IsISO8601()
  until?: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  /** The `nextCursor` of the previous page (opaque). */
  @IsOptional()
  @IsString()
  @MaxLength(MAX_MESSAGE_CURSOR_LENGTH)
  cursor?: string;
}

export interface MessageView {
  /** The `webhook-id`: the same on every attempt and replay. */
  id: string;
  endpointId: string;
  eventId: string;
  eventType: WebhookEventType;
  status: MessageStatus;
  attempts: number;
  nextAttemptAt: string | null;
  createdAt: string;
  lastAttemptAt: string | null;
  deliveredAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
}

export interface MessagesPage {
  messages: MessageView[];
  nextCursor: string | null;
}

export class MessageRef extends TenantScoped {
  @IsString()
  @Matches(/^msg_[A-Za-z0-9_-]{1,64}$/)
  messageId!: string;
}

export interface AttemptView {
  attemptedAt: string;
  trigger: AttemptTrigger;
  outcome: AttemptOutcome;
  statusCode: number | null;
  latencyMs: number;
  /** The first bytes of the receiver's answer (at most 1 KiB). */
  responseExcerpt: string | null;
  error: string | null;
}

export interface MessageDetail extends MessageView {
  /** The payload exactly as signed and sent (`{type, timestamp, data}`). */
  payload: unknown;
  attemptLog: AttemptView[];
}

/** Replays every message of one endpoint created in [since, until), or only the failed ones. */
export class ReplayRangeRequest extends EndpointRef {
  @IsISO8601()
  since!: string;

  @IsISO8601()
  until!: string;

  @IsOptional()
  @IsBoolean()
  onlyFailed?: boolean;
}

export interface ReplayReply {
  replayed: number;
}

/** Published when the dispatcher disables an endpoint (410, or failing for the disable period): for operators. */
export class EndpointDisabled {
  @IsUUID()
  tenantId!: string;

  @IsUUID()
  endpointId!: string;

  @IsString()
  @Matches(CLIENT_ID_PATTERN)
  vendor!: string;

  @IsIn(['gone', 'failing'])
  reason!: 'gone' | 'failing';

  @IsISO8601()
  disabledAt!: string;
}
