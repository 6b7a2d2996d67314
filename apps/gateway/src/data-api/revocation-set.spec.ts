import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { ACCESS_TOKEN_TTL_SECONDS, revocationMember, StoreKeys } from '#contracts';
import { MemoryShortLivedStore, ShortLivedStore } from '#storage';
import { automock, type Mocked } from '#mocks';
import { Clock } from '../http/clock.js';
import { BusReconnects } from './bus-reconnects.js';
import { RevocationSet } from './revocation-set.js';

const tenantId = '11111111-1111-4111-8111-111111111111';
const otherTenant = '22222222-2222-4222-8222-222222222222';
const T0 = Date.parse('2030-01-01T00:00:00Z');

class FakeClock extends Clock {
  constructor(public time = T0) {
    super();
  }
  override now(): number {
    return this.time;
  }
}

describe(RevocationSet.name, () => {
  let sut: RevocationSet;
  let clock: FakeClock;
  let store: MemoryShortLivedStore;
  let reconnected: Array<() => void>;

  beforeEach(async () => {
    clock = new FakeClock();
    store = new MemoryShortLivedStore(() => clock.time);
    reconnected = [];
    sut = new RevocationSet(store, clock, new BusReconnects((listener) => reconnected.push(listener)));
    await sut.onApplicationBootstrap();
  });

  afterEach(async () => {
    sut.onModuleDestroy();
    await store.close();
  });

  describe('isRevoked', () => {
    it('should refuse every token of a session once session.logged_out is heard, for that tenant only', () => {
      expect(sut.isRevoked(tenantId, 'sid-1', 'jti-1')).toBe(false);
      sut.sessionLoggedOut({
        tenantId,
        sessionId: 'sid-1',
        userId: 'u',
        reason: 'host_logout',
        endedAt: new Date(T0).toISOString(),
      });
      expect(sut.isRevoked(tenantId, 'sid-1', 'jti-1')).toBe(true);
      expect(sut.isRevoked(tenantId, 'sid-1', 'jti-2')).toBe(true);
      expect(sut.isRevoked(tenantId, 'sid-2', 'jti-3')).toBe(false);
      expect(sut.isRevoked(otherTenant, 'sid-1', 'jti-1')).toBe(false);
    });

    it('should refuse one token once token.revoked is heard, and no other of its session', () => {
      sut.tokenRevoked({ tenantId, jti: 'jti-1', expiresAt: new Date(T0 + 1_800_000).toISOString() });
      expect(sut.isRevoked(tenantId, 'sid-1', 'jti-1')).toBe(true);
      expect(sut.isRevoked(tenantId, 'sid-1', 'jti-2')).toBe(false);
    });

    it('should keep a logged-out session until every token it could have had has expired, then forget it', () => {
      sut.sessionLoggedOut({
        tenantId,
        sessionId: 'sid-1',
        userId: 'u',
        reason: 'expired',
        endedAt: new Date(T0).toISOString(),
      });
      clock.time = T0 + ACCESS_TOKEN_TTL_SECONDS * 1000;
      expect(sut.isRevoked(tenantId, 'sid-1', 'x')).toBe(true);
      clock.time = T0 + (ACCESS_TOKEN_TTL_SECONDS + 61) * 1000;
      expect(sut.isRevoked(tenantId, 'sid-1', 'x')).toBe(false);
    });

    it('should not let a logout event stamped in the past shorten the revocation', () => {
      sut.sessionLoggedOut({
        tenantId,
        sessionId: 'sid-1',
        userId: 'u',
        reason: 'host_logout',
        endedAt: new Date(T0 - 3_600_000).toISOString(),
      });
      expect(sut.isRevoked(tenantId, 'sid-1', 'x')).toBe(true);
    });

    it('should answer temporarily_unavailable, not "not revoked", before the first load succeeded', async () => {
      const broken = automock(ShortLivedStore, [
        'put',
        'putIfAbsent',
        'get',
        'take',
        'delete',
        'increment',
        'indexAdd',
        'indexLive',
        'ping',
        'close',
      ]) as Mocked<ShortLivedStore>;
      broken.indexLive.mockRejectedValue(new Error('redis down') as never);
      const unloaded = new RevocationSet(broken, clock, new BusReconnects());
      await unloaded.onApplicationBootstrap();
      expect(() => unloaded.isRevoked(tenantId, 'sid', 'jti')).toThrow(
        expect.objectContaining({ code: 'temporarily_unavailable' }),
      );
      await expect(unloaded.check()).rejects.toThrow();
      broken.indexLive.mockResolvedValue([] as never);
      await unloaded.reload();
      expect(unloaded.isRevoked(tenantId, 'sid', 'jti')).toBe(false);
      await expect(unloaded.check()).resolves.toBeUndefined();
      unloaded.onModuleDestroy();
    });
  });

  describe('reload', () => {
    it('should load the live revocations of the store index at start', async () => {
      await store.indexAdd(StoreKeys.revocationIndex, revocationMember.session(tenantId, 'sid-9'), T0 + 60_000);
      await store.indexAdd(StoreKeys.revocationIndex, revocationMember.token('jti-9'), T0 + 60_000);
      await store.indexAdd(StoreKeys.revocationIndex, revocationMember.token('jti-old'), T0 - 1);
      const fresh = new RevocationSet(store, clock, new BusReconnects());
      await fresh.onApplicationBootstrap();
      expect(fresh.isRevoked(tenantId, 'sid-9', 'a')).toBe(true);
      expect(fresh.isRevoked(tenantId, 'sid-1', 'jti-9')).toBe(true);
      expect(fresh.isRevoked(tenantId, 'sid-1', 'jti-old')).toBe(false);
      fresh.onModuleDestroy();
    });

    it('should reload from the store when the bus reconnects (events sent meanwhile were missed)', async () => {
      expect(reconnected).toHaveLength(1);
      await store.indexAdd(StoreKeys.revocationIndex, revocationMember.session(tenantId, 'missed'), T0 + 60_000);
      expect(sut.isRevoked(tenantId, 'missed', 'a')).toBe(false);
      reconnected[0]();
      await sut.reload();
      expect(sut.isRevoked(tenantId, 'missed', 'a')).toBe(true);
    });

    it('should never drop an entry an event added', async () => {
      sut.tokenRevoked({ tenantId, jti: 'only-in-memory', expiresAt: new Date(T0 + 60_000).toISOString() });
      await sut.reload();
      expect(sut.isRevoked(tenantId, 's', 'only-in-memory')).toBe(true);
    });
  });
});
