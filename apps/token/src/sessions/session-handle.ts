import { hash } from 'node:crypto';

/**
 * A session's public handle: base64url(SHA-256(session id)), 43 characters. The session id itself is a secret:
 * it is the hub's cookie and what the host API names the session by, so whoever holds it can act as the user.
 * Everything a vendor sees (the access token's `sid`, `session.logged_out` webhooks and bus events, `/me`) and
 * every key the session is stored under carry the handle instead; the raw id exists only in the create reply
 * and in what the host and the hub send back, and the token app hashes it on entry.
 */
export function sessionHandle(sessionId: string): string {
  return hash('sha256', sessionId, 'base64url');
}
