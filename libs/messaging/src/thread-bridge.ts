import type { MessagePort } from 'node:worker_threads';
import { HandoverError, isRpcErrorBody, type RpcErrorBody } from '#contracts';
import type { BrokerHandler, InProcessBroker, MessageBroker } from './in-process-broker.js';

/** A method one side of a `ThreadPeer` serves to the other. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- arguments arrive as structured clones, untyped
export type PeerMethod = (...args: any[]) => unknown;

/** How a failure crosses the port: a `HandoverError` keeps its code, anything else only its message. */
type Failure = { body: RpcErrorBody } | { message: string };

/**
 * Frames per port message at most: a full batch leaves at once, so the other thread starts on the first frames of a
 * burst while this one is still producing the rest. Under the bench's exchange load 16 measured 12–30 % more
 * exchanges/s than batches of a whole turn, and more than 4, 8 or 32 (interleaved scratch runs, bench/README.md).
 */
const MAX_FRAMES_PER_MESSAGE = 16;

type Frame =
  | { kind: 'call'; id: number; method: string; args: unknown[] }
  | { kind: 'notify'; method: string; args: unknown[] }
  | { kind: 'done'; id: number; value: unknown }
  | { kind: 'failed'; id: number; failure: Failure };

/**
 * Calls between two threads of one process over a `MessagePort` (embedded mode's gateway runs on a worker
 * thread; the bus, the short-lived store and the database live on the main thread). Each side serves named
 * methods and calls the other's: `call` waits for the answer, `notify` does not. Arguments and results are
 * structured clones. A closed port fails every pending call with `temporarily_unavailable`, never a hang.
 *
 * Frames are sent in batches, in order: what is posted during one turn of the event loop (its I/O callbacks and
 * their promise jobs) leaves at the turn's `setImmediate`, or as soon as `MAX_FRAMES_PER_MESSAGE` are waiting.
 * Under load this is one port message (one clone, one wake-up of the other thread) for several calls instead of
 * one each.
 */
export class ThreadPeer {
  private readonly methods = new Map<string, PeerMethod>();
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(err: Error): void }>();
  private nextId = 0;
  private closed = false;
  private outgoing: Frame[] = [];
  private flushScheduled = false;

  constructor(private readonly port: MessagePort) {
    port.on('message', (frames: Frame[]) => {
      for (const frame of frames) this.receive(frame);
    });
    port.on('close', () => this.failPending());
  }

  serve(method: string, implementation: PeerMethod): void {
    this.methods.set(method, implementation);
  }

  call<T = unknown>(method: string, ...args: unknown[]): Promise<T> {
    if (this.closed) return Promise.reject(HandoverError.unavailable(`${method}: the other thread is gone`));
    const id = ++this.nextId;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.post({ kind: 'call', id, method, args });
    });
  }

  notify(method: string, ...args: unknown[]): void {
    if (!this.closed) this.post({ kind: 'notify', method, args });
  }

  close(): void {
    if (this.closed) return;
    this.flush(); // what was posted before closing (e.g. a listener's removal) still leaves
    this.port.close();
    this.failPending();
  }

  private post(frame: Frame): void {
    if (this.closed) return;
    this.outgoing.push(frame);
    if (this.outgoing.length >= MAX_FRAMES_PER_MESSAGE) return this.flush();
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    const frames = this.outgoing;
    if (frames.length === 0 || this.closed) return;
    this.outgoing = [];
    try {
      this.port.postMessage(frames);
    } catch {
      // One value that cannot be cloned must not fail the others: send them one by one.
      for (const frame of frames) this.postAlone(frame);
    }
  }

  private postAlone(frame: Frame): void {
    try {
      this.port.postMessage([frame]);
    } catch (err) {
      // A value that cannot be cloned is the caller's bug: fail that call alone, never the port.
      if (frame.kind === 'call') this.settle(frame.id, undefined, failureOf(err));
      else if (frame.kind === 'done') this.postAlone({ kind: 'failed', id: frame.id, failure: failureOf(err) });
    }
  }

  private receive(frame: Frame): void {
    switch (frame.kind) {
      case 'call':
        this.invoke(frame.method, frame.args).then(
          (value) => this.post({ kind: 'done', id: frame.id, value }),
          (err: unknown) => this.post({ kind: 'failed', id: frame.id, failure: failureOf(err) }),
        );
        return;
      case 'notify':
        this.invoke(frame.method, frame.args).catch(() => undefined);
        return;
      case 'done':
        this.settle(frame.id, frame.value);
        return;
      case 'failed':
        this.settle(frame.id, undefined, frame.failure);
    }
  }

  private async invoke(method: string, args: unknown[]): Promise<unknown> {
    const implementation = this.methods.get(method);
    if (!implementation) throw HandoverError.unavailable(`nothing serves ${method} on the other thread`);
    return implementation(...args);
  }

  private settle(id: number, value: unknown, failure?: Failure): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    if (failure === undefined) pending.resolve(value);
    else pending.reject('body' in failure ? HandoverError.fromBody(failure.body) : new Error(failure.message));
  }

  private failPending(): void {
    this.closed = true;
    for (const [id] of this.pending)
      this.settle(id, undefined, { body: HandoverError.unavailable('the other thread is gone').toBody() });
  }
}

