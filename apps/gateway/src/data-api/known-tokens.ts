import { Injectable } from '@nestjs/common';
import { hash } from 'node:crypto';
import { BoundedMap } from '../bounded-map.js';

/** ~110 bytes each (a 43-character digest, a Map entry, a ring slot): a few MB at most. */
const MAX_KNOWN_TOKENS = 20_000;

/**
 * Access tokens whose ES256 signature this replica knows to be good, so the data API need not check it again:
 * - the ones it relayed from the token app, the signer, as the token endpoint's answer (a vendor typically calls
 *   the data API right after the exchange, SPEC §1);
 * - the ones it has verified itself (a vendor reuses a token for up to 30 minutes).
 * The verification is the largest cost of a `/me` at the gateway (~60–110 µs of CPU). A known token still gets
 * every other check (format, algorithm, its tenant's key for its `kid`, every claim, the revocation set), so a
 * rotated-out key, an expiry or a logout refuses it as before.
 *
 * Keyed by the whole token's SHA-256, never a part of it (another payload under a known signature misses), and
 * bound to the tenant it was issued or verified for. Bounded in number, oldest first out: a token that falls out
 * is simply verified again.
 */
@Injectable()
export class KnownTokens {
  private readonly tenantOf = new BoundedMap<string, string>(MAX_KNOWN_TOKENS);

  remember(tenantId: string, token: string): void {
    const digest = digestOf(token);
    if (!this.tenantOf.has(digest)) this.tenantOf.set(digest, tenantId);
  }

  isKnown(tenantId: string, token: string): boolean {
    return this.tenantOf.get(digestOf(token)) === tenantId;
  }
}

function digestOf(token: string): string {
  return hash('sha256', token, 'base64url');
}
