import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { MessageChannel } from 'node:worker_threads';
import { HandoverError } from '#contracts';
import { InProcessBroker } from './in-process-broker.js';
import { inProcessBusBinding } from './bus-binding.js';
import { RemoteBroker, serveBroker, ThreadPeer } from './thread-bridge.js';

/** Resolves after the port's pending messages and the broker's `setImmediate` deliveries. */
const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

// Both ends on one thread: a MessageChannel behaves as between threads (structured clones, asynchronous).
describe(ThreadPeer.name, () => {
  let owner: ThreadPeer;
  let remote: ThreadPeer;

  beforeEach(() => {
    const { port1, port2 } = new MessageChannel();
    owner = new ThreadPeer(port1);
    remote = new ThreadPeer(port2);
  });

  afterEach(() => {
    owner.close();
    remote.close();
  });

  it('should answer a call with what the served method returns, as a copy', async () => {
    const value = { nested: { list: [1, 2] } };
    owner.serve('echo', (arg: unknown) => ({ got: arg, value }));

    const answer = await remote.call<{ got: unknown; value: unknown }>('echo', 'hello');

    expect(answer).toEqual({ got: 'hello', value });
    expect(answer.value).not.toBe(value);
  });

  it('should carry a HandoverError across with its code, description and retry hint', async () => {
    owner.serve('refuse', () => {
      throw new HandoverError('invalid_grant', 'the code is invalid, expired or already used');
    });

    const attempt = remote.call('refuse');

    await expect(attempt).rejects.toBeInstanceOf(HandoverError);
    await expect(attempt).rejects.toMatchObject({
      code: 'invalid_grant',
      description: 'the code is invalid, expired or already used',
    });
  });

  it('should carry any other failure as a plain Error with its message only', async () => {
    owner.serve('crash', async () => {
      throw new TypeError('boom');
    });

    const attempt = remote.call('crash');

    await expect(attempt).rejects.toThrow('boom');
    await expect(attempt).rejects.not.toBeInstanceOf(HandoverError);
  });

  it('should refuse a method nobody serves with temporarily_unavailable', async () => {
    await expect(remote.call('missing')).rejects.toMatchObject({ code: 'temporarily_unavailable' });
  });

  it('should fail a value that cannot be cloned, alone, and keep serving', async () => {
    owner.serve('echo', (arg: unknown) => arg);

    await expect(remote.call('echo', () => undefined)).rejects.toThrow();
    await expect(remote.call('echo', 1)).resolves.toBe(1);
  });

  it('should fail a value that cannot be cloned alone when it shares a turn with others', async () => {
    owner.serve('echo', (arg: unknown) => arg);

    const [before, bad, after] = [remote.call('echo', 1), remote.call('echo', () => undefined), remote.call('echo', 2)];

    await expect(bad).rejects.toThrow();
    await expect(before).resolves.toBe(1);
    await expect(after).resolves.toBe(2);
  });

  it('should fail an answer that cannot be cloned alone, and still send the others of its turn', async () => {
    owner.serve('echo', (arg: unknown) => arg);
    owner.serve('function', () => () => undefined);

    const [bad, good] = [remote.call('function'), remote.call('echo', 3)];

    await expect(bad).rejects.toThrow();
    await expect(good).resolves.toBe(3);
  });

  it('should fail pending and later calls with temporarily_unavailable once the port closes, never hang', async () => {
    owner.serve('never', () => new Promise(() => undefined));
    const pending = remote.call('never');
    await settle();

    owner.close();

    await expect(pending).rejects.toMatchObject({ code: 'temporarily_unavailable' });
    await expect(remote.call('never')).rejects.toMatchObject({ code: 'temporarily_unavailable' });
  });

  describe('batching', () => {
    /** The port messages the remote side has sent, each a batch of frames. */
    let sent: { method?: string }[][];

    beforeEach(() => {
      // Replaces the default pair with one whose remote port records what it posts.
      owner.close();
      remote.close();
      const { port1, port2 } = new MessageChannel();
      sent = [];
      const post = port2.postMessage.bind(port2);
      port2.postMessage = (message: unknown) => {
        sent.push(message as { method?: string }[]);
        post(message);
      };
      owner = new ThreadPeer(port1);
      remote = new ThreadPeer(port2);
      owner.serve('echo', (arg: unknown) => arg);
    });

    it('should send what one turn posts as one port message, and answer every call in order', async () => {
      const answers = await Promise.all([1, 2, 3].map((n) => remote.call('echo', n)));

      expect(answers).toEqual([1, 2, 3]);
      expect(sent).toHaveLength(1);
      expect(sent[0]!.map((frame) => frame.method)).toEqual(['echo', 'echo', 'echo']);
    });

    it('should send a full batch of 16 frames at once, and the rest of the turn at its end', async () => {
      const calls = Array.from({ length: 20 }, (_, n) => remote.call('echo', n));
      expect(sent.map((batch) => batch.length)).toEqual([16]);

      await expect(Promise.all(calls)).resolves.toEqual(Array.from({ length: 20 }, (_, n) => n));
      expect(sent.map((batch) => batch.length)).toEqual([16, 4]);
    });
  });

  it('should still send what was posted just before closing', async () => {
    const seen: unknown[] = [];
    owner.serve('note', (arg: unknown) => void seen.push(arg));

    remote.notify('note', 'last');
    remote.close();
    await settle();

    expect(seen).toEqual(['last']);
  });

  it('should run a notified method without waiting for it', async () => {
    const seen: unknown[] = [];
    owner.serve('note', (arg: unknown) => void seen.push(arg));

    remote.notify('note', 'a');
    remote.notify('note', 'b');
    await settle();

    expect(seen).toEqual(['a', 'b']);
  });
});