function failureOf(err: unknown): Failure {
  if (err instanceof HandoverError) return { body: err.toBody() };
  if (isRpcErrorBody(err)) return { body: err };
  return { message: err instanceof Error ? err.message : String(err) };
}

/**
 * Serves the main thread's broker to a `RemoteBroker` on another thread: its requests and events go through
 * `broker`, and the handlers it registers are called back over the port. Returns the removal of them all.
 */
export function serveBroker(broker: InProcessBroker, peer: ThreadPeer): () => void {
  const registrations = new Map<number, () => void>();
  const remoteHandler =
    (listener: number): BrokerHandler =>
    (data, requestId) =>
      peer.call('bus.deliver', listener, data, requestId);
  peer.serve('bus.request', (subject: string, payload: string | undefined, requestId?: string) =>
    broker.requestJson(subject, payload, requestId),
  );
  peer.serve('bus.publish', (subject: string, payload: unknown, requestId?: string) =>
    broker.publish(subject, payload, requestId),
  );
  peer.serve('bus.handle', (listener: number, subject: string) => {
    registrations.set(listener, broker.handle(subject, remoteHandler(listener)));
  });
  peer.serve('bus.subscribe', (listener: number, subject: string, group: string | undefined) => {
    registrations.set(listener, broker.subscribe(subject, group, remoteHandler(listener)));
  });
  peer.serve('bus.remove', (listener: number) => {
    registrations.get(listener)?.();
    registrations.delete(listener);
  });
  return () => {
    for (const remove of registrations.values()) remove();
    registrations.clear();
  };
}

/**
 * The broker as seen from another thread (`serveBroker` on the owner's side): the same NATS-like semantics, with
 * payloads copied through JSON, as on the wire (a request and its reply cross the port as JSON text; an event is
 * cloned by the port, then copied by the broker).
 */
export class RemoteBroker implements MessageBroker {
  private readonly handlers = new Map<number, BrokerHandler>();
  private nextListener = 0;

  constructor(private readonly peer: ThreadPeer) {
    peer.serve('bus.deliver', (listener: number, data: unknown, requestId: string) => {
      const handler = this.handlers.get(listener);
      if (!handler) throw HandoverError.unavailable('the listener has gone');
      return handler(data, requestId);
    });
  }

  handle(subject: string, handler: BrokerHandler): () => void {
    return this.register(handler, (listener) => this.peer.notify('bus.handle', listener, subject));
  }

  subscribe(subject: string, group: string | undefined, handler: BrokerHandler): () => void {
    return this.register(handler, (listener) => this.peer.notify('bus.subscribe', listener, subject, group));
  }

  async request(subject: string, payload: unknown, requestId?: string): Promise<unknown> {
    const json = payload === undefined ? undefined : JSON.stringify(payload);
    const reply = await this.peer.call<string | undefined>('bus.request', subject, json, requestId);
    return reply === undefined ? undefined : JSON.parse(reply);
  }

  publish(subject: string, payload: unknown, requestId?: string): void {
    this.peer.notify('bus.publish', subject, payload, requestId);
  }

  private register(handler: BrokerHandler, announce: (listener: number) => void): () => void {
    const listener = ++this.nextListener;
    this.handlers.set(listener, handler);
    announce(listener);
    return () => {
      this.handlers.delete(listener);
      this.peer.notify('bus.remove', listener);
    };
  }
}
