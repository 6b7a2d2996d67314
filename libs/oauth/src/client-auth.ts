import { HandoverError } from '#contracts';

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post';

export interface ClientCredentials {
  method: ClientAuthMethod;
  clientId: string;
  clientSecret: string;
}

const MAX_LENGTH = 512;

function decodeBasicPart(part: string): string {
  // RFC 6749 §2.3.1: client_id and client_secret are form-urlencoded before Basic encoding. Without `%` or `+`
  // (the usual client_id and generated secret) there is nothing to decode.
  if (!part.includes('%') && !part.includes('+')) return part;
  try {
    return decodeURIComponent(part.replace(/\+/g, ' '));
  } catch {
    throw new HandoverError('invalid_client', 'malformed Basic credentials');
  }
}

/**
 * Reads the client's credentials from exactly one of `client_secret_basic` (Authorization header) and
 * `client_secret_post` (form body); both at once is `invalid_request` (RFC 6749 §2.3), none is `invalid_client`.
 */
export function readClientCredentials(
  authorization: string | undefined,
  body: { client_id?: unknown; client_secret?: unknown },
): ClientCredentials {
  const hasBasic = typeof authorization === 'string' && /^basic /i.test(authorization);
  const hasPost = body.client_secret !== undefined;
  if (hasBasic && hasPost) {
    throw new HandoverError('invalid_request', 'use exactly one client authentication method');
  }
  if (hasBasic) {
    const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new HandoverError('invalid_client', 'malformed Basic credentials');
    const clientId = decodeBasicPart(decoded.slice(0, colon));
    const clientSecret = decodeBasicPart(decoded.slice(colon + 1));
    if (body.client_id !== undefined && body.client_id !== clientId) {
      throw new HandoverError('invalid_request', 'client_id in the body differs from the authenticated client');
    }
    return checked({ method: 'client_secret_basic', clientId, clientSecret });
  }
  if (hasPost) {
    if (typeof body.client_id !== 'string' || typeof body.client_secret !== 'string') {
      throw new HandoverError('invalid_client', 'client_id and client_secret must be single strings');
    }
    return checked({ method: 'client_secret_post', clientId: body.client_id, clientSecret: body.client_secret });
  }
  throw new HandoverError('invalid_client', 'client authentication required');
}

function checked(credentials: ClientCredentials): ClientCredentials {
  if (
    !credentials.clientId ||
    credentials.clientId.length > MAX_LENGTH ||
    credentials.clientSecret.length > MAX_LENGTH
  ) {
    throw new HandoverError('invalid_client', 'client authentication failed');
  }
  return credentials;
}
