import { Inject, Injectable } from '@nestjs/common';
import { StoreKeys, type SessionRecord } from '#contracts';
import { ShortLivedStore } from '#storage';

/** Platform sessions in the short-lived store, under the key layout the gateway reads for `/me`. */
@Injectable()
export class SessionStore {
  constructor(@Inject(ShortLivedStore) private readonly store: ShortLivedStore) {}

  async save(record: SessionRecord, ttlSeconds: number): Promise<void> {
    await this.store.put(StoreKeys.session(record.tenantId, record.sid), JSON.stringify(record), ttlSeconds);
  }

  async find(tenantId: string, sessionId: string): Promise<SessionRecord | null> {
    const raw = await this.store.get(StoreKeys.session(tenantId, sessionId));
    return raw ? (JSON.parse(raw) as SessionRecord) : null;
  }

  /** Removes the session atomically; the one caller that removed it gets the record. */
  async remove(tenantId: string, sessionId: string): Promise<SessionRecord | null> {
    const raw = await this.store.take(StoreKeys.session(tenantId, sessionId));
    return raw ? (JSON.parse(raw) as SessionRecord) : null;
  }
}
