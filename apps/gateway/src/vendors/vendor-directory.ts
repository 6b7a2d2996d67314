import { Inject, Injectable } from '@nestjs/common';
import { CLIENT_ID_PATTERN, HandoverError, type VendorRecord } from '#contracts';
import { RpcClient } from '#messaging';

const TTL_MS = 60_000;

/** Vendor registrations (launch mode, origins) for the hosted pages, cached on each replica for a minute. */
@Injectable()
export class VendorDirectory {
  private readonly cache = new Map<string, { vendor: VendorRecord; expiresAt: number }>();

  constructor(@Inject(RpcClient) private readonly rpc: RpcClient) {}

  /**
   * The vendor, or `not_found` (a malformed client id is answered like an unknown one). `requestId` names the
   * request on the lookup a cache miss makes.
   */
  async get(tenantId: string, clientId: string, requestId?: string): Promise<VendorRecord> {
    if (!CLIENT_ID_PATTERN.test(clientId)) throw new HandoverError('not_found', 'no such vendor');
    const key = `${tenantId}:${clientId}`;
    const cached = this.cache.get(key);
    if (cached && cached.expiresAt > Date.now()) return cached.vendor;
    const vendor = await this.rpc.request('user-data.vendor.get', { tenantId, clientId }, requestId);
    this.cache.set(key, { vendor, expiresAt: Date.now() + TTL_MS });
    return vendor;
  }
}
