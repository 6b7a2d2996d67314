import { createHash } from 'node:crypto';

/** A session's public handle: base64url(SHA-256(session id)), what vendors see as `sid` / `session_id`. */
export function sessionHandle(sessionId: string): string {
  return createHash('sha256').update(sessionId).digest('base64url');
}
