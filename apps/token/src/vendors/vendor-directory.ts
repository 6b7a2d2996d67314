import { Inject, Injectable } from '@nestjs/common';
import { CLIENT_ID_PATTERN, HandoverError, type VendorRecord } from '#contracts';
import { RpcClient } from '#messaging';
import { Clock } from '../clock.js';

const TTL_MS = 60_000;

/**
 * Vendor registrations from user-data, cached on each token replica for a minute so the exchange makes no bus
 * call of its own in the steady state. An unknown vendor is cached as absent too (briefly), so guessing
 * client ids costs user-data nothing.
 */
@Injectable()
export class VendorDirectory {
  private readonly cache = new Map<string, { vendor: VendorRecord | null; expiresAt: number }>();

  constructor(
    @Inject(RpcClient) private readonly rpc: RpcClient,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  /** The vendor, or `null` when the tenant has no such client. `requestId` names the work that asks (for logs). */
  async find(tenantId: string, clientId: string, requestId?: string): Promise<VendorRecord | null> {
    if (!CLIENT_ID_PATTERN.test(clientId)) return null;
    const key = `${tenantId}:${clientId}`;
    const cached = this.cache.get(key);
    const now = this.clock.now();
    if (cached && cached.expiresAt > now) return cached.vendor;
    let vendor: VendorRecord | null;
    try {
      vendor = await this.rpc.request('user-data.vendor.get', { tenantId, clientId }, requestId);
    } catch (err) {
      if (!(err instanceof HandoverError) || err.code !== 'not_found') throw err;
      vendor = null;
    }
    this.cache.set(key, { vendor, expiresAt: now + (vendor ? TTL_MS : TTL_MS / 6) });
    return vendor;
  }
}
