import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../clock.js';
import { EndpointsRepository, type Subscription } from './endpoints.repository.js';

/**
 * How long ingest trusts its copy of a tenant's endpoints. Another replica's admin change is seen within this
 * time; this replica's own changes invalidate at once.
 */
const TTL_MS = 2_000;

/** Tenants' endpoints (enabled or not), cached briefly so a stream of events does not read them per batch. */
@Injectable()
export class SubscriptionCache {
  private readonly cache = new Map<string, { subscriptions: Subscription[]; expiresAt: number }>();

  constructor(
    @Inject(EndpointsRepository) private readonly endpoints: EndpointsRepository,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  async forTenants(tenantIds: readonly string[]): Promise<Map<string, Subscription[]>> {
    const now = this.clock.now();
    const result = new Map<string, Subscription[]>();
    const missing: string[] = [];
    for (const tenantId of new Set(tenantIds)) {
      const cached = this.cache.get(tenantId);
      if (cached && cached.expiresAt > now) result.set(tenantId, cached.subscriptions);
      else missing.push(tenantId);
    }
    if (missing.length > 0) {
      const loaded = await this.endpoints.subscriptions(missing);
      for (const tenantId of missing) {
        const subscriptions = loaded.filter((s) => s.tenantId === tenantId);
        this.cache.set(tenantId, { subscriptions, expiresAt: now + TTL_MS });
        result.set(tenantId, subscriptions);
      }
    }
    return result;
  }

  invalidate(tenantId: string): void {
    this.cache.delete(tenantId);
  }
}
