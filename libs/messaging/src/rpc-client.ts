import type { EventOf, EventSubject, ReplyOf, RequestOf, RequestSubject } from '#contracts';

/**
 * The one way an app talks to another. Two real transports implement it: NATS (distributed mode) and an
 * in-process broker (embedded mode). Failures arrive as `HandoverError`: the callee's own error, or
 * `temporarily_unavailable` when nobody answers (no responders, timeout, bus down), never a hang.
 */
export abstract class RpcClient {
  abstract request<S extends RequestSubject>(subject: S, payload: RequestOf<S>): Promise<ReplyOf<S>>;

  /** Fire-and-forget event on core NATS (at most once). Durable events go through the outbox and JetStream. */
  abstract publish<E extends EventSubject>(subject: E, payload: EventOf<E>): Promise<void>;
}
