import { Injectable } from '@nestjs/common';
import { hash } from 'node:crypto';

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
 * is simply verified again. The oldest is found in a ring of digests, not as the Map's first key: V8 leaves a hole
 * at the front of a Map's table for each deletion until it rehashes, and `keys().next()` steps over all of them
 * (13 µs per eviction at 20,000 entries, micro).
 */
@Injectable()
export class KnownTokens {
  private readonly tenantOf = new Map<string, string>();
  /** The digests in the order they were remembered; `next` is the oldest once the ring is full. */
  private readonly order: string[] = [];
  private next = 0;

  remember(tenantId: string, token: string): void {
    const digest = digestOf(token);
    if (this.tenantOf.has(digest)) return;
    if (this.order.length === MAX_KNOWN_TOKENS) this.tenantOf.delete(this.order[this.next]);
    this.order[this.next] = digest;
    this.next = (this.next + 1) % MAX_KNOWN_TOKENS;
    this.tenantOf.set(digest, tenantId);
  }

  isKnown(tenantId: string, token: string): boolean {
    return this.tenantOf.get(digestOf(token)) === tenantId;
  }
}

function digestOf(token: string): string {
  return hash('sha256', token, 'base64url');
}
