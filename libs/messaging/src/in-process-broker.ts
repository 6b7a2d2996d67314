import { HandoverError } from '#contracts';
import { newRequestId } from '#observability';

/** A subscriber's callback: the payload (a copy) and the sender's request id. */
export type BrokerHandler = (data: unknown, requestId: string) => Promise<unknown>;

interface Subscription {
  /** Queue group: one member per group gets each event; `undefined` means "every subscriber". */
  group: string | undefined;
  handler: BrokerHandler;
}

/**
 * What an app's in-process transport needs from the broker: `InProcessBroker` itself on the thread that owns it,
 * `RemoteBroker` (thread-bridge.ts) on another thread of the same process.
 */
export interface MessageBroker {
  /** Registers a request handler; returns its removal. */
  handle(subject: string, handler: BrokerHandler): () => void;
  /** Registers an event listener (`group`: one member per queue group; `undefined`: every listener). */
  subscribe(subject: string, group: string | undefined, handler: BrokerHandler): () => void;
  request(subject: string, payload: unknown, requestId?: string): Promise<unknown>;
  publish(subject: string, payload: unknown, requestId?: string): void;
}

/**
 * The embedded mode's bus: all five apps run in one process and meet here. It keeps NATS's semantics, so
 * code that works embedded works distributed: a request goes to one handler (round robin across replicas),
 * with "no responders" when there is none; an event reaches one member per queue group and every
 * broadcast listener. Payloads are copied through JSON, as they would be on the wire.
 */
export class InProcessBroker implements MessageBroker {
  private readonly requestHandlers = new Map<string, BrokerHandler[]>();
  private readonly eventSubscriptions = new Map<string, Subscription[]>();
  /** Next handler index per subject (one shared counter would starve a replica when subjects alternate). */
  private readonly roundRobin = new Map<string, number>();

  handle(subject: string, handler: BrokerHandler): () => void {
    const list = this.requestHandlers.get(subject) ?? [];
    list.push(handler);
    this.requestHandlers.set(subject, list);
    return () =>
      this.requestHandlers.set(
        subject,
        (this.requestHandlers.get(subject) ?? []).filter((h) => h !== handler),
      );
  }

  subscribe(subject: string, group: string | undefined, handler: BrokerHandler): () => void {
    const subscription: Subscription = { group, handler };
    const list = this.eventSubscriptions.get(subject) ?? [];
    list.push(subscription);
    this.eventSubscriptions.set(subject, list);
    return () =>
      this.eventSubscriptions.set(
        subject,
        (this.eventSubscriptions.get(subject) ?? []).filter((s) => s !== subscription),
      );
  }

  async request(subject: string, payload: unknown, requestId = newRequestId()): Promise<unknown> {
    const reply = await this.handlerFor(subject)(copy(payload), requestId);
    return copy(reply);
  }

  /**
   * `request` for a caller on another thread (thread-bridge.ts): the payload and the reply are the JSON text of
   * the copies `request` makes, so they cross the port as strings (a cheap clone) and the caller's side does
   * half of the JSON work.
   */
  async requestJson(subject: string, payload: string | undefined, requestId?: string): Promise<string | undefined> {
    const handler = this.handlerFor(subject);
    const reply = await handler(payload === undefined ? undefined : JSON.parse(payload), requestId ?? newRequestId());
    return reply === undefined ? undefined : JSON.stringify(reply);
  }

  /** The next request handler for `subject`, round robin. */
  private handlerFor(subject: string): BrokerHandler {
    const handlers = this.requestHandlers.get(subject);
    if (!handlers || handlers.length === 0) {
      throw HandoverError.unavailable(`no service answers ${subject}`);
    }
    const turn = this.roundRobin.get(subject) ?? 0;
    this.roundRobin.set(subject, turn + 1);
    return handlers[turn % handlers.length];
  }

  publish(subject: string, payload: unknown, requestId = newRequestId()): void {
    const subscriptions = this.eventSubscriptions.get(subject) ?? [];
    const seenGroups = new Set<string>();
    for (const { group, handler } of subscriptions) {
      if (group !== undefined) {
        if (seenGroups.has(group)) continue;
        seenGroups.add(group);
      }
      // Events are delivered asynchronously, like NATS: the publisher never waits for listeners.
      setImmediate(() => {
        void handler(copy(payload), requestId).catch(() => undefined);
      });
    }
  }
}

function copy<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}
