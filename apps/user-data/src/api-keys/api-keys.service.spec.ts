import { beforeEach, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { HandoverError } from '#contracts';
import { SecretHasher } from '#security';
import { automock, type Mocked } from '#mocks';
import type { ApiKeyEntity } from './api-key.entity.js';
import { ApiKeysRepository } from './api-keys.repository.js';
import { ApiKeysService } from './api-keys.service.js';

const tenantId = '11111111-1111-4111-8111-111111111111';

describe(ApiKeysService.name, () => {
  let sut: ApiKeysService;
  let repository: Mocked<ApiKeysRepository>;
  const hasher = new SecretHasher(randomBytes(32));
  let stored: ApiKeyEntity[];

  const row = (key: string, kind: ApiKeyEntity['kind'], label: string): ApiKeyEntity => ({
    id: `id-${label}`,
    tenantId: kind === 'host' ? tenantId : null,
    kind,
    keyHash: hasher.hash(key),
    label,
    createdAt: new Date(),
  });

  beforeEach(() => {
    stored = [row('host-key', 'host', 'bank host'), row('admin-key', 'admin', 'ops')];
    repository = automock(ApiKeysRepository);
    repository.findByHash.mockImplementation(async (hash) => stored.find((k) => k.keyHash === hash) ?? null);
    sut = new ApiKeysService(repository, hasher);
  });

  describe('verify', () => {
    it('should resolve a host key to its kind, tenant and label', async () => {
      await expect(sut.verify('host-key')).resolves.toEqual({ kind: 'host', tenantId, label: 'bank host' });
    });

    it('should resolve an admin key with no tenant', async () => {
      await expect(sut.verify('admin-key')).resolves.toEqual({ kind: 'admin', tenantId: null, label: 'ops' });
    });

    it('should look the key up by its keyed hash, never by the key itself', async () => {
      await sut.verify('host-key');

      expect(repository.findByHash).toHaveBeenCalledWith(hasher.hash('host-key'));
      expect(repository.findByHash.mock.calls.flat()).not.toContain('host-key');
    });

    it.each([
      ['an unknown key', 'no-such-key'],
      ['a key differing in one character', 'host-keY'],
      ['a prefix of a key', 'host-'],
      ['a key whose row was hashed under another secret key', 'moved-key'],
    ])('should refuse %s with the one unauthorized error', async (_case, key) => {
      stored.push({
        ...row('moved-key', 'host', 'moved'),
        keyHash: new SecretHasher(randomBytes(32)).hash('moved-key'),
      });

      const failure = sut.verify(key);

      await expect(failure).rejects.toBeInstanceOf(HandoverError);
      await expect(failure).rejects.toMatchObject({ code: 'unauthorized', description: 'invalid API key' });
    });

    it('should hash the key on every path, found or not (the same work either way)', async () => {
      await sut.verify('host-key');
      await sut.verify('unknown').catch(() => undefined);

      expect(repository.findByHash).toHaveBeenCalledTimes(2);
    });
  });
});
