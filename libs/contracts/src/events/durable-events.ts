import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
} from 'class-validator';
import type { LogoutReason } from './session-logged-out.js';

/**
 * Durable events: state changes vendors hear about by webhook (SPEC §6). The owning app writes each one to its
 * outbox in the transaction that changes the state; a relay publishes it to the durable stream (JetStream in
 * distributed mode, an in-process hand-off in embedded mode) with the event id as `Nats-Msg-Id`; the webhooks
 * app fans it out to the endpoints subscribed to its type.
 */
export const WebhookEventTypes = ['session.logged_out', 'session.created', 'vendor_data.updated'] as const;
export type WebhookEventType = (typeof WebhookEventTypes)[number];

/** `evt_` + 32 base64url characters; derived from what happened when it can happen once only (a session ends once). */
export const EVENT_ID_PATTERN = /^evt_[A-Za-z0-9_-]{32}$/;

/**
 * `data` of each event type as vendors receive it. `sub` is the subject the vendor knows (the access token's
 * `sub`); `session_id` is the access token's `sid` (the session's public handle, never the session secret);
 * `tenant` (the tenant's slug) is added by the dispatcher.
 */
export interface WebhookEventData {
  'session.logged_out': { session_id: string; sub: string; reason: LogoutReason };
  'session.created': { session_id: string; sub: string; auth_method: string; expires_at: string };
  'vendor_data.updated': { sub: string; vendor: string; keys: string[] };
}

/** The JetStream subject (before the deployment prefix) a durable event is published on. */
export const durableEventSubject = (type: WebhookEventType): string => `events.${type}`;

/** An event as it sits in an outbox and travels on the durable stream. */
export class DurableEvent<T extends WebhookEventType = WebhookEventType> {
  @IsString()
  @Matches(EVENT_ID_PATTERN)
  id!: string;

  @IsIn(WebhookEventTypes)
  type!: T;

  @IsUUID()
  tenantId!: string;

  @IsISO8601()
  occurredAt!: string;

  /** The vendors (client ids) the event concerns; absent: every vendor of the tenant subscribed to the type. */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  @MaxLength(128, { each: true })
  vendors?: string[];

  @IsObject()
  @Type(() => Object)
  data!: WebhookEventData[T];
}
