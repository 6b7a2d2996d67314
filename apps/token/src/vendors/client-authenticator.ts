import { Inject, Injectable } from '@nestjs/common';
import { HandoverError, StoreKeys, type VendorRecord } from '#contracts';
import { SecretHasher } from '#security';
import { ShortLivedStore } from '#storage';
import { TokenPolicy } from '../token.policy.js';
import { VendorDirectory } from './vendor-directory.js';

const WINDOW_SECONDS = 60;

/**
 * Authenticates a vendor by its client secret (keyed hash, constant-time compare) and throttles a vendor whose
 * requests keep failing: after `clientFailuresPerMinute` failed authentications or grants the token endpoint
 * answers 429 with Retry-After until the minute is over. Successful requests are never throttled.
 */
@Injectable()
export class ClientAuthenticator {
  constructor(
    @Inject(VendorDirectory) private readonly vendors: VendorDirectory,
    @Inject(SecretHasher) private readonly hasher: SecretHasher,
    @Inject(ShortLivedStore) private readonly store: ShortLivedStore,
    @Inject(TokenPolicy) private readonly policy: TokenPolicy,
  ) {}

  async authenticate(
    tenantId: string,
    clientId: string,
    clientSecret: string,
    requestId?: string,
  ): Promise<VendorRecord> {
    await this.refuseIfThrottled(tenantId, clientId);
    const vendor = await this.vendors.find(tenantId, clientId, requestId);
    // Hash even for an unknown client, so the answer takes the same time either way.
    const valid = this.hasher.verify(clientSecret, vendor?.secretHash ?? 'no-such-client');
    if (!vendor || !valid) {
      await this.recordFailure(tenantId, clientId);
      throw new HandoverError('invalid_client', 'client authentication failed');
    }
    return vendor;
  }

  /** Counts a failed grant (bad, expired or reused code) against the vendor. */
  async recordFailure(tenantId: string, clientId: string): Promise<void> {
    await this.store.increment(StoreKeys.failedClientAuth(tenantId, clientId), WINDOW_SECONDS);
  }

  private async refuseIfThrottled(tenantId: string, clientId: string): Promise<void> {
    const failures = Number((await this.store.get(StoreKeys.failedClientAuth(tenantId, clientId))) ?? 0);
    if (failures >= this.policy.clientFailuresPerMinute) {
      throw new HandoverError('too_many_requests', 'too many failed requests for this client; retry later', {
        retryAfter: WINDOW_SECONDS,
      });
    }
  }
}
