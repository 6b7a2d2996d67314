import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  DEFAULT_SECRET_OVERLAP_SECONDS,
  HandoverError,
  type CreatedEndpointReply,
  type CreateEndpointRequest,
  type DeletedReply,
  type EndpointKind,
  type EndpointRef,
  type EndpointsReply,
  type EndpointView,
  type ListEndpointsRequest,
  type OutboundNetwork,
  type RotatedSecretReply,
  type RotateSecretRequest,
  type UpdateEndpointRequest,
  type WebhookEventType,
} from '#contracts';
import { RpcClient } from '#messaging';
import { checkOutboundUrl, generateWebhookSecret } from '#security';
import { Clock } from '../clock.js';
import { TenantDirectory } from '../tenants/tenant-directory.js';
import { endpointView, type EndpointRecord } from './endpoint.record.js';
import { EndpointSecrets } from './endpoint-secrets.js';
import { EndpointsRepository } from './endpoints.repository.js';
import { SubscriptionCache } from './subscription-cache.js';

const DEFAULT_EVENT_TYPES: WebhookEventType[] = ['session.logged_out'];

/** Back-channel logout (OIDC BCL 1.0) carries logouts only. */
function checkEventTypes(kind: EndpointKind, eventTypes: WebhookEventType[]): void {
  if (kind === 'backchannel_logout' && eventTypes.some((t) => t !== 'session.logged_out')) {
    throw new HandoverError('invalid_request', 'a backchannel_logout endpoint takes only session.logged_out');
  }
}

function notFound(): HandoverError {
  return new HandoverError('not_found', 'no such webhook endpoint');
}

/**
 * Vendor endpoints through the admin API. Every call is scoped to its tenant: another tenant's endpoint is
 * `not_found`, as a missing one. URLs are checked against the tenant's outbound network policy (SSRF) when set;
 * the dispatcher checks every connect again.
 */
@Injectable()
export class EndpointsService {
  constructor(
    @Inject(EndpointsRepository) private readonly endpoints: EndpointsRepository,
    @Inject(EndpointSecrets) private readonly secrets: EndpointSecrets,
    @Inject(TenantDirectory) private readonly tenants: TenantDirectory,
    @Inject(SubscriptionCache) private readonly subscriptions: SubscriptionCache,
    @Inject(RpcClient) private readonly rpc: RpcClient,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  /**
   * 1. the tenant (its slug must be the tenant's) and its outbound policy;
   * 2. the vendor must be the tenant's;
   * 3. event types fit the kind;
   * 4. the URL passes the SSRF check under the tenant's policy;
   * 5. a fresh `whsec_` secret (webhook kind), sealed at rest and shown this once.
   */
  async create(
    request: CreateEndpointRequest,
    { requestId, fixedSecret }: { requestId?: string; fixedSecret?: string } = {},
  ): Promise<CreatedEndpointReply> {
    const tenant = await this.tenants.get(request.tenantId, request.tenantSlug, requestId);
    await this.rpc.request('user-data.vendor.get', { tenantId: request.tenantId, clientId: request.vendor }, requestId);
    const eventTypes = request.eventTypes ?? DEFAULT_EVENT_TYPES;
    checkEventTypes(request.kind, eventTypes);
    const url = await this.checkedUrl(request.url, tenant.outboundNetwork);
    const id = randomUUID();
    const secret = request.kind === 'webhook' ? (fixedSecret ?? generateWebhookSecret()) : null;
    const enabled = request.enabled ?? true;
    const now = new Date(this.clock.now());
    const created = await this.endpoints.insert({
      id,
      tenantId: request.tenantId,
      tenantSlug: request.tenantSlug,
      vendor: request.vendor,
      kind: request.kind,
      url,
      description: request.description ?? null,
      eventTypes,
      enabled,
      disabledReason: enabled ? null : 'admin',
      disabledAt: enabled ? null : now,
      secret: secret === null ? null : this.secrets.seal(id, secret),
      previousSecret: null,
      previousSecretValidUntil: null,
    });
    this.subscriptions.invalidate(request.tenantId);
    return { ...endpointView(created), secret };
  }

  async list(request: ListEndpointsRequest): Promise<EndpointsReply> {
    return { endpoints: (await this.endpoints.list(request.tenantId, request.vendor)).map(endpointView) };
  }

  async get(request: EndpointRef): Promise<EndpointView> {
    return endpointView(await this.find(request.tenantId, request.endpointId));
  }

  /** URL and event types re-checked as at creation; `enabled: true` also clears the failing state. */
  async update(request: UpdateEndpointRequest, requestId?: string): Promise<EndpointView> {
    const current = await this.find(request.tenantId, request.endpointId);
    if (request.eventTypes) checkEventTypes(current.kind, request.eventTypes);
    let url: string | undefined;
    if (request.url !== undefined) {
      const tenant = await this.tenants.get(current.tenantId, current.tenantSlug, requestId);
      url = await this.checkedUrl(request.url, tenant.outboundNetwork);
    }
    const updated = await this.endpoints.update(
      request.tenantId,
      request.endpointId,
      { url, eventTypes: request.eventTypes, description: request.description, enabled: request.enabled },
      new Date(this.clock.now()),
    );
    if (!updated) throw notFound();
    this.subscriptions.invalidate(request.tenantId);
    return endpointView(updated);
  }

  async delete(request: EndpointRef): Promise<DeletedReply> {
    const deleted = await this.endpoints.delete(request.tenantId, request.endpointId);
    if (!deleted) throw notFound();
    this.subscriptions.invalidate(request.tenantId);
    return { deleted };
  }

  /** The new secret signs from now on; the old one also signs (two signatures) for the overlap. */
  async rotateSecret(request: RotateSecretRequest): Promise<RotatedSecretReply> {
    const current = await this.find(request.tenantId, request.endpointId);
    if (current.kind !== 'webhook') {
      throw new HandoverError('invalid_request', 'a backchannel_logout endpoint has no secret to rotate');
    }
    const overlapSeconds = request.overlapSeconds ?? DEFAULT_SECRET_OVERLAP_SECONDS;
    const now = this.clock.now();
    const secret = generateWebhookSecret();
    const rotated = await this.endpoints.rotateSecret(
      request.tenantId,
      request.endpointId,
      this.secrets.seal(current.id, secret),
      overlapSeconds > 0 ? new Date(now + overlapSeconds * 1000) : null,
      new Date(now),
    );
    if (!rotated) throw notFound();
    return { secret, previousSecretValidUntil: rotated.previousSecretValidUntil?.toISOString() ?? null };
  }

  private async find(tenantId: string, id: string): Promise<EndpointRecord> {
    const endpoint = await this.endpoints.find(tenantId, id);
    if (!endpoint) throw notFound();
    return endpoint;
  }

  private async checkedUrl(url: string, network: OutboundNetwork): Promise<string> {
    return (await checkOutboundUrl(url, network)).toString();
  }
}
