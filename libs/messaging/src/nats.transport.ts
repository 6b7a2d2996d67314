import { ServerNats, type MessageHandler } from '@nestjs/microservices';
import {
  connect,
  createInbox,
  headers as natsHeaders,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type Subscription,
} from '@nats-io/transport-node';
import {
  HandoverError,
  isRpcErrorBody,
  type EventOf,
  type EventSubject,
  type ReplyOf,
  type RequestOf,
  type RequestSubject,
} from '#contracts';
import { busRequestDuration, REQUEST_ID_HEADER, sanitizeRequestId } from '#observability';
import { BusContext } from './bus-context.js';
import { RpcClient } from './rpc-client.js';
import { errorFromWire, type WireReply } from './wire.js';
import type { HandlerExtras } from './handler.decorators.js';
import { invokeHandler } from './invoke-handler.js';

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
 * hears them. Requests come in batches (see `NatsRpcClient`): each item runs on its own with the caller's
 * request id, and answers that are ready in the same event-loop turn go back together in one message. A request
 * in Nest's own single-packet format is still served by Nest's code path.
 */
export class HandoverNatsServer extends ServerNats {
  private readonly activeSubscriptions: Subscription[] = [];
  private readonly replies = new Coalescer((to, items) => this.connection.publish(to, `[${items.join(',')}]`));

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
      const nestHandler = this.getMessageHandler(pattern).bind(this);
      const subscription = client.subscribe(prefixed(this.settings.subjectPrefix, pattern), {
        queue: broadcast ? undefined : this.queueGroup,
        callback: handler.isEventHandler
          ? nestHandler
          : (err, message) => {
              if (err) return;
              const batch = readBatch(message);
              if (batch) this.serveBatch(handler, batch, message.reply);
              else void nestHandler(err, message);
            },
      });
      this.activeSubscriptions.push(subscription);
    }
  }

  override getHandlerByPattern(pattern: string): MessageHandler | null {
    // Subjects are plain strings: skip Nest's JSON.parse attempt on every message.
    return this.messageHandlers.get(pattern) ?? null;
  }

  /** Unsubscribes (in-flight handlers finish) but leaves the shared connection to its owner. */
  override async close(): Promise<void> {
    for (const subscription of this.activeSubscriptions.splice(0)) subscription.unsubscribe();
  }

  private serveBatch(handler: MessageHandler, batch: RequestItem[], replyTo: string | undefined): void {
    for (const item of batch) {
      void invokeHandler(handler, item.data, new BusContext(sanitizeRequestId(item.rid)))
        .then(
          (response) => ({ id: item.id, response }),
          // Nest's exception zone hands back the filter's RpcErrorBody; anything else crosses as an unknown shape
          // that the caller turns into `temporarily_unavailable` (errorFromWire).
          (err: unknown) => ({ id: item.id, err: isRpcErrorBody(err) ? err : { unexpected: true } }),
        )
        .then((reply) => {
          if (replyTo) this.replies.add(replyTo, JSON.stringify(reply));
        });
    }
  }
}

/** One request inside a batch: the caller's id for it, its payload, and its request id (for logs). */
interface RequestItem {
  id: string;
  data: unknown;
  rid?: string;
}

function readBatch(message: Msg): RequestItem[] | null {
  let packet: unknown;
  try {
    packet = message.json();
  } catch {
    return null;
  }
  const batch = (packet as { batch?: unknown } | null)?.batch;
  if (!Array.isArray(batch)) return null;
  return batch.filter(
    (item): item is RequestItem => typeof item === 'object' && item !== null && typeof item.id === 'string',
  );
}

/** A batch is sent early when it reaches either limit (NATS's max_payload is 1 MB by default). */
const MAX_BATCH_ITEMS = 32;
const MAX_BATCH_BYTES = 256 * 1024;

/**
 * Collects the JSON items sent to one subject during an event-loop turn and sends them as one message when the
 * turn ends (`setImmediate`: after every I/O callback of the poll phase), or as soon as a batch is full. Under
 * load, the requests of many HTTP requests (and the answers of many handlers) share one NATS message and one socket
 * write; alone, an item waits for nothing but the end of the current turn.
 */
class Coalescer {
  private readonly queued = new Map<string, { items: string[]; bytes: number }>();
  private scheduled = false;

  constructor(private readonly send: (subject: string, items: string[]) => void) {}

  add(subject: string, json: string): void {
    let batch = this.queued.get(subject);
    if (batch && (batch.items.length >= MAX_BATCH_ITEMS || batch.bytes + json.length > MAX_BATCH_BYTES)) {
      this.queued.delete(subject);
      this.sendSafely(subject, batch.items);
      batch = undefined;
    }
    if (batch) {
      batch.items.push(json);
      batch.bytes += json.length;
    } else {
      this.queued.set(subject, { items: [json], bytes: json.length });
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.scheduled = false;
    for (const [subject, batch] of this.queued) {
      this.queued.delete(subject);
      this.sendSafely(subject, batch.items);
    }
  }

  private sendSafely(subject: string, items: string[]): void {
    try {
      this.send(subject, items);
    } catch {
      // A closed connection: the callers' deadlines answer them (`temporarily_unavailable`).
    }
  }
}

interface PendingRequest {
  subject: string;
  resolve: (reply: unknown) => void;
  reject: (err: HandoverError) => void;
}

/**
 * Sends requests in batches: requests to one subject made during one event-loop turn travel as one message
 * `{ pattern, batch: [{ id, data, rid }] }` with one reply subject under this client's inbox, and one deadline
 * timer for the batch. Answers arrive as arrays of Nest-shaped replies `{ id, response | err }`, possibly in
 * several messages (the server sends each answer when it is ready). One wildcard subscription serves every reply,
 * so a request costs no subscription and no per-request timer. No responders (the server's 503 status on the
 * reply subject) fails the batch at once; a deadline fails what is still pending with `temporarily_unavailable`.
 */
export class NatsRpcClient extends RpcClient {
  private readonly inbox = `${createInbox()}.`;
  private subscription: Subscription | undefined;
  private readonly pending = new Map<string, PendingRequest>();
  /** Reply token → the ids of its batch and its deadline timer. */
  private readonly batches = new Map<string, { ids: string[]; timer: NodeJS.Timeout }>();
  private nextId = 0;
  private readonly outgoing = new Coalescer((subject, items) => this.sendBatch(subject as RequestSubject, items));
  /** Ids of the requests queued in `outgoing`, per subject, in order (a batch's ids travel with its items). */
  private readonly queuedIds = new Map<string, string[]>();
  private readonly duration = busRequestDuration();

