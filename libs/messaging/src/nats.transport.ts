import { ServerNats, type MessageHandler } from '@nestjs/microservices';
import {
  connect,
  headers as natsHeaders,
  type Msg,
  type NatsConnection,
  type Subscription,
} from '@nats-io/transport-node';
import {
  HandoverError,
  type EventOf,
  type EventSubject,
  type ReplyOf,
  type RequestOf,
  type RequestSubject,
} from '#contracts';
import { busRequestDuration, REQUEST_ID_HEADER, requestContext, sanitizeRequestId } from '#observability';
import { RpcClient } from './rpc-client.js';
import { errorFromWire, type WireReply } from './wire.js';
import type { HandlerExtras } from './handler.decorators.js';

export interface NatsSettings {
  url: string;
  /** Prepended to every subject (`<prefix>.<subject>`) so deployments and test runs can share a server. */
  subjectPrefix: string;
  /** Explicit deadline on every request; Nest's own client has none. */
  requestTimeoutMs: number;
  /** Connection name shown by the NATS server's monitoring. */
  name: string;
}

/**
 * Opens the app's one NATS connection. Fails within `timeoutMs` when the server cannot be reached, so a
 * distributed app with a wrong `NATS_URL` stops at start instead of waiting forever.
 */
export async function connectNats(settings: NatsSettings, timeoutMs = 5000): Promise<NatsConnection> {
  return connect({
    servers: settings.url,
    name: settings.name,
    timeout: timeoutMs,
    // Keep trying after a disconnect once we have been connected; the first connect must succeed.
    reconnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    waitOnFirstConnect: false,
    // The client otherwise builds Error objects for every request to improve stack traces (~40 µs each).
    noAsyncTraces: true,
  });
}

export function prefixed(prefix: string, subject: string): string {
  return prefix ? `${prefix}.${subject}` : subject;
}

/**
 * Nest's NATS server, bound to the app's shared connection. Request handlers subscribe in the app's queue
 * group so replicas share the load; `broadcast` event handlers subscribe without a group so every replica
 * hears them. The caller's request id is restored from the `x-request-id` header for logs.
 */
export class HandoverNatsServer extends ServerNats {
  private readonly activeSubscriptions: Subscription[] = [];

  constructor(
    private readonly connection: NatsConnection,
    private readonly settings: Pick<NatsSettings, 'subjectPrefix'>,
    private readonly queueGroup: string,
  ) {
    super({ queue: queueGroup, gracefulShutdown: true, gracePeriod: 0 });
  }

  override async createNatsClient(): Promise<NatsConnection> {
    return this.connection;
  }

  override bindEvents(client: NatsConnection): void {
    for (const [pattern, handler] of this.messageHandlers) {
      const broadcast = handler.isEventHandler && (handler.extras as HandlerExtras | undefined)?.broadcast === true;
      const subscription = client.subscribe(prefixed(this.settings.subjectPrefix, pattern), {
        queue: broadcast ? undefined : this.queueGroup,
        callback: this.getMessageHandler(pattern).bind(this),
      });
      this.activeSubscriptions.push(subscription);
    }
  }

  override handleMessage(channel: string, message: Msg): Promise<unknown> {
    const requestId = sanitizeRequestId(message.headers?.get(REQUEST_ID_HEADER));
    return requestContext.run({ requestId }, () => super.handleMessage(channel, message));
  }

  override getHandlerByPattern(pattern: string): MessageHandler | null {
    // Subjects are plain strings: skip Nest's JSON.parse attempt on every message.
    return this.messageHandlers.get(pattern) ?? null;
  }

  /** Unsubscribes (in-flight handlers finish) but leaves the shared connection to its owner. */
  override async close(): Promise<void> {
    for (const subscription of this.activeSubscriptions.splice(0)) subscription.unsubscribe();
  }
}

let nextRequestNumber = 0;

/**
 * Sends requests with the NATS client's own `request()` in Nest's wire format: cheaper per call than
 * `ClientProxy.send` plus an rxjs timeout (see BENCH.md), with the same explicit deadline.
 */
export class NatsRpcClient extends RpcClient {
  constructor(
    private readonly connection: NatsConnection,
    private readonly settings: Pick<NatsSettings, 'subjectPrefix' | 'requestTimeoutMs'>,
  ) {
    super();
  }

  private readonly duration = busRequestDuration();

  async request<S extends RequestSubject>(subject: S, payload: RequestOf<S>): Promise<ReplyOf<S>> {
    const started = performance.now();
    let outcome = 'ok';
    try {
      return await this.send(subject, payload);
    } catch (err) {
      outcome = err instanceof HandoverError ? err.code : 'error';
      throw err;
    } finally {
      this.duration.observe({ subject, outcome }, (performance.now() - started) / 1000);
    }
  }

  private async send<S extends RequestSubject>(subject: S, payload: RequestOf<S>): Promise<ReplyOf<S>> {
    const id = String(++nextRequestNumber);
    const h = natsHeaders();
    h.set(REQUEST_ID_HEADER, requestContext.requestId());
    let reply: Msg;
    try {
      reply = await this.connection.request(
        prefixed(this.settings.subjectPrefix, subject),
        JSON.stringify({ pattern: subject, data: payload, id }),
        { timeout: this.settings.requestTimeoutMs, headers: h },
      );
    } catch (err) {
      throw HandoverError.unavailable(`no timely answer to ${subject}`, err);
    }
    let packet: WireReply;
    try {
      packet = reply.json<WireReply>();
    } catch (err) {
      throw HandoverError.unavailable(`unreadable answer to ${subject}`, err);
    }
    if (packet.err !== undefined && packet.err !== null) throw errorFromWire(packet.err, subject);
    return packet.response as ReplyOf<S>;
  }

  async publish<E extends EventSubject>(subject: E, payload: EventOf<E>): Promise<void> {
    const h = natsHeaders();
    h.set(REQUEST_ID_HEADER, requestContext.requestId());
    try {
      this.connection.publish(
        prefixed(this.settings.subjectPrefix, subject),
        JSON.stringify({ pattern: subject, data: payload }),
        {
          headers: h,
        },
      );
    } catch (err) {
      throw HandoverError.unavailable(`cannot publish ${subject}`, err);
    }
  }
}
