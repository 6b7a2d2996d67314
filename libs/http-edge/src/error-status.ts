import type { ErrorCode } from '#contracts';

/**
 * The HTTP status of every error code, in one exhaustive switch: adding a code without a status is a compile
 * error (and a lint error, `switch-exhaustiveness-check`).
 */
export function statusForError(code: ErrorCode): number {
  switch (code) {
    case 'invalid_request':
    case 'invalid_grant':
    case 'unauthorized_client':
    case 'unsupported_grant_type':
    case 'invalid_scope':
      return 400;
    case 'invalid_client':
    case 'invalid_token':
    case 'unauthorized':
      return 401;
    case 'insufficient_scope':
    case 'forbidden':
      return 403;
    case 'not_found':
      return 404;
    case 'method_not_allowed':
      return 405;
    case 'conflict':
      return 409;
    case 'payload_too_large':
      return 413;
    case 'uri_too_long':
      return 414;
    case 'unsupported_media_type':
      return 415;
    case 'too_many_requests':
      return 429;
    case 'request_header_fields_too_large':
      return 431;
    case 'bad_gateway':
      return 502;
    case 'temporarily_unavailable':
      return 503;
    case 'gateway_timeout':
      return 504;
  }
}
