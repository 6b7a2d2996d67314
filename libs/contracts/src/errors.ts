/**
 * The error body that crosses the bus and the HTTP edge: `{ error, error_description }`.
 * OAuth endpoints use exactly the RFC 6749 §5.2 codes; the other codes are Handover's own.
 */
export const OAuthErrorCodes = [
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
] as const;

export const DomainErrorCodes = [
  /** RFC 6750 §3.1 */
  'invalid_token',
  'insufficient_scope',
  'unauthorized',
  'forbidden',
  'not_found',
  'method_not_allowed',
  'conflict',
  'payload_too_large',
  'uri_too_long',
  'unsupported_media_type',
  'too_many_requests',
  'request_header_fields_too_large',
  /** A dependency (an app, NATS, Redis, PostgreSQL) is down; answered as 503 with Retry-After. */
  'temporarily_unavailable',
  'bad_gateway',
  'gateway_timeout',
] as const;

export type OAuthErrorCode = (typeof OAuthErrorCodes)[number];
export type DomainErrorCode = (typeof DomainErrorCodes)[number];
export type ErrorCode = OAuthErrorCode | DomainErrorCode;

const knownCodes: ReadonlySet<string> = new Set<string>([...OAuthErrorCodes, ...DomainErrorCodes]);

export interface ErrorBody {
  error: ErrorCode;
  error_description: string;
}

/** The body as it crosses NATS: the public body plus an optional retry hint in seconds. */
export interface RpcErrorBody extends ErrorBody {
  retry_after?: number;
}

export function isRpcErrorBody(value: unknown): value is RpcErrorBody {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.error === 'string' && knownCodes.has(v.error) && typeof v.error_description === 'string';
}

/**
 * The one error type services throw for an expected failure. The `error_description` is public; put private
 * detail in `cause`, which is logged and never sent (as oidc-provider's errors do).
 */
export class HandoverError extends Error {
  readonly retryAfter?: number;

  constructor(
    readonly code: ErrorCode,
    readonly description: string,
    options: { cause?: unknown; retryAfter?: number } = {},
  ) {
    super(`${code}: ${description}`, { cause: options.cause });
    this.name = 'HandoverError';
    this.retryAfter = options.retryAfter;
  }

  toBody(): RpcErrorBody {
    const body: RpcErrorBody = { error: this.code, error_description: this.description };
    if (this.retryAfter !== undefined) body.retry_after = this.retryAfter;
    return body;
  }

  static fromBody(body: RpcErrorBody): HandoverError {
    return new HandoverError(body.error, body.error_description, { retryAfter: body.retry_after });
  }

  static unavailable(description: string, cause?: unknown): HandoverError {
    return new HandoverError('temporarily_unavailable', description, { cause, retryAfter: 1 });
  }
}
