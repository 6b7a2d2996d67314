import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsISO8601, IsString, Matches, Max, MaxLength, Min, ValidateIf } from 'class-validator';
import {
  AttemptOutcomes,
  AttemptTriggers,
  DEFAULT_SECRET_OVERLAP_SECONDS,
  EndpointKinds,
  MAX_ENDPOINT_DESCRIPTION_LENGTH,
  MAX_ENDPOINT_URL_LENGTH,
  MAX_MESSAGE_CURSOR_LENGTH,
  MAX_SECRET_OVERLAP_SECONDS,
  MessageStatuses,
  WebhookEventTypeList,
  WebhookEventTypes,
  type AttemptOutcome,
  type AttemptTrigger,
  type EndpointKind,
  type MessageStatus,
  type WebhookEventType,
} from '#contracts';

/**
 * The admin API's webhook bodies and answers: snake_case at the edge, mapped to the camelCase bus contracts of
 * `#contracts` (webhooks/endpoints.ts) by `WebhooksAdminService`. The rules beyond the shapes (URL scheme,
 * SSRF, a back-channel endpoint taking `session.logged_out` only) are the webhooks app's.
 */

/** Optional, but never `null`: an absent field skips the rules below it, a `null` one breaks them. */
const Optional = () => ValidateIf((_object: object, value: unknown) => value !== undefined);

/** `POST /admin/tenants/{tenant}/vendors/{vendor}/webhooks`. */
export class CreateWebhookEndpointBody {
  @ApiProperty({
    description:
      'Where deliveries go: absolute http(s), no credentials or fragment. Refused when it names a loopback, ' +
      "private, link-local or metadata address the tenant's `outbound_network` does not allow (SSRF).",
    maxLength: MAX_ENDPOINT_URL_LENGTH,
    example: 'https://planner.example/webhooks/handover',
  })
  @IsString()
  @MaxLength(MAX_ENDPOINT_URL_LENGTH)
  url!: string;

  @ApiPropertyOptional({
    enum: EndpointKinds,
    default: 'webhook',
    description:
      '`webhook`: Standard Webhooks POSTs signed with a `whsec_` secret; `backchannel_logout`: an OIDC ' +
      'Back-Channel Logout token (`session.logged_out` only, no secret).',
  })
  @Optional()
  @IsIn(EndpointKinds)
  kind?: EndpointKind;

  @ApiPropertyOptional({ enum: WebhookEventTypes, isArray: true, default: ['session.logged_out'] })
  @Optional()
  @WebhookEventTypeList()
  event_types?: WebhookEventType[];

  @ApiPropertyOptional({ default: true })
  @Optional()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ maxLength: MAX_ENDPOINT_DESCRIPTION_LENGTH })
  @Optional()
  @IsString()
  @MaxLength(MAX_ENDPOINT_DESCRIPTION_LENGTH)
  description?: string;
}

/** `PATCH /admin/tenants/{tenant}/webhooks/{endpoint_id}`: only the fields given change. */
export class UpdateWebhookEndpointBody {
  @ApiPropertyOptional({ maxLength: MAX_ENDPOINT_URL_LENGTH, description: 'The same rules as on creation.' })
  @Optional()
  @IsString()
  @MaxLength(MAX_ENDPOINT_URL_LENGTH)
  url?: string;

  @ApiPropertyOptional({ enum: WebhookEventTypes, isArray: true })
  @Optional()
  @WebhookEventTypeList()
  event_types?: WebhookEventType[];

  @ApiPropertyOptional({
    description: '`true` re-enables a disabled endpoint and clears its failing state; `false` disables it.',
  })
  @Optional()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ maxLength: MAX_ENDPOINT_DESCRIPTION_LENGTH })
  @Optional()
  @IsString()
  @MaxLength(MAX_ENDPOINT_DESCRIPTION_LENGTH)
  description?: string;
}

/** `POST /admin/tenants/{tenant}/webhooks/{endpoint_id}/rotate-secret` (the body may be left out). */
export class RotateSecretBody {
  @ApiPropertyOptional({
    description: 'How long the old secret keeps signing beside the new one (both signatures are sent).',
    minimum: 0,
    maximum: MAX_SECRET_OVERLAP_SECONDS,
    default: DEFAULT_SECRET_OVERLAP_SECONDS,
  })
  @Optional()
  @IsInt()
  @Min(0)
  @Max(MAX_SECRET_OVERLAP_SECONDS)
  overlap_seconds?: number;
}

/** `POST /admin/tenants/{tenant}/webhooks/{endpoint_id}/replay`. */
export class ReplayRangeBody {
  @ApiProperty({ description: 'Inclusive lower bound on the messages’ creation time (ISO 8601).' })
  @IsString()
  @IsISO8601()
  since!: string;

  @ApiProperty({ description: 'Exclusive upper bound on the messages’ creation time (ISO 8601).' })
  @IsString()
  @IsISO8601()
  until!: string;

