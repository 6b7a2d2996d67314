import { Inject, Injectable } from '@nestjs/common';
import {
  EndpointRef,
  HandoverError,
  MessageRef,
  validatePayload,
  type AttemptView,
  type CreatedEndpointReply,
  type EndpointView,
  type MessageDetail,
  type MessageView,
  type TenantReply,
} from '#contracts';
import { RpcClient } from '#messaging';
import { TenantDirectory } from '../tenants/tenant-directory.service.js';
import { VendorDirectory } from '../vendors/vendor-directory.js';
import type {
  CreatedWebhookEndpoint,
  CreateWebhookEndpointBody,
  ListMessagesQuery,
  Replayed,
  ReplayRangeBody,
  RotatedSecret,
  RotateSecretBody,
  UpdateWebhookEndpointBody,
  WebhookAttempt,
  WebhookEndpoint,
  WebhookEndpoints,
  WebhookMessage,
  WebhookMessageDetail,
  WebhookMessages,
} from './webhooks-admin.dto.js';

/** The largest page of the delivery log; a larger `limit` is clamped to it (as the data API clamps its pages). */
const MAX_MESSAGES_PAGE = 200;

/**
 * The admin API for webhook endpoints and their delivery log: resolves the tenant slug (and the vendor, on the
 * vendor's routes), maps the snake_case edge to the webhooks app's bus contract and back. The webhooks app owns
 * every rule beyond the shapes (URLs, SSRF, kinds) and scopes every id to the tenant: another tenant's endpoint
 * or message is `not_found`, exactly as a missing one. A malformed id in the path is `not_found` too, as a
 * malformed tenant slug or client id is, checked here against the same contract the webhooks app validates.
 */
@Injectable()
export class WebhooksAdminService {
  constructor(
    @Inject(RpcClient) private readonly rpc: RpcClient,
    @Inject(TenantDirectory) private readonly tenants: TenantDirectory,
    @Inject(VendorDirectory) private readonly vendors: VendorDirectory,
  ) {}

  async create(
    slug: string,
    vendor: string,
    body: CreateWebhookEndpointBody,
    requestId: string,
  ): Promise<CreatedWebhookEndpoint> {
    const tenant = await this.vendorOf(slug, vendor, requestId);
    const created = await this.rpc.request(
      'webhooks.endpoint.create',
      {
        tenantId: tenant.id,
        tenantSlug: tenant.slug,
        vendor,
        kind: body.kind ?? 'webhook',
        url: body.url,
        eventTypes: body.event_types,
        enabled: body.enabled,
        description: body.description,
      },
      requestId,
    );
    return createdEndpointBody(created);
  }

  async list(slug: string, vendor: string | undefined, requestId: string): Promise<WebhookEndpoints> {
    const tenant =
      vendor === undefined ? await this.tenants.resolve(slug, requestId) : await this.vendorOf(slug, vendor, requestId);
    const { endpoints } = await this.rpc.request('webhooks.endpoint.list', { tenantId: tenant.id, vendor }, requestId);
    return { endpoints: endpoints.map(endpointBody) };
  }

  async get(slug: string, endpointId: string, requestId: string): Promise<WebhookEndpoint> {
    const ref = await this.endpointRef(slug, endpointId, requestId);
    return endpointBody(await this.rpc.request('webhooks.endpoint.get', ref, requestId));
  }

  async update(
    slug: string,
    endpointId: string,
    body: UpdateWebhookEndpointBody,
    requestId: string,
  ): Promise<WebhookEndpoint> {
    const ref = await this.endpointRef(slug, endpointId, requestId);
    const updated = await this.rpc.request(
      'webhooks.endpoint.update',
      { ...ref, url: body.url, eventTypes: body.event_types, enabled: body.enabled, description: body.description },
      requestId,
    );
    return endpointBody(updated);
  }

  async delete(slug: string, endpointId: string, requestId: string): Promise<void> {
    const ref = await this.endpointRef(slug, endpointId, requestId);
    const { deleted } = await this.rpc.request('webhooks.endpoint.delete', ref, requestId);
    if (!deleted) throw noSuchEndpoint();
  }

  async rotateSecret(
    slug: string,
    endpointId: string,
    body: RotateSecretBody,
    requestId: string,
  ): Promise<RotatedSecret> {
    const ref = await this.endpointRef(slug, endpointId, requestId);
    const rotated = await this.rpc.request(
      'webhooks.endpoint.rotate-secret',
      { ...ref, overlapSeconds: body.overlap_seconds },
      requestId,
    );
    return { secret: rotated.secret, previous_secret_valid_until: rotated.previousSecretValidUntil };
  }

