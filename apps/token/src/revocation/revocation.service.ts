import { Inject, Injectable } from '@nestjs/common';
import {
  ACCESS_TOKEN_TTL_SECONDS,
  revocationMember,
  StoreKeys,
  type LogoutReason,
  type SessionRecord,
} from '#contracts';
import { RpcClient } from '#messaging';
import { ShortLivedStore } from '#storage';
import { Clock } from '../clock.js';

/**
 * Makes tokens inactive at once: records the revocation in the shared store (for introspection and for gateway
 * replicas that start later) and publishes it to every gateway replica's revocation set.
 */
@Injectable()
export class RevocationService {
  constructor(
    @Inject(ShortLivedStore) private readonly store: ShortLivedStore,
    @Inject(RpcClient) private readonly rpc: RpcClient,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  async revokeToken(tenantId: string, jti: string, expiresAtMs: number, requestId?: string): Promise<void> {
    const ttl = Math.max(1, Math.ceil((expiresAtMs - this.clock.now()) / 1000));
    await this.store.put(StoreKeys.revokedToken(jti), tenantId, ttl);
    await this.store.indexAdd(StoreKeys.revocationIndex, revocationMember.token(jti), expiresAtMs);
    const expiresAt = new Date(expiresAtMs).toISOString();
    await this.rpc.publish('token.revoked', { tenantId, jti, expiresAt }, requestId);
  }

  async isTokenRevoked(jti: string): Promise<boolean> {
    return (await this.store.get(StoreKeys.revokedToken(jti))) !== null;
  }

  /** A session ended: its tokens (which live at most ACCESS_TOKEN_TTL_SECONDS) are refused everywhere. */
  async sessionEnded(session: SessionRecord, reason: LogoutReason, requestId?: string): Promise<void> {
    const now = this.clock.now();
    const until = now + (ACCESS_TOKEN_TTL_SECONDS + 60) * 1000;
    await this.store.indexAdd(
      StoreKeys.revocationIndex,
      revocationMember.session(session.tenantId, session.sid),
      until,
    );
    await this.rpc.publish(
      'session.logged_out',
      {
        tenantId: session.tenantId,
        sessionId: session.sid,
        userId: session.user.id,
        reason,
        endedAt: new Date(now).toISOString(),
      },
      requestId,
    );
  }
}
