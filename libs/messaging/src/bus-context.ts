import { NatsContext } from '@nestjs/microservices';
import { newRequestId, REQUEST_ID_HEADER, sanitizeRequestId } from '#observability';

/**
 * What a bus handler learns besides its payload: the request id of the work that sent the message, for its log
 * lines and for the calls it makes in turn (`rpc.request(subject, payload, context.requestId)`).
 */
export class BusContext {
  constructor(readonly requestId: string) {}

  /**
   * The context Nest hands a handler, as a `BusContext`: ours (request batches, the in-process broker), or
   * Nest's own `NatsContext` (events and single-packet requests, the request id in the `x-request-id` header).
   */
  static of(nestContext: unknown): BusContext {
    if (nestContext instanceof BusContext) return nestContext;
    if (nestContext instanceof NatsContext) {
      return new BusContext(sanitizeRequestId(nestContext.getHeaders()?.get(REQUEST_ID_HEADER)));
    }
    return new BusContext(newRequestId());
  }
}
