import { beforeEach, describe, expect, it } from '@jest/globals';
import { HandoverError } from '#contracts';
import { RpcClient } from '#messaging';
import { automock, type Mocked } from '#mocks';
import { TenantDirectory } from './tenant-directory.service.js';

const demo = { id: '11111111-1111-4111-8111-111111111111', slug: 'demo', name: 'Demo Bank', outboundNetwork: 'public' };

describe(TenantDirectory.name, () => {
  let sut: TenantDirectory;
  let rpc: Mocked<RpcClient>;

  beforeEach(() => {
    rpc = automock(RpcClient, ['request', 'publish']);
    sut = new TenantDirectory(rpc);
  });

  describe('resolve', () => {
    it('should answer a malformed slug exactly like an unknown tenant, without a bus call', async () => {
      for (const slug of ['Demo', '../x', 'a'.repeat(200), 'demo%00', '']) {
        await expect(sut.resolve(slug)).rejects.toEqual(new HandoverError('not_found', 'no such tenant'));
      }
      expect(rpc.request).not.toHaveBeenCalled();
    });

    it('should cache a resolved tenant until an event says it changed', async () => {
      rpc.request.mockResolvedValue(demo as never);
      await expect(sut.resolve('demo', 'req-1')).resolves.toEqual(demo);
      await sut.resolve('demo', 'req-2');
      expect(rpc.request).toHaveBeenCalledTimes(1);
      expect(rpc.request).toHaveBeenCalledWith('user-data.tenant.get', { slug: 'demo' }, 'req-1');
      sut.forget('demo');
      await sut.resolve('demo');
      expect(rpc.request).toHaveBeenCalledTimes(2);
    });

    it('should pass on the bus error of an unknown tenant', async () => {
      rpc.request.mockRejectedValue(new HandoverError('not_found', 'no such tenant') as never);
      await expect(sut.resolve('nope')).rejects.toMatchObject({ code: 'not_found' });
    });
  });
});
