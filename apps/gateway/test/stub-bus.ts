import {
  HandoverError,
  type EventOf,
  type EventSubject,
  type ReplyOf,
  type RequestOf,
  type RequestSubject,
} from '#contracts';
import { RpcClient } from '#messaging';

type Handler = (payload: never) => unknown;

/**
 * The gateway's bus in its integration tests: answers from a table of handlers (as the back-end apps would) and
 * records every request with the request id it names; an unhandled subject is `no responders` (503), as on NATS.
 */
export class StubBus extends RpcClient {
  readonly calls: Array<{ subject: string; payload: unknown; requestId?: string }> = [];
  handlers: Partial<Record<RequestSubject, Handler>> = {};

  async request<S extends RequestSubject>(subject: S, payload: RequestOf<S>, requestId?: string): Promise<ReplyOf<S>> {
    this.calls.push({ subject, payload, requestId });
    const handler = this.handlers[subject];
    if (!handler) throw HandoverError.unavailable(`no responders for ${subject}`);
    return (await handler(payload as never)) as ReplyOf<S>;
  }

  async publish<E extends EventSubject>(_subject: E, _payload: EventOf<E>): Promise<void> {}

  sent(subject: RequestSubject): unknown[] {
    return this.calls.filter((c) => c.subject === subject).map((c) => c.payload);
  }
}
