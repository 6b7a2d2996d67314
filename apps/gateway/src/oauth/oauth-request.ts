import { HandoverError } from '#contracts';
import { withResponseHeaders } from '#http-edge';
import { readClientCredentials, type ClientCredentials } from '#oauth';

/** What an OAuth endpoint reads of the HTTP request. */
export interface OAuthRequest {
  contentType: string | undefined;
  authorization: string | undefined;
  body: unknown;
  /** The HTTP request's id, for the bus calls the endpoint makes. */
  requestId: string;
}

/** The request's parameters: single strings, without the empty ones (RFC 6749 §3.1: as if omitted). */
export type FormParams = Readonly<Partial<Record<string, string>>>;

const PARAMETER_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * RFC 6749 §3.2 and §4.1.3: the parameters come as `application/x-www-form-urlencoded` in the body, and none
 * may be repeated (§3.1). A JSON, text or any other body is `invalid_request`, as is `code=a&code=b` (which the
 * form parser hands over as an array).
 */
export function readFormParams(request: Pick<OAuthRequest, 'contentType' | 'body'>): FormParams {
  const mediaType = (request.contentType ?? '').split(';')[0].trim().toLowerCase();
  if (mediaType !== 'application/x-www-form-urlencoded') {
    throw new HandoverError('invalid_request', 'the body must be application/x-www-form-urlencoded');
  }
  const body = request.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HandoverError('invalid_request', 'the body must be application/x-www-form-urlencoded');
  }
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, value] of Object.entries(body)) {
    if (typeof value !== 'string') {
      throw new HandoverError(
        'invalid_request',
        PARAMETER_NAME.test(name) ? `parameter ${name} is repeated` : 'a parameter is repeated',
      );
    }
    if (value !== '') params[name] = value;
  }
  return params;
}

/** A required parameter, or `invalid_request` naming it. */
export function requireParam(params: FormParams, name: string): string {
  const value = params[name];
  if (value === undefined) throw new HandoverError('invalid_request', `${name} is required`);
  return value;
}

/**
 * The client's credentials from exactly one of `client_secret_basic` and `client_secret_post` (RFC 6749 §2.3);
 * read here, authenticated by the token app.
 */
export function clientCredentials(request: Pick<OAuthRequest, 'authorization'>, params: FormParams): ClientCredentials {
  return readClientCredentials(request.authorization, {
    client_id: params.client_id,
    client_secret: params.client_secret,
  });
}

/**
 * RFC 6749 §5.2: a failed client authentication is `401 invalid_client` with a `WWW-Authenticate` challenge for
 * the scheme the client used (HTTP requires one on every 401, so also when it sent its secret in the body).
 * Other errors pass unchanged.
 */
export function challengeClient(err: unknown, issuer: string): unknown {
  if (err instanceof HandoverError && err.code === 'invalid_client') {
    withResponseHeaders(err, { 'www-authenticate': `Basic realm="${issuer}"` });
  }
  return err;
}

/**
 * A value longer than any the token app issues cannot name a code or token. It is replaced by the empty string,
 * which names nothing either, so the token app still authenticates the client and answers exactly as it does for
 * any unknown value (the same `invalid_grant`, the same `{active: false}`), instead of refusing the length.
 */
export function boundedValue(value: string, maxLength: number): string {
  return value.length > maxLength ? '' : value;
}
