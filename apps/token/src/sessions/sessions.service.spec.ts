import { beforeEach, describe, expect, it } from '@jest/globals';
import { revocationMember, StoreKeys, type DurableEvent } from '#contracts';
import { MemoryShortLivedStore } from '#storage';
import { buildTokenServices, tenantId } from '../../test/token-fixture.js';
import { sessionEventId } from '../events/session-events.js';
import { sessionHandle } from './session-handle.js';
import { SessionsService } from './sessions.service.js';

const userId = '22222222-2222-4222-8222-222222222222';

describe(SessionsService.name, () => {
  let now: number;
  let store: MemoryShortLivedStore;
  let t: ReturnType<typeof buildTokenServices>;

  beforeEach(() => {
    now = 1_800_000_000_000;
    store = new MemoryShortLivedStore(() => now);
    t = buildTokenServices(store, { sessionTtlSeconds: 3600 }, { now: () => now });
  });

  describe('create', () => {
    it('should give the caller a 256-bit session id and store the session under its handle only', async () => {
      const sessionId = await t.openSession();

      expect(sessionId).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const handle = sessionHandle(sessionId);
      expect(handle).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(handle).not.toBe(sessionId);
      await expect(store.get(StoreKeys.session(tenantId, handle))).resolves.toContain(`"sid":"${handle}"`);
      await expect(store.get(StoreKeys.session(tenantId, sessionId))).resolves.toBeNull();
      await expect(t.sessions.get(tenantId, sessionId)).resolves.toMatchObject({ sid: handle, user: { id: userId } });
    });

    it("should not let a session's handle (what vendors see) stand for its id", async () => {
      const sessionId = await t.openSession();

      await expect(t.sessions.get(tenantId, sessionHandle(sessionId))).rejects.toMatchObject({ code: 'not_found' });
      await expect(t.issue(sessionHandle(sessionId))).rejects.toMatchObject({ code: 'not_found' });
    });

    it('should write session.created to the outbox, nudge the relay and schedule the expiry', async () => {
      const sessionId = await t.openSession();
      const handle = sessionHandle(sessionId);

      expect(t.outbox.events).toEqual([
        {
          id: sessionEventId(tenantId, handle, 'session.created'),
          type: 'session.created',
          tenantId,
          occurredAt: new Date(now).toISOString(),
          data: {
            session_id: handle,
            sub: userId,
            auth_method: 'host',
            expires_at: new Date(now + 3600_000).toISOString(),
          },
        },
      ]);
      expect(t.outbox.nudges).toBe(1);
      await expect(store.scheduleDue(StoreKeys.sessionExpiries, now + 3600_000, 10)).resolves.toEqual([
        `${tenantId}:${handle}:${userId}`,
      ]);
    });

    it('should fail with temporarily_unavailable and leave no session when the outbox cannot be written', async () => {
      t.outbox.down = true;

      await expect(t.openSession()).rejects.toMatchObject({ code: 'temporarily_unavailable' });
      const [refused] = t.outbox.refused as Array<DurableEvent<'session.created'>>;
      await expect(store.get(StoreKeys.session(tenantId, refused.data.session_id))).resolves.toBeNull();
      await expect(store.scheduleDue(StoreKeys.sessionExpiries, Number.MAX_SAFE_INTEGER, 10)).resolves.toEqual([]);
      expect(t.outbox.nudges).toBe(0);
    });
  });

  describe('end', () => {
    it('should announce the logout to the vendors the session was handed to, by its handle', async () => {
      const sessionId = await t.openSession();
      await t.issue(sessionId, 'vendor-b');
      await t.issue(sessionId, 'vendor-a');
      await t.issue(sessionId, 'vendor-a');

      await expect(t.sessions.end({ tenantId, sessionId, reason: 'host_logout' })).resolves.toEqual({ ended: true });

      const handle = sessionHandle(sessionId);
      expect(t.outbox.ofType('session.logged_out')).toEqual([
        {
          id: sessionEventId(tenantId, handle, 'session.logged_out'),
          type: 'session.logged_out',
          tenantId,
          occurredAt: new Date(now).toISOString(),
          vendors: ['vendor-a', 'vendor-b'],
          data: { session_id: handle, sub: userId, reason: 'host_logout' },
        },
      ]);
      expect(JSON.stringify(t.outbox.events)).not.toContain(sessionId);
      expect(t.outbox.nudges).toBe(2);
    });

    it('should end the session, revoke it by its handle and take it off the expiry schedule', async () => {
      const sessionId = await t.openSession();
      const handle = sessionHandle(sessionId);

      await t.sessions.end({ tenantId, sessionId, reason: 'user_logout' });

      await expect(t.sessions.get(tenantId, sessionId)).rejects.toMatchObject({ code: 'not_found' });
      await expect(store.indexLive(StoreKeys.revocationIndex, now)).resolves.toEqual([
        revocationMember.session(tenantId, handle),
      ]);
      expect(t.bus.events).toEqual([
        {
          subject: 'session.logged_out',
          payload: expect.objectContaining({ tenantId, sessionId: handle, userId, reason: 'user_logout' }),
        },
      ]);
      await expect(store.scheduleDue(StoreKeys.sessionExpiries, Number.MAX_SAFE_INTEGER, 10)).resolves.toEqual([]);
    });

    it('should announce a session handed to no vendor to none (not to every vendor)', async () => {
      const sessionId = await t.openSession();

      await t.sessions.end({ tenantId, sessionId, reason: 'host_logout' });

      expect(t.outbox.ofType('session.logged_out')[0].vendors).toEqual([]);
    });

    it('should be idempotent: a second end, or concurrent ends, give one event and one ended: true', async () => {
      const sessionId = await t.openSession();

      const results = await Promise.all(
        Array.from({ length: 8 }, () => t.sessions.end({ tenantId, sessionId, reason: 'host_logout' })),
      );
      await expect(t.sessions.end({ tenantId, sessionId, reason: 'host_logout' })).resolves.toEqual({ ended: false });

      expect(results.filter((r) => r.ended)).toHaveLength(1);
      expect(t.outbox.ofType('session.logged_out')).toHaveLength(1);
      expect(t.bus.events.filter((e) => e.subject === 'session.logged_out')).toHaveLength(1);
    });

    it('should answer ended: false for an unknown session and announce nothing', async () => {
      await expect(t.sessions.end({ tenantId, sessionId: 'x'.repeat(43), reason: 'host_logout' })).resolves.toEqual({
        ended: false,
      });

      expect(t.outbox.events).toEqual([]);
      expect(t.bus.events).toEqual([]);
    });

    it('should refuse the logout (503) and keep the session alive while the outbox cannot be written (FI-08)', async () => {
      const sessionId = await t.openSession();
      const { code } = await t.issue(sessionId);
      const { access_token } = await t.exchange(code);
      t.outbox.down = true;

      await expect(t.sessions.end({ tenantId, sessionId, reason: 'host_logout' })).rejects.toMatchObject({
        code: 'temporarily_unavailable',
      });

      await expect(t.sessions.get(tenantId, sessionId)).resolves.toMatchObject({ sid: sessionHandle(sessionId) });
      await expect(t.introspect(access_token)).resolves.toMatchObject({ active: true });
      await expect(t.issue(sessionId)).resolves.toMatchObject({ code: expect.any(String) });
      expect(t.bus.events).toEqual([]);
      await expect(store.indexLive(StoreKeys.revocationIndex, now)).resolves.toEqual([]);

      t.outbox.down = false;
      await expect(t.sessions.end({ tenantId, sessionId, reason: 'host_logout' })).resolves.toEqual({ ended: true });
      await expect(t.introspect(access_token)).resolves.toEqual({ active: false });
      expect(t.outbox.ofType('session.logged_out')).toHaveLength(1);
    });
  });

  describe('event ids', () => {
    it('should be the same for a logout and an expiry of one session, and differ between sessions and types', () => {
      const ids = [
        sessionEventId(tenantId, 'handle-1', 'session.logged_out'),
        sessionEventId(tenantId, 'handle-2', 'session.logged_out'),
        sessionEventId(tenantId, 'handle-1', 'session.created'),
        sessionEventId('33333333-3333-4333-8333-333333333333', 'handle-1', 'session.logged_out'),
      ];

      expect(new Set(ids).size).toBe(4);
      expect(sessionEventId(tenantId, 'handle-1', 'session.logged_out')).toBe(ids[0]);
      for (const id of ids) expect(id).toMatch(/^evt_[A-Za-z0-9_-]{32}$/);
    });
  });
});
