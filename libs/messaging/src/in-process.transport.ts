import { Server, type CustomTransportStrategy, type MessageHandler } from '@nestjs/microservices';
import type { EventOf, EventSubject, ReplyOf, RequestOf, RequestSubject } from '#contracts';
import { type MessageBroker } from './in-process-broker.js';
import { RpcClient } from './rpc-client.js';
import { errorFromWire } from './wire.js';
import type { HandlerExtras } from './handler.decorators.js';
import { invokeHandler } from './invoke-handler.js';
import { BusContext } from './bus-context.js';

/** Nest transport strategy that registers an app's `@HandleRequest`/`@HandleEvent` methods on the broker. */
export class InProcessServer extends Server implements CustomTransportStrategy {
  override readonly transportId = Symbol('in-process');
  private readonly unsubscribers: Array<() => void> = [];

  constructor(
    private readonly broker: MessageBroker,
    private readonly queueGroup: string,
  ) {
    super();
  }

  listen(callback: (...args: unknown[]) => void): void {
    for (const [pattern, handler] of this.messageHandlers) {
      this.unsubscribers.push(
        handler.isEventHandler
          ? this.broker.subscribe(
              pattern,
              (handler.extras as HandlerExtras | undefined)?.broadcast ? undefined : this.queueGroup,
              (data, requestId) => this.invoke(handler, data, requestId),
            )
          : this.broker.handle(pattern, (data, requestId) => this.invoke(handler, data, requestId, pattern)),
      );
    }
    callback();
  }

  close(): void {
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
  }

  on(): void {
    // The in-process transport has no connection events.
  }

  unwrap<T>(): T {
    return this.broker as T;
  }

  private async invoke(handler: MessageHandler, data: unknown, requestId: string, subject?: string): Promise<unknown> {
    try {
      return await invokeHandler(handler, data, new BusContext(requestId));
    } catch (err) {
      // Nest's exception zone hands back the filter's RpcErrorBody; rebuild the caller's error from it.
      throw errorFromWire(err, subject ?? 'an event');
    }
  }
}

export class InProcessRpcClient extends RpcClient {
  constructor(private readonly broker: MessageBroker) {
    super();
  }

  request<S extends RequestSubject>(subject: S, payload: RequestOf<S>, requestId?: string): Promise<ReplyOf<S>> {
    return this.broker.request(subject, payload, requestId) as Promise<ReplyOf<S>>;
  }

  publish<E extends EventSubject>(subject: E, payload: EventOf<E>, requestId?: string): Promise<void> {
    this.broker.publish(subject, payload, requestId);
    return Promise.resolve();
  }
}
