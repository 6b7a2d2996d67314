import { beforeEach, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { QueryFailedError } from 'typeorm';
import { RpcClient } from '#messaging';
import { SecretHasher } from '#security';
import { automock, type Mocked } from '#mocks';
import type { TenantEntity } from './tenant.entity.js';
import { TenantsRepository } from './tenants.repository.js';
import { TenantsService } from './tenants.service.js';

const tenantId = '11111111-1111-4111-8111-111111111111';
const acme: TenantEntity = {
  id: tenantId,
  slug: 'acme',
  name: 'Acme Bank',
  outboundNetwork: 'public',
  createdAt: new Date(),
};

describe(TenantsService.name, () => {
  let sut: TenantsService;
  let repository: Mocked<TenantsRepository>;
  let rpc: Mocked<RpcClient>;
  const hasher = new SecretHasher(randomBytes(32));

  beforeEach(() => {
    repository = automock(TenantsRepository);
    rpc = automock(RpcClient, ['request', 'publish']);
    rpc.publish.mockResolvedValue(undefined);
    repository.createWithHostKey.mockResolvedValue(acme);
    repository.findBySlug.mockImplementation(async (slug) => (slug === 'acme' ? acme : null));
    sut = new TenantsService(repository, hasher, rpc);
  });

  describe('get', () => {
    it('should give the tenant by slug with its outbound network, and not_found for an unknown one', async () => {
      await expect(sut.get('acme')).resolves.toEqual({
        id: tenantId,
        slug: 'acme',
        name: 'Acme Bank',
        outboundNetwork: 'public',
      });
      await expect(sut.get('nobody')).rejects.toMatchObject({ code: 'not_found' });
    });
  });

  describe('create', () => {
    it('should store the keyed hash of a fresh host key and give the key once', async () => {
      const created = await sut.create({ slug: 'acme', name: 'Acme Bank' });

      expect(created).toEqual({ id: tenantId, slug: 'acme', name: 'Acme Bank', hostKey: expect.any(String) });
      expect(created.hostKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(repository.createWithHostKey).toHaveBeenCalledWith(
        'acme',
        'Acme Bank',
        'public',
        hasher.hash(created.hostKey),
      );
    });

    it('should create the tenant with the outbound network asked for, public by default', async () => {
      await sut.create({ slug: 'acme', name: 'Acme Bank', outboundNetwork: 'loopback' });
      await sut.create({ slug: 'acme', name: 'Acme Bank' });

      expect(repository.createWithHostKey.mock.calls.map((call) => call[2])).toEqual(['loopback', 'public']);
    });

    it('should make a different host key every time', async () => {
      const a = await sut.create({ slug: 'acme', name: 'Acme Bank' });
      const b = await sut.create({ slug: 'acme', name: 'Acme Bank' });

      expect(a.hostKey).not.toBe(b.hostKey);
    });

    it('should publish tenant.changed after the tenant exists', async () => {
      await sut.create({ slug: 'acme', name: 'Acme Bank' }, 'req-5');

      expect(rpc.publish).toHaveBeenCalledWith('tenant.changed', { tenantId, slug: 'acme' }, 'req-5');
      expect(repository.createWithHostKey.mock.invocationCallOrder[0]).toBeLessThan(
        rpc.publish.mock.invocationCallOrder[0],
      );
    });

    it('should still give the host key when the event cannot be published (the tenant exists)', async () => {
      rpc.publish.mockRejectedValue(new Error('bus down'));

      await expect(sut.create({ slug: 'acme', name: 'Acme Bank' })).resolves.toMatchObject({ slug: 'acme' });
    });

    it('should answer a taken slug (the UNIQUE constraint) with conflict, publishing nothing', async () => {
      repository.createWithHostKey.mockRejectedValue(
        new QueryFailedError('INSERT …', [], Object.assign(new Error('duplicate key'), { code: '23505' })),
      );

      await expect(sut.create({ slug: 'acme', name: 'Acme Bank' })).rejects.toMatchObject({
        code: 'conflict',
        description: 'a tenant with this slug exists',
      });
      expect(rpc.publish).not.toHaveBeenCalled();
    });

    it('should pass any other failure on as it is', async () => {
      const down = new Error('connection lost');
      repository.createWithHostKey.mockRejectedValue(down);

      await expect(sut.create({ slug: 'acme', name: 'Acme Bank' })).rejects.toBe(down);
    });
  });
});
