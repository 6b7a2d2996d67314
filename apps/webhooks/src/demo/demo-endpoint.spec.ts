import { beforeEach, describe, expect, it, jest } from '@jest/globals';
import { DEMO_WEBHOOK_SECRET, HandoverError, type CreatedEndpointReply, type TenantReply } from '#contracts';
import { RpcClient } from '#messaging';
import { automock, type Mocked } from '#mocks';
import type { EndpointRecord } from '../endpoints/endpoint.record.js';
import { EndpointsRepository } from '../endpoints/endpoints.repository.js';
import { EndpointsService } from '../endpoints/endpoints.service.js';
import { DemoEndpointSeed } from './demo-endpoint.js';

const demo: TenantReply = {
  id: '11111111-1111-4111-8111-111111111111',
  slug: 'demo',
  name: 'Demo Bank',
  outboundNetwork: 'loopback',
};

describe(DemoEndpointSeed.name, () => {
  let sut: DemoEndpointSeed;
  let rpc: Mocked<RpcClient>;
  let endpoints: Mocked<EndpointsRepository>;
  let service: Mocked<EndpointsService>;
  const noWait = jest.fn(async () => undefined);

  beforeEach(() => {
    rpc = automock(RpcClient, ['request', 'publish']);
    endpoints = automock(EndpointsRepository);
    service = automock(EndpointsService);
    service.create.mockResolvedValue({} as CreatedEndpointReply);
    sut = new DemoEndpointSeed(rpc, endpoints, service);
  });

  describe('seed', () => {
    it('should create the demo vendor’s endpoint with the fixed demo secret', async () => {
      rpc.request.mockResolvedValue(demo);
      endpoints.list.mockResolvedValue([]);

      await expect(sut.seed('http://localhost:3000/', noWait)).resolves.toBe(true);

      expect(service.create).toHaveBeenCalledWith(
        expect.objectContaining({
          tenantId: demo.id,
          tenantSlug: 'demo',
          vendor: 'demo-vendor',
          kind: 'webhook',
          url: 'http://localhost:3000/demo/webhooks',
          eventTypes: ['session.logged_out', 'session.created'],
        }),
        { fixedSecret: DEMO_WEBHOOK_SECRET },
      );
    });

    it('should leave a demo tenant that has an endpoint alone', async () => {
      rpc.request.mockResolvedValue(demo);
      endpoints.list.mockResolvedValue([{ id: 'e1' } as EndpointRecord]);

      await expect(sut.seed('http://localhost:3000', noWait)).resolves.toBe(false);
      expect(service.create).not.toHaveBeenCalled();
    });

    it('should wait for user-data to come up and its demo tenant to be seeded', async () => {
      rpc.request
        .mockRejectedValueOnce(HandoverError.unavailable('no service answers user-data.tenant.get'))
        .mockRejectedValueOnce(new HandoverError('not_found', 'no such tenant'))
        .mockResolvedValue(demo);
      endpoints.list.mockResolvedValue([]);

      await expect(sut.seed('http://localhost:3000', noWait)).resolves.toBe(true);
      expect(rpc.request).toHaveBeenCalledTimes(3);
    });

    it('should give up, without throwing, when the endpoint cannot be created', async () => {
      rpc.request.mockResolvedValue(demo);
      endpoints.list.mockResolvedValue([]);
      service.create.mockRejectedValue(new HandoverError('invalid_request', 'url host is a loopback name'));

      await expect(sut.seed('http://localhost:3000', noWait)).resolves.toBe(false);
      expect(service.create).toHaveBeenCalledTimes(1);
    });
  });
});
