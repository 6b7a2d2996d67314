import { Inject, Injectable } from '@nestjs/common';
import type { Dispatcher } from 'undici';
import type { OutboundNetwork } from '#contracts';
import { createGuardedDispatcher, type HostResolver } from '#security';
import { WebhookPolicy } from '../webhooks.policy.js';

/** Replaces `dns.lookup` in the SSRF-guarded dispatchers (tests: a name that resolves to an internal address). */
export const OUTBOUND_RESOLVER = Symbol('OUTBOUND_RESOLVER');

/**
 * One SSRF-guarded connection pool per outbound network policy, shared by every endpoint of the tenants with
 * that policy: keep-alive works across deliveries, and each connect is checked against the policy.
 */
@Injectable()
export class OutboundDispatchers {
  private readonly pools = new Map<OutboundNetwork, Dispatcher>();

  constructor(
    @Inject(WebhookPolicy) private readonly policy: WebhookPolicy,
    @Inject(OUTBOUND_RESOLVER) private readonly resolver: HostResolver | null,
  ) {}

  for(network: OutboundNetwork): Dispatcher {
    let pool = this.pools.get(network);
    if (!pool) {
      const timeout = this.policy.httpTimeoutMs;
      pool = createGuardedDispatcher(network, {
        connectTimeoutMs: timeout,
        headersTimeoutMs: timeout,
        bodyTimeoutMs: timeout,
        ...(this.resolver ? { resolver: this.resolver } : {}),
      });
      this.pools.set(network, pool);
    }
    return pool;
  }

  /** Closes every pool; in-flight requests are cut off (their messages are re-sent after their leases). */
  async destroy(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.destroy().catch(() => undefined)));
  }
}