describe(RemoteBroker.name, () => {
  let broker: InProcessBroker;
  let owner: ThreadPeer;
  let remote: ThreadPeer;
  let sut: RemoteBroker;
  let stopServing: () => void;

  beforeEach(() => {
    const { port1, port2 } = new MessageChannel();
    broker = new InProcessBroker();
    owner = new ThreadPeer(port1);
    remote = new ThreadPeer(port2);
    stopServing = serveBroker(broker, owner);
    sut = new RemoteBroker(remote);
  });

  afterEach(() => {
    stopServing();
    owner.close();
    remote.close();
  });

  it("should send a request to the owner's handler with its request id and hand back the reply", async () => {
    broker.handle('user-data.tenant.get', async (data, requestId) => ({ data, requestId }));

    await expect(sut.request('user-data.tenant.get', { slug: 'demo' }, 'req-1')).resolves.toEqual({
      data: { slug: 'demo' },
      requestId: 'req-1',
    });
  });

  it("should hand back the handler's HandoverError, and no responders as temporarily_unavailable", async () => {
    broker.handle('token.code.exchange', async () => {
      throw new HandoverError('invalid_grant', 'used');
    });

    await expect(sut.request('token.code.exchange', {})).rejects.toMatchObject({ code: 'invalid_grant' });
    await expect(sut.request('token.jwks.get', {})).rejects.toMatchObject({ code: 'temporarily_unavailable' });
  });

  it('should copy payloads through JSON, as the wire does', async () => {
    broker.handle('user-data.tenant.get', async (data) => data);

    await expect(sut.request('user-data.tenant.get', { at: new Date(0), gone: undefined })).resolves.toEqual({
      at: '1970-01-01T00:00:00.000Z',
    });
  });

  it("should serve the owner's requests with a handler registered on this side", async () => {
    sut.handle('user-data.tenant.get', async (data) => ({ servedRemotely: data }));
    await settle();

    await expect(broker.request('user-data.tenant.get', { slug: 'demo' })).resolves.toEqual({
      servedRemotely: { slug: 'demo' },
    });
  });

  it('should deliver broadcast events both ways and stop once unsubscribed', async () => {
    const heard: unknown[] = [];
    const unsubscribe = sut.subscribe('session.logged_out', undefined, async (data) => void heard.push(data));
    await settle();

    broker.publish('session.logged_out', { sid: 's1' });
    await settle();
    unsubscribe();
    await settle();
    broker.publish('session.logged_out', { sid: 's2' });
    await settle();

    expect(heard).toEqual([{ sid: 's1' }]);
  });

  it('should publish through the owner: one member per queue group hears it', async () => {
    const heard: string[] = [];
    broker.subscribe('tenant.changed', 'webhooks', async () => void heard.push('webhooks-1'));
    broker.subscribe('tenant.changed', 'webhooks', async () => void heard.push('webhooks-2'));

    sut.publish('tenant.changed', { slug: 'demo' });
    await settle();

    expect(heard).toHaveLength(1);
  });

  it("should back an app's in-process bus binding: its client reaches the owner's handlers", async () => {
    broker.handle('token.jwks.get', async () => ({ keys: [] }));
    const bus = inProcessBusBinding(sut);

    await expect(bus.client.request('token.jwks.get', { tenantId: 't1' } as never)).resolves.toEqual({ keys: [] });
  });
});