  async messages(
    slug: string,
    endpointId: string,
    query: ListMessagesQuery,
    requestId: string,
  ): Promise<WebhookMessages> {
    const ref = await this.endpointRef(slug, endpointId, requestId);
    const page = await this.rpc.request(
      'webhooks.message.list',
      {
        ...ref,
        status: query.status,
        since: query.since,
        until: query.until,
        limit: pageSizeOf(query.limit),
        cursor: query.cursor === '' ? undefined : query.cursor,
      },
      requestId,
    );
    return { messages: page.messages.map(messageBody), next_cursor: page.nextCursor };
  }

  async replayRange(slug: string, endpointId: string, body: ReplayRangeBody, requestId: string): Promise<Replayed> {
    const ref = await this.endpointRef(slug, endpointId, requestId);
    const { replayed } = await this.rpc.request(
      'webhooks.message.replay-range',
      { ...ref, since: body.since, until: body.until, onlyFailed: body.only_failed },
      requestId,
    );
    return { replayed };
  }

  async message(slug: string, messageId: string, requestId: string): Promise<WebhookMessageDetail> {
    const ref = await this.messageRef(slug, messageId, requestId);
    return messageDetailBody(await this.rpc.request('webhooks.message.get', ref, requestId));
  }

  async replayMessage(slug: string, messageId: string, requestId: string): Promise<Replayed> {
    const ref = await this.messageRef(slug, messageId, requestId);
    const { replayed } = await this.rpc.request('webhooks.message.replay', ref, requestId);
    return { replayed };
  }

  /** The tenant, once its vendor is known to exist (`not_found` for an unknown or malformed client id). */
  private async vendorOf(slug: string, vendor: string, requestId: string): Promise<TenantReply> {
    const tenant = await this.tenants.resolve(slug, requestId);
    await this.vendors.get(tenant.id, vendor, requestId);
    return tenant;
  }

  private async endpointRef(slug: string, endpointId: string, requestId: string): Promise<EndpointRef> {
    const tenant = await this.tenants.resolve(slug, requestId);
    return pathRef(EndpointRef, { tenantId: tenant.id, endpointId }, 'no such webhook endpoint');
  }

  private async messageRef(slug: string, messageId: string, requestId: string): Promise<MessageRef> {
    const tenant = await this.tenants.resolve(slug, requestId);
    return pathRef(MessageRef, { tenantId: tenant.id, messageId }, 'no such message');
  }
}

/** A path's ids checked against the bus contract: what the webhooks app would refuse is simply not found here. */
function pathRef<T extends object>(cls: new () => T, value: T, notFound: string): T {
  try {
    return validatePayload(cls, value);
  } catch (cause) {
    throw new HandoverError('not_found', notFound, { cause });
  }
}

function noSuchEndpoint(): HandoverError {
  return new HandoverError('not_found', 'no such webhook endpoint');
}

/** `limit`: absent → the webhooks app's default; 0 is `invalid_request`; above the largest page, clamped. */
export function pageSizeOf(limit: string | undefined): number | undefined {
  if (limit === undefined) return undefined;
  const size = Number(limit);
  if (size < 1) throw new HandoverError('invalid_request', 'limit must be at least 1');
  return Math.min(size, MAX_MESSAGES_PAGE);
}

export function endpointBody(view: EndpointView): WebhookEndpoint {
  return {
    id: view.id,
    vendor: view.vendor,
    kind: view.kind,
    url: view.url,
    description: view.description,
    event_types: view.eventTypes,
    enabled: view.enabled,
    disabled_reason: view.disabledReason,
    disabled_at: view.disabledAt,
    failing_since: view.failingSince,
    previous_secret_valid_until: view.previousSecretValidUntil,
    created_at: view.createdAt,
    updated_at: view.updatedAt,
  };
}

function createdEndpointBody(created: CreatedEndpointReply): CreatedWebhookEndpoint {
  return { ...endpointBody(created), secret: created.secret };
}

export function messageBody(view: MessageView): WebhookMessage {
  return {
    id: view.id,
    endpoint_id: view.endpointId,
    event_id: view.eventId,
    event_type: view.eventType,
    status: view.status,
    attempts: view.attempts,
    next_attempt_at: view.nextAttemptAt,
    created_at: view.createdAt,
    last_attempt_at: view.lastAttemptAt,
    delivered_at: view.deliveredAt,
    last_status_code: view.lastStatusCode,
    last_error: view.lastError,
  };
}

function messageDetailBody(detail: MessageDetail): WebhookMessageDetail {
  return { ...messageBody(detail), payload: detail.payload, attempt_log: detail.attemptLog.map(attemptBody) };
}

function attemptBody(attempt: AttemptView): WebhookAttempt {
  return {
    attempted_at: attempt.attemptedAt,
    trigger: attempt.trigger,
    outcome: attempt.outcome,
    status_code: attempt.statusCode,
    latency_ms: attempt.latencyMs,
    response_excerpt: attempt.responseExcerpt,
    error: attempt.error,
  };
}
