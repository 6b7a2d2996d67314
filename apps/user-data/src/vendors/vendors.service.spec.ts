import { beforeEach, describe, expect, it } from '@jest/globals';
import { automock, type Mocked } from '#mocks';
import type { VendorEntity } from './vendor.entity.js';
import { VendorsRepository } from './vendors.repository.js';
import { VendorsService } from './vendors.service.js';

const tenantId = '11111111-1111-4111-8111-111111111111';

const vendor: VendorEntity = {
  id: 'cccccccc-cccc-4ccc-8ccc-cccccccccccc',
  tenantId,
  clientId: 'budget-planner',
  name: 'Budget Planner',
  secretHash: 'keyed-hash',
  pluginUrls: ['https://vendor.example/plugin'],
  allowedOrigins: ['https://vendor.example'],
  redirectUris: ['https://vendor.example/callback'],
  config: { theme: 'dark' },
  scopes: ['profile', 'accounts'],
  pkceRequired: true,
  launchMode: 'redirect',
  createdAt: new Date(),
};

describe(VendorsService.name, () => {
  let sut: VendorsService;
  let repository: Mocked<VendorsRepository>;

  beforeEach(() => {
    repository = automock(VendorsRepository);
    repository.findByClientId.mockImplementation(async (t, clientId) =>
      t === tenantId && clientId === vendor.clientId ? vendor : null,
    );
    sut = new VendorsService(repository);
  });

  describe('get', () => {
    it("should give the vendor's whole registration, without its creation time", async () => {
      const { createdAt: _, ...record } = vendor;

      await expect(sut.get(tenantId, 'budget-planner')).resolves.toEqual(record);
    });

    it.each([
      ['an unknown client id', tenantId, 'nobody'],
      ["another tenant's vendor", '22222222-2222-4222-8222-222222222222', 'budget-planner'],
    ])('should answer %s with not_found', async (_case, t, clientId) => {
      await expect(sut.get(t, clientId)).rejects.toMatchObject({ code: 'not_found', description: 'no such vendor' });
    });
  });
});
