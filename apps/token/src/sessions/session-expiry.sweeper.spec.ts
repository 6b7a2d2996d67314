import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { StoreKeys } from '#contracts';
import { MemoryShortLivedStore } from '#storage';
import { buildTokenServices, tenantId } from '../../test/token-fixture.js';
import { sessionEventId } from '../events/session-events.js';
import { sessionHandle } from './session-handle.js';
import { SessionExpirySweeper } from './session-expiry.sweeper.js';

const userId = '22222222-2222-4222-8222-222222222222';
const TTL_MS = 3600_000;

describe(SessionExpirySweeper.name, () => {
  let now: number;
  let store: MemoryShortLivedStore;
  let t: ReturnType<typeof buildTokenServices>;

  beforeEach(() => {
    now = 1_800_000_000_000;
    store = new MemoryShortLivedStore(() => now);
    t = buildTokenServices(store, { sessionTtlSeconds: TTL_MS / 1000, sessionSweepIntervalMs: 20 }, { now: () => now });
  });

  afterEach(async () => {
    await t.sweeper.onModuleDestroy();
    await store.close();
  });

  describe('sweep', () => {
    it('should announce nothing before a session has expired', async () => {
      await t.openSession();

      now += TTL_MS - 1;
      await expect(t.sweeper.sweep()).resolves.toBe(0);
      expect(t.outbox.ofType('session.logged_out')).toEqual([]);
    });

    it('should announce each expired session to its own vendors, reason expired, once', async () => {
      const handed = await t.openSession();
      await t.issue(handed, 'vendor-a');
      await t.issue(handed, 'vendor-b');
      const alone = await t.openSession();

      now += TTL_MS;
      await expect(t.sweeper.sweep()).resolves.toBe(2);
      await expect(t.sweeper.sweep()).resolves.toBe(0);

      const events = t.outbox.ofType('session.logged_out');
      expect(events).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            id: sessionEventId(tenantId, sessionHandle(handed), 'session.logged_out'),
            vendors: ['vendor-a', 'vendor-b'],
            data: { session_id: sessionHandle(handed), sub: userId, reason: 'expired' },
          }),
          expect.objectContaining({
            id: sessionEventId(tenantId, sessionHandle(alone), 'session.logged_out'),
            vendors: [],
            data: { session_id: sessionHandle(alone), sub: userId, reason: 'expired' },
          }),
        ]),
      );
      expect(events).toHaveLength(2);
      expect(t.outbox.nudges).toBe(3); // two creations, one sweep
      await expect(store.scheduleDue(StoreKeys.sessionExpiries, now, 10)).resolves.toEqual([]);
    });

    it('should not announce an expiry for a session that was logged out (the logout is its one event)', async () => {
      const sessionId = await t.openSession();
      await t.sessions.end({ tenantId, sessionId, reason: 'host_logout' });

      now += TTL_MS;
      await expect(t.sweeper.sweep()).resolves.toBe(0);

      expect(t.outbox.ofType('session.logged_out').map((e) => e.data.reason)).toEqual(['host_logout']);
    });

    it('should give one event when it dies between the outbox write and the schedule update', async () => {
      const sessionId = await t.openSession();
      now += TTL_MS;
      const remove = jest.spyOn(store, 'scheduleRemove').mockRejectedValueOnce(new Error('redis down'));

      await expect(t.sweeper.sweep()).rejects.toThrow('redis down');
      await expect(t.sweeper.sweep()).resolves.toBe(1);

      expect(remove).toHaveBeenCalledTimes(2);
      expect(t.outbox.ofType('session.logged_out')).toEqual([
        expect.objectContaining({ id: sessionEventId(tenantId, sessionHandle(sessionId), 'session.logged_out') }),
      ]);
    });

    it('should keep expiries on the schedule while the outbox cannot be written, and announce them after', async () => {
      await t.openSession();
      now += TTL_MS;
      t.outbox.down = true;

      await expect(t.sweeper.sweep()).rejects.toMatchObject({ code: 'temporarily_unavailable' });
      await expect(store.scheduleDue(StoreKeys.sessionExpiries, now, 10)).resolves.toHaveLength(1);

      t.outbox.down = false;
      await expect(t.sweeper.sweep()).resolves.toBe(1);
      await expect(store.scheduleDue(StoreKeys.sessionExpiries, now, 10)).resolves.toEqual([]);
    });

    it('should work through a backlog larger than one batch', async () => {
      for (let i = 0; i < 1201; i++) await t.openSession();
      now += TTL_MS;

      await expect(t.sweeper.sweep()).resolves.toBe(1201);
      expect(t.outbox.ofType('session.logged_out')).toHaveLength(1201);
    });

    it('should drop a malformed schedule member rather than stall on it', async () => {
      await store.scheduleAdd(StoreKeys.sessionExpiries, 'not-a-member', now - 1);

      await expect(t.sweeper.sweep()).resolves.toBe(0);
      await expect(store.scheduleDue(StoreKeys.sessionExpiries, now, 10)).resolves.toEqual([]);
    });
  });

  describe('onApplicationBootstrap', () => {
    it('should sweep every sessionSweepIntervalMs until destroyed', async () => {
      await t.openSession();
      now += TTL_MS;

      t.sweeper.onApplicationBootstrap();
      const deadline = Date.now() + 2000;
      while (t.outbox.ofType('session.logged_out').length === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await t.sweeper.onModuleDestroy();

      expect(t.outbox.ofType('session.logged_out')).toHaveLength(1);
      await t.openSession();
      now += TTL_MS;
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(t.outbox.ofType('session.logged_out')).toHaveLength(1);
    });
  });
});
