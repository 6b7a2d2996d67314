import { HttpException, HttpStatus } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { HandoverError, type ErrorBody, type ErrorCode } from '#contracts';
import type { Logger } from '#observability';
import { statusForError } from './error-status.js';

export interface HttpErrorResponse {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
}

/** Nest's and Fastify's own HTTP errors, by status, in our vocabulary. */
function codeForStatus(status: number): ErrorCode | undefined {
  switch (status) {
    case HttpStatus.BAD_REQUEST:
      return 'invalid_request';
    case HttpStatus.UNAUTHORIZED:
      return 'unauthorized';
    case HttpStatus.FORBIDDEN:
      return 'forbidden';
    case HttpStatus.NOT_FOUND:
      return 'not_found';
    case HttpStatus.METHOD_NOT_ALLOWED:
      return 'method_not_allowed';
    case HttpStatus.CONFLICT:
      return 'conflict';
    case HttpStatus.PAYLOAD_TOO_LARGE:
      return 'payload_too_large';
    case HttpStatus.URI_TOO_LONG:
      return 'uri_too_long';
    case HttpStatus.UNSUPPORTED_MEDIA_TYPE:
      return 'unsupported_media_type';
    case HttpStatus.TOO_MANY_REQUESTS:
      return 'too_many_requests';
    case 431:
      return 'request_header_fields_too_large';
    default:
      return undefined;
  }
}

const responseHeaders = new WeakMap<object, Record<string, string>>();

/**
 * Asks the error filter to send `headers` with the answer to `error`: an authentication challenge
 * (`WWW-Authenticate`, RFC 6750 §3 and RFC 6749 §5.2) or `Allow` beside a 405. The error keeps its code and
 * description; it is still rendered in the one place every error is. Returns `error`, so it reads as `throw
 * withResponseHeaders(new HandoverError(...), {...})`.
 */
export function withResponseHeaders<E extends object>(error: E, headers: Record<string, string>): E {
  const lower = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
  responseHeaders.set(error, { ...responseHeaders.get(error), ...lower });
  return error;
}

const PUBLIC_DESCRIPTIONS: Partial<Record<ErrorCode, string>> = {
  not_found: 'no such resource',
  method_not_allowed: 'method not allowed on this resource',
  payload_too_large: 'the request body exceeds the limit',
  uri_too_long: 'the request path is too long',
  unsupported_media_type: 'unsupported content type',
};

/**
 * Turns anything thrown while serving a request into the JSON error the client sees. Expected errors keep
 * their code and public description; an unexpected one is logged with an error id and answered as 503
 * `temporarily_unavailable` with only that id: never a 500, never internal detail.
 */
export function toHttpError(exception: unknown, logger: Logger, requestId: string): HttpErrorResponse {
  if (exception instanceof HandoverError) {
    const headers: Record<string, string> = { ...responseHeaders.get(exception) };
    if (exception.retryAfter !== undefined) headers['retry-after'] = String(exception.retryAfter);
    if (exception.code === 'temporarily_unavailable') {
      headers['retry-after'] ??= '1';
      logger.warn({ err: exception.cause ?? exception, requestId }, exception.description);
    }
    // The retry hint travels in the Retry-After header; the HTTP body is exactly `{ error, error_description }`.
    return {
      status: statusForError(exception.code),
      body: { error: exception.code, error_description: exception.description },
      headers,
    };
  }

  const status = httpStatusOf(exception);
  const code = status !== undefined ? codeForStatus(status) : undefined;
  if (code) {
    const description = describe(exception, code);
    return { status: statusForError(code), body: { error: code, error_description: description }, headers: {} };
  }

  const errorId = randomUUID();
  logger.error({ err: exception, errorId, requestId }, 'unexpected error while serving a request');
  return {
    status: 503,
    body: { error: 'temporarily_unavailable', error_description: `unexpected condition (error id ${errorId})` },
    headers: { 'retry-after': '1' },
  };
}

function httpStatusOf(exception: unknown): number | undefined {
  if (exception instanceof HttpException) return exception.getStatus();
  const statusCode = (exception as { statusCode?: unknown })?.statusCode;
  return typeof statusCode === 'number' ? statusCode : undefined;
}

function describe(exception: unknown, code: ErrorCode): string {
  const fixed = PUBLIC_DESCRIPTIONS[code];
  if (fixed) return fixed;
  const fastifyCode = (exception as { code?: unknown })?.code;
  if (fastifyCode === 'FST_ERR_CTP_INVALID_JSON_BODY' || exception instanceof SyntaxError)
    return 'the body is not valid JSON';
  if (fastifyCode === 'FST_ERR_CTP_EMPTY_JSON_BODY') return 'the JSON body is empty';
  if (exception instanceof HttpException) {
    const response = exception.getResponse();
    const message =
      typeof response === 'object' && response !== null ? (response as { message?: unknown }).message : response;
    if (Array.isArray(message)) return message.join('; ');
    if (typeof message === 'string') return message;
  }
  if (typeof fastifyCode === 'string' && fastifyCode.startsWith('FST_')) return 'malformed request';
  return code.replaceAll('_', ' ');
}
