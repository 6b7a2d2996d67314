import { beforeEach, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { SecretBox } from '#security';
import { automock, type Mocked } from '#mocks';
import type { SigningKeyEntity } from './signing-key.entity.js';
import { SigningKeyRepository } from './signing-key.repository.js';
import { SigningKeysService } from './signing-keys.service.js';

const tenantId = '11111111-1111-4111-8111-111111111111';

describe(SigningKeysService.name, () => {
  let sut: SigningKeysService;
  let repository: Mocked<SigningKeyRepository>;
  let stored: SigningKeyEntity[];
  const box = new SecretBox(randomBytes(32), 'signing-keys');

  beforeEach(() => {
    stored = [];
    repository = automock(SigningKeyRepository);
    repository.findPublishable.mockImplementation(async (id: string) => stored.filter((k) => k.tenantId === id));
    repository.insertActiveIfNone.mockImplementation(async (key) => {
      if (stored.some((k) => k.tenantId === key.tenantId && k.status === 'active')) return false;
      stored.push({ ...key, status: 'active', createdAt: new Date() });
      return true;
    });
    sut = new SigningKeysService(repository, box);
  });

  describe('publicJwks', () => {
    it("should create a tenant's first ES256 key on first use and publish only its public half", async () => {
      const { keys } = await sut.publicJwks(tenantId);
      expect(keys).toHaveLength(1);
      expect(keys[0]).toEqual(expect.objectContaining({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' }));
      expect(Object.keys(keys[0]).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
    });

    it('should seal the private key at rest, bound to its kid', async () => {
      const { keys } = await sut.publicJwks(tenantId);
      const row = stored[0];
      expect(row.privateJwkSealed).not.toContain('"d"');
      const privateJwk = JSON.parse(box.open(row.privateJwkSealed, keys[0].kid)) as Record<string, string>;
      expect(privateJwk.d).toEqual(expect.any(String));
      expect(() => box.open(row.privateJwkSealed, 'another-kid')).toThrow();
    });

    it('should serve the same key again without creating another', async () => {
      const first = await sut.publicJwks(tenantId);
      const second = await sut.publicJwks(tenantId);
      expect(second.keys[0].kid).toBe(first.keys[0].kid);
      expect(repository.insertActiveIfNone).toHaveBeenCalledTimes(1);
    });
  });
});
