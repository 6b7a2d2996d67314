import { Inject, Injectable } from '@nestjs/common';
import { StoreKeys, type SessionRecord } from '#contracts';
import { ShortLivedStore } from '#storage';

/** Live platform sessions as the token app keeps them in the short-lived store (read-only here). */
@Injectable()
export class SessionRecords {
  constructor(@Inject(ShortLivedStore) private readonly store: ShortLivedStore) {}

  /** The session, or null once it has ended or expired (the token app deletes it at logout). */
  async find(tenantId: string, sessionId: string): Promise<SessionRecord | null> {
    const raw = await this.store.get(StoreKeys.session(tenantId, sessionId));
    if (raw === null) return null;
    try {
      return JSON.parse(raw) as SessionRecord;
    } catch {
      return null;
    }
  }
}
