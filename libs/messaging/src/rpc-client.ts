import type { EventOf, EventSubject, ReplyOf, RequestOf, RequestSubject } from '#contracts';

/**
 * The one way an app talks to another. Two real transports implement it: NATS (distributed mode) and an
 * in-process broker (embedded mode). Failures arrive as `HandoverError`: the callee's own error, or
 * `temporarily_unavailable` when nobody answers (no responders, timeout, bus down), never a hang.
 */
export abstract class RpcClient {
  /**
   * `requestId` is the id of the work that makes the call (the HTTP request's `req.id`, a handler's
   * `BusContext.requestId`); the callee's logs name it. Omitted by work that no request started (timers,
   * consumers): the callee mints one.
   */
  abstract request<S extends RequestSubject>(
    subject: S,
    payload: RequestOf<S>,
    requestId?: string,
  ): Promise<ReplyOf<S>>;

  /** Fire-and-forget event on core NATS (at most once). Durable events go through the outbox and JetStream. */
  abstract publish<E extends EventSubject>(subject: E, payload: EventOf<E>, requestId?: string): Promise<void>;
}
