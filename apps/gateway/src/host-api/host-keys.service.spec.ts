import { beforeEach, describe, expect, it } from '@jest/globals';
import { HandoverError, type ApiKeyReply } from '#contracts';
import { toHttpError } from '#http-edge';
import { RpcClient } from '#messaging';
import type { Logger } from '#observability';
import { automock, type Mocked } from '#mocks';
import { Clock } from '../http/clock.js';
import { HOST_KEY_CACHE_MS, HostKeys } from './host-keys.service.js';

const hostKey: ApiKeyReply = { kind: 'host', tenantId: '11111111-1111-4111-8111-111111111111', label: 'demo host' };
const silent = { warn: () => undefined, error: () => undefined } as unknown as Logger;

class FakeClock extends Clock {
  time = 1_000_000;
  override now(): number {
    return this.time;
  }
}

describe(HostKeys.name, () => {
  let sut: HostKeys;
  let rpc: Mocked<RpcClient>;
  let clock: FakeClock;

  beforeEach(() => {
    rpc = automock(RpcClient, ['request', 'publish']);
    clock = new FakeClock();
    sut = new HostKeys(rpc, clock);
  });

  describe('verify', () => {
    it('should remember a verified key for 60 s, then ask again', async () => {
      rpc.request.mockResolvedValue(hostKey as never);
      await expect(sut.verify('demo-host-key', 'req-1')).resolves.toEqual(hostKey);
      clock.time += HOST_KEY_CACHE_MS - 1;
      await sut.verify('demo-host-key', 'req-2');
      expect(rpc.request).toHaveBeenCalledTimes(1);
      expect(rpc.request).toHaveBeenCalledWith('user-data.api-key.verify', { key: 'demo-host-key' }, 'req-1');
      clock.time += 2;
      await sut.verify('demo-host-key');
      expect(rpc.request).toHaveBeenCalledTimes(2);
    });

    it('should not remember a refused key, and answer 401 unauthorized with a Bearer challenge', async () => {
      rpc.request.mockRejectedValue(new HandoverError('unauthorized', 'unknown key') as never);
      for (let i = 0; i < 2; i++) {
        const failure = await sut.verify('wrong').catch((e: unknown) => e);
        expect(toHttpError(failure, silent, 'req-1')).toEqual({
          status: 401,
          body: { error: 'unauthorized', error_description: 'a valid host API key is required' },
          headers: { 'www-authenticate': 'Bearer' },
        });
      }
      expect(rpc.request).toHaveBeenCalledTimes(2);
    });

    it('should answer any refusal of user-data the same way, whatever its code', async () => {
      rpc.request.mockRejectedValue(new HandoverError('not_found', 'no such key') as never);
      await expect(sut.verify('wrong')).rejects.toMatchObject({ code: 'unauthorized' });
      rpc.request.mockRejectedValue(new HandoverError('invalid_request', 'key: too long') as never);
      await expect(sut.verify('wrong')).rejects.toMatchObject({ code: 'unauthorized' });
    });

    it('should pass on an unavailable user-data as 503, not as a wrong key', async () => {
      rpc.request.mockRejectedValue(HandoverError.unavailable('no responders') as never);
      await expect(sut.verify('demo-host-key')).rejects.toMatchObject({ code: 'temporarily_unavailable' });
    });

    it('should refuse an empty or over-long key without a bus call', async () => {
      await expect(sut.verify('')).rejects.toMatchObject({ code: 'unauthorized' });
      await expect(sut.verify('k'.repeat(513))).rejects.toMatchObject({ code: 'unauthorized' });
      expect(rpc.request).not.toHaveBeenCalled();
    });

    it('should keep only a digest of the key, never the key itself', async () => {
      rpc.request.mockResolvedValue(hostKey as never);
      await sut.verify('demo-host-key');
      const cache = (sut as unknown as { verified: Map<string, unknown> }).verified;
      expect([...cache.keys()].some((k) => k.includes('demo-host-key'))).toBe(false);
      expect(JSON.stringify([...cache.entries()])).not.toContain('demo-host-key');
    });
  });
});
