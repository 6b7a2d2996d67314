import { Inject, Injectable } from '@nestjs/common';
import { HandoverError, OutboundNetworks, type OutboundNetwork } from '#contracts';
import { RpcClient } from '#messaging';
import { Clock } from '../clock.js';

export interface TenantInfo {
  id: string;
  slug: string;
  outboundNetwork: OutboundNetwork;
}

/** How long a tenant's outbound policy is trusted before it is asked again. */
const TTL_MS = 30_000;

/**
 * Tenants as user-data knows them (`user-data.tenant.get`), cached by slug: a fan-out of thousands of deliveries
 * asks once per tenant, and concurrent lookups of one slug share one request.
 */
@Injectable()
export class TenantDirectory {
  private readonly cache = new Map<string, { value: Promise<TenantInfo>; expiresAt: number }>();

  constructor(
    @Inject(RpcClient) private readonly rpc: RpcClient,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  /**
   * The tenant of `slug`, checked to be `tenantId`: a slug that names another tenant is `not_found`, as is an
   * unknown one. A user-data outage surfaces as `temporarily_unavailable` (and is not cached).
   */
  async get(tenantId: string, slug: string, requestId?: string): Promise<TenantInfo> {
    const tenant = await this.lookup(slug, requestId);
    if (tenant.id !== tenantId) throw new HandoverError('not_found', 'no such tenant');
    return tenant;
  }

  private lookup(slug: string, requestId: string | undefined): Promise<TenantInfo> {
    const now = this.clock.now();
    const cached = this.cache.get(slug);
    if (cached && cached.expiresAt > now) return cached.value;
    const value = this.rpc.request('user-data.tenant.get', { slug }, requestId).then((reply) => ({
      id: reply.id,
      slug: reply.slug,
      // An older user-data that does not say is treated as the strictest policy.
      outboundNetwork: (OutboundNetworks as readonly string[]).includes(reply.outboundNetwork)
        ? reply.outboundNetwork
        : 'public',
    }));
    this.cache.set(slug, { value, expiresAt: now + TTL_MS });
    value.catch(() => {
      if (this.cache.get(slug)?.value === value) this.cache.delete(slug);
    });
    return value;
  }
}