  constructor(
    private readonly connection: NatsConnection,
    private readonly settings: Pick<NatsSettings, 'subjectPrefix' | 'requestTimeoutMs'>,
  ) {
    super();
  }

  async request<S extends RequestSubject>(subject: S, payload: RequestOf<S>, requestId?: string): Promise<ReplyOf<S>> {
    const started = performance.now();
    let outcome = 'ok';
    try {
      return (await this.send(subject, payload, requestId)) as ReplyOf<S>;
    } catch (err) {
      outcome = err instanceof HandoverError ? err.code : 'error';
      throw err;
    } finally {
      this.duration.observe({ subject, outcome }, (performance.now() - started) / 1000);
    }
  }

  async publish<E extends EventSubject>(subject: E, payload: EventOf<E>, requestId?: string): Promise<void> {
    // Without a request id the header is left out, and the listener mints one (as for a request's `rid`).
    let headers: MsgHdrs | undefined;
    if (requestId !== undefined) {
      headers = natsHeaders();
      headers.set(REQUEST_ID_HEADER, requestId);
    }
    try {
      this.connection.publish(
        prefixed(this.settings.subjectPrefix, subject),
        JSON.stringify({ pattern: subject, data: payload }),
        { headers },
      );
    } catch (err) {
      throw HandoverError.unavailable(`cannot publish ${subject}`, err);
    }
  }

  private send(subject: RequestSubject, payload: unknown, requestId: string | undefined): Promise<unknown> {
    if (this.connection.isClosed()) {
      return Promise.reject(HandoverError.unavailable(`no timely answer to ${subject}: the bus connection is closed`));
    }
    this.subscription ??= this.connection.subscribe(`${this.inbox}*`, {
      callback: (err, message) => {
        if (!err) this.receive(message);
      },
    });
    const id = String(++this.nextId);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { subject, resolve, reject });
      const ids = this.queuedIds.get(subject);
      if (ids) ids.push(id);
      else this.queuedIds.set(subject, [id]);
      // Without a request id `rid` is left out, and the server mints one.
      this.outgoing.add(subject, JSON.stringify({ id, data: payload, rid: requestId }));
    });
  }

  private sendBatch(subject: RequestSubject, items: string[]): void {
    const queued = this.queuedIds.get(subject) ?? [];
    const ids = queued.splice(0, items.length);
    if (queued.length === 0) this.queuedIds.delete(subject);
    const token = String(++this.nextId);
    const timer = setTimeout(() => this.expire(token), this.settings.requestTimeoutMs);
    this.batches.set(token, { ids, timer });
    try {
      this.connection.publish(
        prefixed(this.settings.subjectPrefix, subject),
        `{"pattern":${JSON.stringify(subject)},"batch":[${items.join(',')}]}`,
        { reply: this.inbox + token },
      );
    } catch (err) {
      this.failBatch(token, (s) => HandoverError.unavailable(`cannot send ${s}`, err));
    }
  }

  private receive(message: Msg): void {
    const token = message.subject.slice(this.inbox.length);
    if (message.data.length === 0 && message.headers?.code === 503) {
      this.failBatch(token, (s) => HandoverError.unavailable(`no service answers ${s}`));
      return;
    }
    let replies: WireReply[];
    try {
      replies = message.json<WireReply[]>();
    } catch {
      // An unreadable answer names no request: its callers get the deadline's answer.
      return;
    }
    if (!Array.isArray(replies)) return;
    for (const reply of replies) {
      const id = typeof reply?.id === 'string' ? reply.id : undefined;
      const request = id === undefined ? undefined : this.pending.get(id);
      if (!request) continue; // late (after its deadline) or not ours
      this.pending.delete(id!);
      if (reply.err !== undefined && reply.err !== null) request.reject(errorFromWire(reply.err, request.subject));
      else request.resolve(reply.response);
    }
    this.settleBatch(token);
  }

  /** Forgets a batch once none of its requests is pending (its deadline timer with it). */
  private settleBatch(token: string): void {
    const batch = this.batches.get(token);
    if (batch && batch.ids.every((id) => !this.pending.has(id))) {
      clearTimeout(batch.timer);
      this.batches.delete(token);
    }
  }

  private expire(token: string): void {
    this.failBatch(token, (s) => HandoverError.unavailable(`no timely answer to ${s}`));
  }

  private failBatch(token: string, error: (subject: string) => HandoverError): void {
    const batch = this.batches.get(token);
    if (!batch) return;
    clearTimeout(batch.timer);
    this.batches.delete(token);
    for (const id of batch.ids) {
      const request = this.pending.get(id);
      if (!request) continue;
      this.pending.delete(id);
      request.reject(error(request.subject));
    }
  }
}
