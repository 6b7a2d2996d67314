import { beforeEach, describe, expect, it } from '@jest/globals';
import { HandoverError, type UserCredentialsReply } from '#contracts';
import { RpcClient } from '#messaging';
import { automock, type Mocked } from '#mocks';
import { UserCredentialsRepository } from './user-credentials.repository.js';

const tenantId = '11111111-1111-4111-8111-111111111111';

describe(UserCredentialsRepository.name, () => {
  let sut: UserCredentialsRepository;
  let rpc: Mocked<RpcClient>;

  beforeEach(() => {
    rpc = automock(RpcClient, ['request', 'publish']);
    sut = new UserCredentialsRepository(rpc);
  });

  describe('findByLogin', () => {
    it('should ask user-data for the credentials of the login in the tenant', async () => {
      const reply: UserCredentialsReply = {
        user: { id: 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', login: 'dana', email: null, name: null },
        passwordHash: 'scrypt$x',
      };
      rpc.request.mockResolvedValue(reply);

      await expect(sut.findByLogin(tenantId, 'dana', 'req-4')).resolves.toEqual(reply);
      expect(rpc.request).toHaveBeenCalledWith('user-data.user.credentials', { tenantId, login: 'dana' }, 'req-4');
    });

    it('should turn not_found into null', async () => {
      rpc.request.mockRejectedValue(new HandoverError('not_found', 'no such user'));

      await expect(sut.findByLogin(tenantId, 'nobody')).resolves.toBeNull();
    });

    it('should pass any other failure on', async () => {
      rpc.request.mockRejectedValue(HandoverError.unavailable('no service answers user-data.user.credentials'));

      await expect(sut.findByLogin(tenantId, 'dana')).rejects.toMatchObject({ code: 'temporarily_unavailable' });
    });
  });
});