  @ApiPropertyOptional({ description: 'Replay only the messages that failed.', default: false })
  @Optional()
  @IsBoolean()
  only_failed?: boolean;
}

/** `POST /admin/tenants/{tenant}/webhook-messages/{message_id}/replay` takes no fields (the body may be left out). */
export class ReplayMessageBody {}

/** The query of `GET /admin/tenants/{tenant}/webhooks/{endpoint_id}/messages`; unknown parameters are refused. */
export class ListMessagesQuery {
  @Optional()
  @IsIn(MessageStatuses)
  status?: MessageStatus;

  @Optional()
  @IsString()
  @IsISO8601()
  since?: string;

  @Optional()
  @IsString()
  @IsISO8601()
  until?: string;

  @Optional()
  @IsString()
  @Matches(/^\d{1,6}$/, { message: 'limit must be an integer' })
  limit?: string;

  @Optional()
  @IsString()
  @MaxLength(MAX_MESSAGE_CURSOR_LENGTH)
  cursor?: string;
}

export class WebhookEndpoint {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ description: "The vendor's client_id.", example: 'budget-planner' })
  vendor!: string;

  @ApiProperty({ enum: EndpointKinds })
  kind!: EndpointKind;

  @ApiProperty({ example: 'https://planner.example/webhooks/handover' })
  url!: string;

  @ApiProperty({ type: String, nullable: true })
  description!: string | null;

  @ApiProperty({ enum: WebhookEventTypes, isArray: true })
  event_types!: WebhookEventType[];

  @ApiProperty()
  enabled!: boolean;

  @ApiProperty({
    type: String,
    nullable: true,
    description:
      '`gone` (the receiver answered 410), `failing` (failing for the disable period) or `admin`; null when enabled.',
  })
  disabled_reason!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  disabled_at!: string | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'Since when every attempt has failed.',
  })
  failing_since!: string | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'Until when the previous secret still signs, during a rotation.',
  })
  previous_secret_valid_until!: string | null;

  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  @ApiProperty({ format: 'date-time' })
  updated_at!: string;
}

export class CreatedWebhookEndpoint extends WebhookEndpoint {
  @ApiProperty({
    type: String,
    nullable: true,
    description:
      'The signing secret (`whsec_` + base64 of 32 random bytes): shown this once, stored encrypted. Null for a ' +
      '`backchannel_logout` endpoint (its tokens are signed with the tenant key).',
  })
  secret!: string | null;
}

export class WebhookEndpoints {
  @ApiProperty({ type: [WebhookEndpoint] })
  endpoints!: WebhookEndpoint[];
}

export class RotatedSecret {
  @ApiProperty({ description: 'The new `whsec_` secret: shown this once.' })
  secret!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  previous_secret_valid_until!: string | null;
}

export class WebhookMessage {
  @ApiProperty({ description: 'The `webhook-id` header: the same on every attempt and replay.', example: 'msg_…' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  endpoint_id!: string;

  @ApiProperty({ description: 'The event the message delivers.', example: 'evt_…' })
  event_id!: string;

  @ApiProperty({ enum: WebhookEventTypes })
  event_type!: WebhookEventType;

  @ApiProperty({ enum: MessageStatuses })
  status!: MessageStatus;

  @ApiProperty()
  attempts!: number;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  next_attempt_at!: string | null;

  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  last_attempt_at!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  delivered_at!: string | null;

  @ApiProperty({ type: Number, nullable: true })
  last_status_code!: number | null;

  @ApiProperty({ type: String, nullable: true })
  last_error!: string | null;
}

export class WebhookMessages {
  @ApiProperty({ type: [WebhookMessage], description: 'Newest first.' })
  messages!: WebhookMessage[];

  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last.' })
  next_cursor!: string | null;
}

export class WebhookAttempt {
  @ApiProperty({ format: 'date-time' })
  attempted_at!: string;

  @ApiProperty({ enum: AttemptTriggers })
  trigger!: AttemptTrigger;

  @ApiProperty({ enum: AttemptOutcomes, description: '`blocked`: the SSRF guard refused the address; nothing sent.' })
  outcome!: AttemptOutcome;

  @ApiProperty({ type: Number, nullable: true })
  status_code!: number | null;

  @ApiProperty()
  latency_ms!: number;

  @ApiProperty({ type: String, nullable: true, description: "The first bytes (≤ 1 KiB) of the receiver's answer." })
  response_excerpt!: string | null;

  @ApiProperty({ type: String, nullable: true })
  error!: string | null;
}

export class WebhookMessageDetail extends WebhookMessage {
  @ApiProperty({ description: 'The payload exactly as signed and sent: `{type, timestamp, data}`.' })
  payload!: unknown;

  @ApiProperty({ type: [WebhookAttempt] })
  attempt_log!: WebhookAttempt[];
}

export class Replayed {
  @ApiProperty({ description: 'How many messages were queued again (same `webhook-id`, signed afresh).' })
  replayed!: number;
}
