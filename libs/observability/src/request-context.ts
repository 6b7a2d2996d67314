import { randomUUID } from 'node:crypto';

/**
 * A request's id travels explicitly: the HTTP edge reads or mints it (`x-request-id`, Fastify's `req.id`), bus
 * calls carry it (`rid` in a request batch, the `x-request-id` header on an event), and a bus handler receives it
 * in its `BusContext`. Log lines name it (`requestId`), so one handover can be followed through every process.
 *
 * Not AsyncLocalStorage: on Node 20 it installs a promise hook that every promise of the process pays once any
 * store is entered (~5–8 % of each app's CPU, ~60–75 µs per exchange in embedded mode; bench/README.md).
 */
export const REQUEST_ID_HEADER = 'x-request-id';

/** An id for work that no caller named (timers, consumers, a caller that sent none). */
export function newRequestId(): string {
  return randomUUID();
}

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Accepts a caller's request id only when it is short and printable; otherwise mints one. */
export function sanitizeRequestId(value: unknown): string {
  return typeof value === 'string' && SAFE_REQUEST_ID.test(value) ? value : newRequestId();
}
