import { beforeEach, describe, expect, it } from '@jest/globals';
import { QueryFailedError } from 'typeorm';
import { verifyPassword } from '#security';
import { automock, type Mocked } from '#mocks';
import type { UserEntity } from './user.entity.js';
import { UsersRepository } from './users.repository.js';
import { UsersService } from './users.service.js';

const tenantA = '11111111-1111-4111-8111-111111111111';
const tenantB = '22222222-2222-4222-8222-222222222222';
const danaId = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';

const dana: UserEntity = {
  id: danaId,
  tenantId: tenantA,
  login: 'dana',
  email: 'dana@example.com',
  fullName: 'Dana Demo',
  passwordHash: 'scrypt$16384$8$1$salt$hash',
  createdAt: new Date(),
};

describe(UsersService.name, () => {
  let sut: UsersService;
  let repository: Mocked<UsersRepository>;
  const stored = [dana];

  beforeEach(() => {
    repository = automock(UsersRepository);
    repository.findByLogin.mockImplementation(
      async (tenantId, login) => stored.find((u) => u.tenantId === tenantId && u.login === login) ?? null,
    );
    repository.findById.mockImplementation(
      async (tenantId, id) => stored.find((u) => u.tenantId === tenantId && u.id === id) ?? null,
    );
    sut = new UsersService(repository);
  });

  describe('resolve', () => {
    it('should find a user by login and give the profile without the password hash', async () => {
      const profile = await sut.resolve(tenantA, 'dana');

      expect(profile).toEqual({ id: danaId, login: 'dana', email: 'dana@example.com', name: 'Dana Demo' });
    });

    it('should find a user by id', async () => {
      await expect(sut.resolve(tenantA, danaId)).resolves.toMatchObject({ id: danaId, login: 'dana' });
    });

    it('should never ask for an id that is not shaped as a UUID (the column would refuse it)', async () => {
      await expect(sut.resolve(tenantA, 'not-a-uuid')).rejects.toMatchObject({ code: 'not_found' });

      expect(repository.findById).not.toHaveBeenCalled();
    });

    it.each([
      ['an unknown login', tenantA, 'nobody'],
      ['an unknown id', tenantA, 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb'],
      ["another tenant's user by login", tenantB, 'dana'],
      ["another tenant's user by id", tenantB, danaId],
    ])('should answer %s with not_found, the same for every case', async (_case, tenantId, user) => {
      await expect(sut.resolve(tenantId, user)).rejects.toMatchObject({
        code: 'not_found',
        description: 'no such user',
      });
    });
  });

  describe('credentials', () => {
    it('should give the profile and the password hash by login', async () => {
      await expect(sut.credentials(tenantA, 'dana')).resolves.toEqual({
        user: { id: danaId, login: 'dana', email: 'dana@example.com', name: 'Dana Demo' },
        passwordHash: dana.passwordHash,
      });
    });

    it('should give a null hash for a user without a local password', async () => {
      repository.findByLogin.mockResolvedValueOnce({ ...dana, passwordHash: null });

      await expect(sut.credentials(tenantA, 'dana')).resolves.toMatchObject({ passwordHash: null });
    });

    it.each([
      ['an unknown login', tenantA, 'nobody'],
      ["another tenant's user", tenantB, 'dana'],
      ['a user id (credentials go by login only)', tenantA, danaId],
    ])('should answer %s with not_found', async (_case, tenantId, login) => {
      await expect(sut.credentials(tenantId, login)).rejects.toMatchObject({
        code: 'not_found',
        description: 'no such user',
      });
    });
  });

  describe('create', () => {
    const newId = 'cccccccc-cccc-4ccc-8ccc-cccccccccccc';

    beforeEach(() => {
      repository.insert.mockResolvedValue(newId);
    });

    it('should store the user with an scrypt hash of the password, never the password', async () => {
      await expect(
        sut.create({ tenantId: tenantA, login: 'erin', email: 'erin@example.com', name: 'Erin', password: 's3cret' }),
      ).resolves.toEqual({ id: newId, login: 'erin' });

      const [stored] = repository.insert.mock.calls[0];
      expect(stored).toMatchObject({ tenantId: tenantA, login: 'erin', email: 'erin@example.com', fullName: 'Erin' });
      expect(stored.passwordHash).toMatch(/^scrypt\$/);
      expect(JSON.stringify(stored)).not.toContain('s3cret');
      await expect(verifyPassword('s3cret', stored.passwordHash ?? '')).resolves.toBe(true);
    });

    it('should store a user without a password, e-mail or name as nulls', async () => {
      await sut.create({ tenantId: tenantA, login: 'erin' });

      expect(repository.insert).toHaveBeenCalledWith({
        tenantId: tenantA,
        login: 'erin',
        email: null,
        fullName: null,
        passwordHash: null,
      });
    });

    it('should answer a login taken in the tenant (the UNIQUE constraint) with conflict', async () => {
      repository.insert.mockRejectedValue(
        new QueryFailedError('INSERT …', [], Object.assign(new Error('duplicate key'), { code: '23505' })),
      );

      await expect(sut.create({ tenantId: tenantA, login: 'dana' })).rejects.toMatchObject({ code: 'conflict' });
    });
  });
});
