import { beforeEach, describe, expect, it } from '@jest/globals';
import type { AccessTokenClaims, SessionRecord, TenantReply } from '#contracts';
import { RpcClient } from '#messaging';
import { automock, type Mocked } from '#mocks';
import type { VerifiedAccessToken } from './access-token.verifier.js';
import { DataApiService, pageSizeOf } from './data-api.service.js';
import { SessionRecords } from './session-records.repository.js';

const demo: TenantReply = {
  id: '11111111-1111-4111-8111-111111111111',
  slug: 'demo',
  name: 'Demo Bank',
  outboundNetwork: 'public',
};
const userId = '33333333-3333-4333-8333-333333333333';
const accountId = '44444444-4444-4444-8444-444444444444';
const sid = 'S'.repeat(43);
const claims: AccessTokenClaims = {
  iss: 'http://localhost:3000/t/demo',
  aud: 'http://localhost:3000/t/demo/api/v1',
  sub: userId,
  client_id: 'demo-vendor',
  sid,
  jti: 'j',
  scope: 'profile accounts',
  iat: 1,
  exp: 2,
};
const token: VerifiedAccessToken = { tenant: demo, claims, scopes: new Set(['profile', 'accounts']) };
const session: SessionRecord = {
  sid,
  tenantId: demo.id,
  user: { id: userId, login: 'demo', email: 'demo@example.com', name: 'Demo User' },
  authMethod: 'password',
  createdAt: '2030-01-01T00:00:00.000Z',
  expiresAt: '2030-01-01T08:00:00.000Z',
};

describe(DataApiService.name, () => {
  let sut: DataApiService;
  let sessions: Mocked<SessionRecords>;
  let rpc: Mocked<RpcClient>;

  beforeEach(() => {
    sessions = automock(SessionRecords);
    rpc = automock(RpcClient, ['request', 'publish']);
    sut = new DataApiService(sessions, rpc);
  });

  describe('me', () => {
    it('should answer the user, the live session and the token facts', async () => {
      sessions.find.mockResolvedValue(session);
      await expect(sut.me(token)).resolves.toEqual({
        sub: userId,
        user: { id: userId, login: 'demo', email: 'demo@example.com', name: 'Demo User' },
        session: {
          id: sid,
          created_at: session.createdAt,
          expires_at: session.expiresAt,
          auth_method: 'password',
        },
        client_id: 'demo-vendor',
        scope: 'profile accounts',
        vendor_data: {},
      });
      expect(sessions.find).toHaveBeenCalledWith(demo.id, sid);
    });

    it('should refuse the token with invalid_token once its session has ended', async () => {
      sessions.find.mockResolvedValue(null);
      await expect(sut.me(token)).rejects.toMatchObject({ code: 'invalid_token' });
    });

    it("should refuse a session that is not the token's user's", async () => {
      sessions.find.mockResolvedValue({ ...session, user: { ...session.user, id: accountId } });
      await expect(sut.me(token)).rejects.toMatchObject({ code: 'invalid_token' });
    });
  });

  describe('accounts', () => {
    it("should list the token user's accounts, whatever the request says", async () => {
      rpc.request.mockResolvedValue({ accounts: [] } as never);
      await sut.accounts(token, 'req-1');
      expect(rpc.request).toHaveBeenCalledWith('user-data.accounts.list', { tenantId: demo.id, userId }, 'req-1');
    });
  });

  describe('transactions', () => {
    it('should ask for one page of the account for the token user', async () => {
      rpc.request.mockResolvedValue({ transactions: [], next_cursor: null } as never);
      await sut.transactions(token, accountId, { cursor: 'abc', limit: '10' }, 'req-1');
      expect(rpc.request).toHaveBeenCalledWith(
        'user-data.transactions.list',
        {
          tenantId: demo.id,
          userId,
          accountId,
          cursor: 'abc',
          limit: 10,
        },
        'req-1',
      );
    });

    it('should answer an account id that is not a uuid as not found, like a missing account', async () => {
      for (const id of ['1', '../x', `${accountId}x`, "' OR 1=1"]) {
        await expect(sut.transactions(token, id, {}, 'req-1')).rejects.toMatchObject({ code: 'not_found' });
      }
      expect(rpc.request).not.toHaveBeenCalled();
    });

    it('should refuse a repeated or over-long cursor', async () => {
      await expect(sut.transactions(token, accountId, { cursor: ['a', 'b'] }, 'req-1')).rejects.toMatchObject({
        code: 'invalid_request',
      });
      await expect(sut.transactions(token, accountId, { cursor: 'c'.repeat(201) }, 'req-1')).rejects.toMatchObject({
        code: 'invalid_request',
      });
    });
  });
});

describe(pageSizeOf.name, () => {
  it('should default to 25 and clamp to 1..100', () => {
    expect(pageSizeOf(undefined)).toBe(25);
    expect(pageSizeOf('')).toBe(25);
    expect(pageSizeOf('10')).toBe(10);
    expect(pageSizeOf('-1')).toBe(1);
    expect(pageSizeOf('0')).toBe(1);
    expect(pageSizeOf('1000000')).toBe(100);
  });

  it('should refuse anything but one integer', () => {
    for (const value of ['abc', '1.5', '1e3', ' 5', ['1', '2'], '99999999999999999']) {
      expect(() => pageSizeOf(value)).toThrow(expect.objectContaining({ code: 'invalid_request' }));
    }
  });
});
