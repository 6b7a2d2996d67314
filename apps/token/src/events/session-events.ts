import { hash } from 'node:crypto';
import type { DurableEvent, LogoutReason, SessionRecord, WebhookEventType } from '#contracts';

/**
 * The durable events of a session's life. Ids are derived from the tenant, the session's handle and the type,
 * not drawn at random: a session ends once, so a logout and the expiry sweeper (or two replicas, or a retry)
 * writing its `session.logged_out` produce one row and one event, whichever comes first.
 */
export function sessionEventId(tenantId: string, handle: string, type: WebhookEventType): string {
  const digest = hash('sha256', `${type}\n${tenantId}\n${handle}`, 'base64url');
  return `evt_${digest.slice(0, 32)}`;
}

/** What the logout event needs of a session: its tenant, handle and user (an expiry has no record left). */
export interface EndedSession {
  tenantId: string;
  handle: string;
  userId: string;
}

export function sessionLoggedOutEvent(
  session: EndedSession,
  reason: LogoutReason,
  vendors: string[],
  occurredAtMs: number,
): DurableEvent<'session.logged_out'> {
  return {
    id: sessionEventId(session.tenantId, session.handle, 'session.logged_out'),
    type: 'session.logged_out',
    tenantId: session.tenantId,
    occurredAt: new Date(occurredAtMs).toISOString(),
    // Only the vendors the session was handed to hear of its end; none is a valid answer (never handed over).
    vendors,
    data: { session_id: session.handle, sub: session.userId, reason },
  };
}

/** `vendors` absent: every vendor of the tenant subscribed to `session.created` (no vendor holds it yet). */
export function sessionCreatedEvent(record: SessionRecord, occurredAtMs: number): DurableEvent<'session.created'> {
  return {
    id: sessionEventId(record.tenantId, record.sid, 'session.created'),
    type: 'session.created',
    tenantId: record.tenantId,
    occurredAt: new Date(occurredAtMs).toISOString(),
    data: {
      session_id: record.sid,
      sub: record.user.id,
      auth_method: record.authMethod,
      expires_at: record.expiresAt,
    },
  };
}
