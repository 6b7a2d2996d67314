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
import { sessionCreatedEvent, sessionLoggedOutEvent } from '../events/session-events.js';
import { TokenOutbox } from '../events/token-outbox.js';
import { RevocationService } from '../revocation/revocation.service.js';
import { TokenPolicy } from '../token.policy.js';
import { sessionHandle } from './session-handle.js';
import { ended, expiryMember, SessionStore } from './session.store.js';

@Injectable()
export class SessionsService {
  constructor(
    @Inject(SessionStore) private readonly sessions: SessionStore,
    @Inject(RevocationService) private readonly revocation: RevocationService,
    @Inject(TokenOutbox) private readonly outbox: TokenOutbox,
    @Inject(TokenPolicy) private readonly policy: TokenPolicy,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  /**
   * 1. a fresh 256-bit session id, which only the caller gets: the session is stored under its handle;
   * 2. the session and its expiry on the schedule;
   * 3. `session.created` in the outbox; if that fails the session is removed again and the call fails (503).
   */
  async create(request: CreateSessionRequest): Promise<CreateSessionReply> {
    const now = this.clock.now();
    const ttl = this.policy.sessionTtlSeconds;
    const sessionId = randomToken(32);
    const record: SessionRecord = {
      sid: sessionHandle(sessionId),
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
    try {
      await this.outbox.write([sessionCreatedEvent(record, now)]);
    } catch (err) {
      await this.sessions.discard(record).catch(() => undefined);
      throw err;
    }
    this.outbox.nudge();
    return { sessionId, expiresIn: ttl };
  }

  /** The session the caller's session id names (the record carries its handle, never the id). */
  async get(tenantId: string, sessionId: string): Promise<SessionRecord> {
    const session = await this.sessions.find(tenantId, sessionHandle(sessionId));
    if (!session) throw new HandoverError('not_found', 'no such session');
    return session;
  }

  /**
   * Idempotent: ending an ended session is not an error. In order:
   * 1. read the session and the vendors it was handed to;
   * 2. write `session.logged_out` to the outbox: if the database is down the call fails (503) and the session
   *    lives on, since a logout is not acknowledged unless its event is durable (FI-08);
   * 3. take the session (of concurrent ends, one does; the others' events had the same id and were skipped);
   * 4. revoke its tokens on every gateway replica, take it off the expiry schedule, and let the relay publish.
   */
  async end(request: EndSessionRequest, requestId?: string): Promise<EndSessionReply> {
    const handle = sessionHandle(request.sessionId);
    const now = this.clock.now();
    const [session, vendors] = await Promise.all([
      this.sessions.find(request.tenantId, handle),
      this.sessions.vendorsOf(request.tenantId, handle, now),
    ]);
    if (!session) return { ended: false };
    await this.outbox.write([sessionLoggedOutEvent(ended(session), request.reason, vendors, now)]);
    const removed = await this.sessions.remove(request.tenantId, handle);
    if (!removed) return { ended: false };
    await this.revocation.sessionEnded(removed, request.reason, requestId);
    await this.sessions.unschedule([expiryMember(ended(removed))]);
    this.outbox.nudge();
    return { ended: true };
  }
}
