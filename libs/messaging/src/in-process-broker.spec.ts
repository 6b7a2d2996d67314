import { beforeEach, describe, expect, it } from '@jest/globals';
import { HandoverError } from '#contracts';
import { InProcessBroker } from './in-process-broker.js';

/** Resolves once every event published so far has been delivered (delivery is on `setImmediate`). */
const deliveries = () => new Promise<void>((resolve) => setImmediate(resolve));

describe(InProcessBroker.name, () => {
  let sut: InProcessBroker;

  beforeEach(() => {
    sut = new InProcessBroker();
  });

  describe('request', () => {
    it('should fail with temporarily_unavailable when nobody serves the subject', async () => {
      const attempt = sut.request('token.jwks.get', {});

      await expect(attempt).rejects.toBeInstanceOf(HandoverError);
      await expect(attempt).rejects.toMatchObject({ code: 'temporarily_unavailable', retryAfter: 1 });
    });

    it('should fail with temporarily_unavailable once the last handler has unsubscribed', async () => {
      const unsubscribe = sut.handle('token.jwks.get', async () => ({ keys: [] }));
      unsubscribe();

      await expect(sut.request('token.jwks.get', {})).rejects.toMatchObject({ code: 'temporarily_unavailable' });
    });

    it("should hand back the handler's reply", async () => {
      sut.handle('user-data.tenant.get', async (data) => ({ echoed: data }));

      await expect(sut.request('user-data.tenant.get', { slug: 'demo' })).resolves.toEqual({
        echoed: { slug: 'demo' },
      });
    });

    it('should spread requests round robin across replicas', async () => {
      const served: string[] = [];
      for (const replica of ['a', 'b', 'c']) {
        sut.handle('user-data.tenant.get', async () => {
          served.push(replica);
          return replica;
        });
      }

      for (let i = 0; i < 6; i++) await sut.request('user-data.tenant.get', {});

      expect(served).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
    });

    it("should round robin per subject, whatever other subjects' traffic", async () => {
      const served: string[] = [];
      for (const replica of ['a', 'b']) {
        sut.handle('user-data.tenant.get', async () => void served.push(replica));
        sut.handle('token.jwks.get', async () => null);
      }

      for (let i = 0; i < 4; i++) {
        await sut.request('user-data.tenant.get', {});
        await sut.request('token.jwks.get', {});
      }

      expect(served).toEqual(['a', 'b', 'a', 'b']);
    });

    it('should copy the payload, so a handler cannot change the caller’s object', async () => {
      const payload = { slug: 'demo', nested: { n: 1 } };
      sut.handle('user-data.tenant.get', async (data) => {
        (data as typeof payload).nested.n = 2;
        return null;
      });

      await sut.request('user-data.tenant.get', payload);

      expect(payload.nested.n).toBe(1);
    });

    it('should copy the reply, so the caller cannot change the handler’s state', async () => {
      const state = { keys: [{ kid: 'k1' }] };
      sut.handle('token.jwks.get', async () => state);

      const reply = (await sut.request('token.jwks.get', {})) as typeof state;
      reply.keys[0]!.kid = 'changed';

      expect(state.keys[0]!.kid).toBe('k1');
    });

    it('should take and answer JSON text for a caller on another thread, with the same copies', async () => {
      let received: unknown;
      sut.handle('user-data.tenant.get', async (data, requestId) => {
        received = data;
        return { requestId, nested: { n: 1 } };
      });
      sut.handle('token.jwks.get', async () => undefined);

      const reply = await sut.requestJson('user-data.tenant.get', '{"slug":"demo"}', 'req-1');

      expect(received).toEqual({ slug: 'demo' });
      expect(reply).toBe('{"requestId":"req-1","nested":{"n":1}}');
      await expect(sut.requestJson('token.jwks.get', undefined)).resolves.toBeUndefined();
      await expect(sut.requestJson('tenant.missing', '{}')).rejects.toMatchObject({ code: 'temporarily_unavailable' });
    });

    it('should carry values as JSON does on the wire (dates become strings, undefined drops)', async () => {
      let received: unknown;
      sut.handle('user-data.tenant.get', async (data) => {
        received = data;
        return null;
      });

      await sut.request('user-data.tenant.get', { at: new Date('2026-01-02T03:04:05.000Z'), gone: undefined });

      expect(received).toEqual({ at: '2026-01-02T03:04:05.000Z' });
    });

    it("should pass the handler's HandoverError to the caller", async () => {
      sut.handle('user-data.tenant.get', async () => {
        throw new HandoverError('not_found', 'no such tenant');
      });

      await expect(sut.request('user-data.tenant.get', {})).rejects.toMatchObject({
        code: 'not_found',
        description: 'no such tenant',
      });
    });

    it("should hand the handler the caller's request id, or a fresh one", async () => {
      sut.handle('user-data.tenant.get', async (_data, requestId) => requestId);

      await expect(sut.request('user-data.tenant.get', {}, 'req-42')).resolves.toBe('req-42');
      await expect(sut.request('user-data.tenant.get', {})).resolves.toMatch(/^[0-9a-f-]{36}$/);
    });
  });

  describe('publish', () => {
    it('should deliver an event to one member of each queue group', async () => {
      const heard: string[] = [];
      sut.subscribe('tenant.changed', 'gateway', async () => void heard.push('gateway-1'));
      sut.subscribe('tenant.changed', 'gateway', async () => void heard.push('gateway-2'));
      sut.subscribe('tenant.changed', 'token', async () => void heard.push('token-1'));

      sut.publish('tenant.changed', { slug: 'demo' });
      await deliveries();

      expect(heard).toHaveLength(2);
      expect(heard.filter((h) => h.startsWith('gateway'))).toHaveLength(1);
      expect(heard).toContain('token-1');
    });

    it('should deliver a broadcast event to every listener', async () => {
      const heard: string[] = [];
      sut.subscribe('session.logged_out', undefined, async () => void heard.push('gateway-1'));
      sut.subscribe('session.logged_out', undefined, async () => void heard.push('gateway-2'));
      sut.subscribe('session.logged_out', 'webhooks', async () => void heard.push('webhooks-1'));

      sut.publish('session.logged_out', { sessionId: 's1' });
      await deliveries();

      expect(heard.sort()).toEqual(['gateway-1', 'gateway-2', 'webhooks-1']);
    });

    it('should not make the publisher wait for the listeners', () => {
      const heard: string[] = [];
      sut.subscribe('tenant.changed', undefined, async () => void heard.push('heard'));

      sut.publish('tenant.changed', {});

      expect(heard).toEqual([]);
    });

    it('should give every listener its own copy of the payload', async () => {
      const copies: Array<{ n: number }> = [];
      for (let i = 0; i < 2; i++) {
        sut.subscribe('tenant.changed', undefined, async (data) => {
          const event = data as { n: number };
          event.n++;
          copies.push(event);
        });
      }
      const payload = { n: 0 };

      sut.publish('tenant.changed', payload);
      await deliveries();

      expect(copies).toEqual([{ n: 1 }, { n: 1 }]);
      expect(payload.n).toBe(0);
    });

    it('should keep a failing listener from affecting the others or the publisher', async () => {
      const heard: string[] = [];
      sut.subscribe('tenant.changed', undefined, async () => {
        throw new Error('listener broke');
      });
      sut.subscribe('tenant.changed', undefined, async () => void heard.push('second'));

      sut.publish('tenant.changed', {});
      await deliveries();

      expect(heard).toEqual(['second']);
    });

    it('should stop delivering to a listener that unsubscribed', async () => {
      const heard: string[] = [];
      const unsubscribe = sut.subscribe('tenant.changed', undefined, async () => void heard.push('heard'));
      unsubscribe();

      sut.publish('tenant.changed', {});
      await deliveries();

      expect(heard).toEqual([]);
    });

    it("should hand listeners the publisher's request id", async () => {
      let seen: string | undefined;
      sut.subscribe('tenant.changed', undefined, async (_data, requestId) => {
        seen = requestId;
      });

      sut.publish('tenant.changed', {}, 'req-7');
      await deliveries();

      expect(seen).toBe('req-7');
    });
  });
});
