import { Controller, Inject, Injectable } from '@nestjs/common';
import { HandoverError, TENANT_SLUG_PATTERN, type TenantChanged, type TenantReply } from '#contracts';
import { HandleEvent, RpcClient } from '#messaging';

const TTL_MS = 60_000;

/**
 * Resolves `/t/{tenant}` slugs through user-data, with a short cache on each gateway replica that the
 * `tenant.changed` event (heard by every replica) clears: no manual invalidation, no bus hop per request.
 */
@Injectable()
export class TenantDirectory {
  private readonly cache = new Map<string, { tenant: TenantReply; expiresAt: number }>();

  constructor(@Inject(RpcClient) private readonly rpc: RpcClient) {}

  /**
   * The tenant, or `not_found` (a malformed slug is answered exactly like an unknown one). `requestId` names the
   * request on the lookup a cache miss makes.
   */
  async resolve(slug: string, requestId?: string): Promise<TenantReply> {
    if (!TENANT_SLUG_PATTERN.test(slug)) throw new HandoverError('not_found', 'no such tenant');
    const cached = this.cache.get(slug);
    if (cached && cached.expiresAt > Date.now()) return cached.tenant;
    const tenant = await this.rpc.request('user-data.tenant.get', { slug }, requestId);
    this.cache.set(slug, { tenant, expiresAt: Date.now() + TTL_MS });
    return tenant;
  }

  forget(slug: string): void {
    this.cache.delete(slug);
  }
}

@Controller()
export class TenantEventsHandler {
  constructor(@Inject(TenantDirectory) private readonly directory: TenantDirectory) {}

  @HandleEvent('tenant.changed', { broadcast: true })
  tenantChanged(event: TenantChanged): void {
    this.directory.forget(event.slug);
  }
}
