import { beforeEach, describe, expect, it } from '@jest/globals';
import { HandoverError, type UserCredentialsReply, type VerifyPasswordRequest } from '#contracts';
import { automock, type Mocked } from '#mocks';
import { LocalPasswordService } from './local-password.service.js';
import { PasswordHasher } from './password-hasher.js';
import { UserCredentialsRepository } from './user-credentials.repository.js';

const tenantId = '11111111-1111-4111-8111-111111111111';
const storedHash = 'scrypt$16384$8$1$salt$hash';
const dana: UserCredentialsReply = {
  user: { id: 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', login: 'dana', email: 'dana@example.com', name: 'Dana Demo' },
  passwordHash: storedHash,
};

describe(LocalPasswordService.name, () => {
  let sut: LocalPasswordService;
  let users: Mocked<UserCredentialsRepository>;
  let passwords: Mocked<PasswordHasher>;

  const attempt = (login: string, password: string): VerifyPasswordRequest => ({ tenantId, login, password });

  beforeEach(() => {
    users = automock(UserCredentialsRepository);
    passwords = automock(PasswordHasher);
    users.findByLogin.mockImplementation(async (_tenant, login) => (login === 'dana' ? dana : null));
    passwords.verify.mockImplementation(async (password, stored) => password === 'right' && stored === storedHash);
    passwords.verifyNothing.mockResolvedValue(false);
    sut = new LocalPasswordService(users, passwords);
  });

  describe('verify', () => {
    it("should give the user's profile for the right password", async () => {
      await expect(sut.verify(attempt('dana', 'right'), 'req-3')).resolves.toEqual(dana.user);

      expect(users.findByLogin).toHaveBeenCalledWith(tenantId, 'dana', 'req-3');
      expect(passwords.verify).toHaveBeenCalledWith('right', storedHash);
      expect(passwords.verifyNothing).not.toHaveBeenCalled();
    });

    it.each([
      ['a wrong password', 'dana', 'wrong', () => undefined],
      ['an unknown login', 'nobody', 'right', () => undefined],
      [
        'a user without a local password',
        'dana',
        'right',
        (u: Mocked<UserCredentialsRepository>) => u.findByLogin.mockResolvedValue({ ...dana, passwordHash: null }),
      ],
    ])('should refuse %s with the one unauthorized error', async (_case, login, password, arrange) => {
      arrange(users);

      const failure = sut.verify(attempt(login, password));

      await expect(failure).rejects.toBeInstanceOf(HandoverError);
      await expect(failure).rejects.toMatchObject({ code: 'unauthorized', description: 'invalid login or password' });
    });

    it('should run scrypt once for an unknown login, as for a known one, so timing does not reveal it', async () => {
      await sut.verify(attempt('nobody', 'right')).catch(() => undefined);

      expect(passwords.verifyNothing).toHaveBeenCalledWith('right');
      expect(passwords.verify).not.toHaveBeenCalled();
    });

    it('should run scrypt once for a user without a local password', async () => {
      users.findByLogin.mockResolvedValue({ ...dana, passwordHash: null });

      await sut.verify(attempt('dana', 'right')).catch(() => undefined);

      expect(passwords.verifyNothing).toHaveBeenCalledTimes(1);
      expect(passwords.verify).not.toHaveBeenCalled();
    });

    it('should let a failure to reach user-data through, never as a login failure', async () => {
      users.findByLogin.mockRejectedValue(HandoverError.unavailable('no service answers'));

      await expect(sut.verify(attempt('dana', 'right'))).rejects.toMatchObject({ code: 'temporarily_unavailable' });
      expect(passwords.verify).not.toHaveBeenCalled();
    });
  });
});
