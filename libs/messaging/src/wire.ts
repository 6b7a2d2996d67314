import { HandoverError, isRpcErrorBody, type RpcErrorBody } from '#contracts';

/**
 * Nest's microservice wire format, which `ServerNats` speaks: a request is `{ pattern, data, id }`, an event
 * `{ pattern, data }`, and a reply `{ id, response?, err?, isDisposed }`. Our handlers' errors cross as
 * `err` = `RpcErrorBody` (see rpc-exception.filter.ts).
 */
export interface WireReply {
  id?: string;
  response?: unknown;
  err?: unknown;
  isDisposed?: boolean;
}

/** Turns a reply's `err` into the error the caller throws; an unrecognised shape never leaks its text. */
export function errorFromWire(err: unknown, subject: string): HandoverError {
  if (isRpcErrorBody(err)) return HandoverError.fromBody(err as RpcErrorBody);
  return HandoverError.unavailable(`the service behind ${subject} failed`, err);
}
