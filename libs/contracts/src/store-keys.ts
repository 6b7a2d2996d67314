/**
 * The layout of the short-lived store (Redis in distributed mode) that more than one app reads: the token app
 * writes sessions, codes and revocations; the gateway reads sessions for `/me` and loads the revocation index
 * when it starts. Like the subjects, these strings are a wire contract: change them only with a migration plan.
 * Codes are stored under their SHA-256 so a dump of the store does not hold usable codes.
 */
export const StoreKeys = {
  session: (tenantId: string, sessionId: string) => `session:${tenantId}:${sessionId}`,
  code: (codeHash: string) => `code:${codeHash}`,
  /** Outlives the code by the token lifetime: a late reuse of the code still finds the token to revoke. */
  codeGrant: (codeHash: string) => `code-grant:${codeHash}`,
  revokedToken: (jti: string) => `revoked:jti:${jti}`,
  /** Index of live revocations (`sid:<tenant>:<sid>` and `jti:<jti>` scored by expiry) for a starting gateway. */
  revocationIndex: 'revocations',
  failedClientAuth: (tenantId: string, clientId: string) => `client-failures:${tenantId}:${clientId}`,
  /** Index of live sessions scored by expiry: the token app's sweeper turns an expiry into `session.logged_out`. */
  sessionExpiries: 'session-expiries',
  /** The vendors (client ids) a session was handed to: they, and only they, hear of its logout. */
  sessionVendors: (tenantId: string, sessionHandle: string) => `session-vendors:${tenantId}:${sessionHandle}`,
} as const;

export const revocationMember = {
  session: (tenantId: string, sessionId: string) => `sid:${tenantId}:${sessionId}`,
  token: (jti: string) => `jti:${jti}`,
} as const;
