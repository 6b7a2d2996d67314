import { Inject, Injectable } from '@nestjs/common';
import {
  HandoverError,
  type CreateSessionReply,
  type CreateSessionRequest,
  type EndSessionReply,
  type EndSessionRequest,
  type SessionRecord,
} from '#contracts';
import { randomToken } from '#security';
import { Clock } from '../clock.js';
import { RevocationService } from '../revocation/revocation.service.js';
import { TokenPolicy } from '../token.policy.js';
import { SessionStore } from './session.store.js';

@Injectable()
export class SessionsService {
  constructor(
    @Inject(SessionStore) private readonly sessions: SessionStore,
    @Inject(RevocationService) private readonly revocation: RevocationService,
    @Inject(TokenPolicy) private readonly policy: TokenPolicy,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  async create(request: CreateSessionRequest): Promise<CreateSessionReply> {
    const now = this.clock.now();
    const ttl = this.policy.sessionTtlSeconds;
    const record: SessionRecord = {
      sid: randomToken(32),
      tenantId: request.tenantId,
      user: {
        id: request.user.id,
        login: request.user.login,
        email: request.user.email ?? null,
        name: request.user.name ?? null,
      },
      authMethod: request.authMethod,
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + ttl * 1000).toISOString(),
    };
    await this.sessions.save(record, ttl);
    return { sessionId: record.sid, expiresIn: ttl };
  }

  async get(tenantId: string, sessionId: string): Promise<SessionRecord> {
    const session = await this.sessions.find(tenantId, sessionId);
    if (!session) throw new HandoverError('not_found', 'no such session');
    return session;
  }

  /** Idempotent: ending an ended session is not an error. */
  async end(request: EndSessionRequest): Promise<EndSessionReply> {
    const session = await this.sessions.remove(request.tenantId, request.sessionId);
    if (!session) return { ended: false };
    await this.revocation.sessionEnded(session, request.reason);
    return { ended: true };
  }
}
