import { beforeEach, describe, expect, it } from '@jest/globals';
import type { TenantReply, UserProfile } from '#contracts';
import { RpcClient } from '#messaging';
import { automock, type Mocked } from '#mocks';
import { HostSessionsService } from './host-sessions.service.js';

const demo: TenantReply = {
  id: '11111111-1111-4111-8111-111111111111',
  slug: 'demo',
  name: 'Demo Bank',
  outboundNetwork: 'public',
};
const user: UserProfile = { id: '33333333-3333-4333-8333-333333333333', login: 'demo', email: null, name: 'Demo' };
const sid = 'S'.repeat(43);

describe(HostSessionsService.name, () => {
  let sut: HostSessionsService;
  let rpc: Mocked<RpcClient>;

  beforeEach(() => {
    rpc = automock(RpcClient, ['request', 'publish']);
    sut = new HostSessionsService(rpc);
  });

  describe('create', () => {
    it('should open a session for a user the host vouches for', async () => {
      rpc.request.mockImplementation((async (subject: string) =>
        subject === 'user-data.user.resolve' ? user : { sessionId: sid, expiresIn: 3600 }) as never);
      await expect(sut.create(demo, { user: 'demo' }, 'req-1')).resolves.toEqual({
        session_id: sid,
        user: { id: user.id, login: 'demo' },
        expires_in: 3600,
      });
      expect(rpc.request).toHaveBeenNthCalledWith(
        1,
        'user-data.user.resolve',
        { tenantId: demo.id, user: 'demo' },
        'req-1',
      );
      expect(rpc.request).toHaveBeenNthCalledWith(
        2,
        'token.session.create',
        {
          tenantId: demo.id,
          user,
          authMethod: 'host',
        },
        'req-1',
      );
    });

    it('should open a session for a user who proves their password', async () => {
      rpc.request.mockImplementation((async (subject: string) =>
        subject === 'identity.password.verify' ? user : { sessionId: sid, expiresIn: 3600 }) as never);
      await sut.create(demo, { login: 'demo', password: 'demo' }, 'req-1');
      expect(rpc.request).toHaveBeenNthCalledWith(
        1,
        'identity.password.verify',
        {
          tenantId: demo.id,
          login: 'demo',
          password: 'demo',
        },
        'req-1',
      );
      expect(rpc.request).toHaveBeenNthCalledWith(
        2,
        'token.session.create',
        expect.objectContaining({ authMethod: 'password' }),
        'req-1',
      );
    });

    it('should refuse both shapes at once, neither, or half of one, without a bus call', async () => {
      for (const body of [
        { user: 'demo', login: 'demo', password: 'demo' },
        { user: 'demo', email: 'a@b.c' },
        {},
        { login: 'demo' },
        { password: 'demo' },
        { email: 'a@b.c', password: 'x' },
      ]) {
        await expect(sut.create(demo, body, 'req-1')).rejects.toMatchObject({ code: 'invalid_request' });
      }
      expect(rpc.request).not.toHaveBeenCalled();
    });
  });

  describe('end', () => {
    it('should end the session as a host logout', async () => {
      rpc.request.mockResolvedValue({ ended: true } as never);
      await sut.end(demo, sid, 'req-1');
      expect(rpc.request).toHaveBeenCalledWith(
        'token.session.end',
        {
          tenantId: demo.id,
          sessionId: sid,
          reason: 'host_logout',
        },
        'req-1',
      );
    });

    it('should treat a session id that cannot exist as already ended', async () => {
      await expect(sut.end(demo, 'not-a-session', 'req-1')).resolves.toBeUndefined();
      expect(rpc.request).not.toHaveBeenCalled();
    });
  });

  describe('issueCode', () => {
    it('should issue a code for the vendor and answer {code, expires_in, config}', async () => {
      rpc.request.mockResolvedValue({
        code: 'c0de',
        expiresIn: 30,
        redirectUri: 'http://localhost:3000/demo/plugin',
        config: { theme: 'dark' },
        scope: 'profile',
      } as never);
      await expect(
        sut.issueCode(
          demo,
          sid,
          {
            vendor: 'demo-vendor',
            code_challenge: 'x'.repeat(43),
            code_challenge_method: 'S256',
          },
          'req-1',
        ),
      ).resolves.toEqual({ code: 'c0de', expires_in: 30, config: { theme: 'dark' } });
      expect(rpc.request).toHaveBeenCalledWith(
        'token.code.issue',
        {
          tenantId: demo.id,
          sessionId: sid,
          clientId: 'demo-vendor',
          redirectUri: undefined,
          codeChallenge: 'x'.repeat(43),
          codeChallengeMethod: 'S256',
          scope: undefined,
        },
        'req-1',
      );
    });

    it('should answer a malformed session id as no such session', async () => {
      await expect(sut.issueCode(demo, '../x', { vendor: 'demo-vendor' }, 'req-1')).rejects.toMatchObject({
        code: 'not_found',
      });
    });
  });
});
