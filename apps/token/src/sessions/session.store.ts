import { Inject, Injectable } from '@nestjs/common';
import { StoreKeys, type SessionRecord } from '#contracts';
import { ShortLivedStore } from '#storage';
import type { EndedSession } from '../events/session-events.js';

/**
 * A session's vendor set outlives the session by this much, so the expiry sweeper still finds who to tell when
 * it runs late (a token app restarting, Redis briefly away).
 */
export const VENDORS_GRACE_SECONDS = 15 * 60;

/**
 * Platform sessions in the short-lived store, keyed by their public handle (the layout the gateway reads for
 * `/me`), with the two structures their end needs: the vendors each session was handed to (written with each
 * code, `CodeStore.saveWhileSessionLives`), and the schedule of session expiries that the sweeper turns into
 * `session.logged_out`.
 */
@Injectable()
export class SessionStore {
  constructor(@Inject(ShortLivedStore) private readonly store: ShortLivedStore) {}

  /** The session, and its place on the expiry schedule (one round trip: the two go out together). */
  async save(record: SessionRecord, ttlSeconds: number): Promise<void> {
    await Promise.all([
      this.store.put(StoreKeys.session(record.tenantId, record.sid), JSON.stringify(record), ttlSeconds),
      this.store.scheduleAdd(StoreKeys.sessionExpiries, expiryMember(ended(record)), Date.parse(record.expiresAt)),
    ]);
  }

  async find(tenantId: string, handle: string): Promise<SessionRecord | null> {
    const raw = await this.store.get(StoreKeys.session(tenantId, handle));
    return raw ? (JSON.parse(raw) as SessionRecord) : null;
  }

  /** Removes the session atomically; the one caller that removed it gets the record. */
  async remove(tenantId: string, handle: string): Promise<SessionRecord | null> {
    const raw = await this.store.take(StoreKeys.session(tenantId, handle));
    return raw ? (JSON.parse(raw) as SessionRecord) : null;
  }

  /** Undoes `save` for a session whose creation failed. */
  async discard(record: SessionRecord): Promise<void> {
    await Promise.all([
      this.store.delete(StoreKeys.session(record.tenantId, record.sid)),
      this.unschedule([expiryMember(ended(record))]),
    ]);
  }

  async vendorsOf(tenantId: string, handle: string, nowMs: number): Promise<string[]> {
    return (await this.store.indexLive(StoreKeys.sessionVendors(tenantId, handle), nowMs)).sort();
  }

  /** Up to `limit` sessions whose expiry has passed and whose end has not been announced yet. */
  async dueExpiries(nowMs: number, limit: number): Promise<Array<{ member: string; session: EndedSession | null }>> {
    const members = await this.store.scheduleDue(StoreKeys.sessionExpiries, nowMs, limit);
    return members.map((member) => ({ member, session: parseExpiryMember(member) }));
  }

  async unschedule(members: readonly string[]): Promise<void> {
    await this.store.scheduleRemove(StoreKeys.sessionExpiries, members);
  }
}

export function ended(record: SessionRecord): EndedSession {
  return { tenantId: record.tenantId, handle: record.sid, userId: record.user.id };
}

/** `<tenant id>:<handle>:<user id>`: a tenant and a user id are UUIDs, a handle base64url; none holds a colon. */
export function expiryMember(session: EndedSession): string {
  return `${session.tenantId}:${session.handle}:${session.userId}`;
}

export function parseExpiryMember(member: string): EndedSession | null {
  const parts = member.split(':');
  if (parts.length !== 3 || parts.some((p) => p.length === 0)) return null;
  const [tenantId, handle, userId] = parts;
  return { tenantId, handle, userId };
}
