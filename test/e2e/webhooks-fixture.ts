/**
 * Helpers of the webhook e2e files: vendors and endpoints through the admin API, sessions handed to vendors,
 * and the delivery log. Every answer is checked for a 5xx (see handover-fixture `call`).
 */
import { randomBytes } from 'node:crypto';
import { call, DEMO, endSession, issueCode, openUserSession, type Response, type Vendor } from './handover-fixture.js';

export const ADMIN_KEY = 'demo-admin-key';

const adminHeaders = { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' };

export function admin(base: string, method: string, path: string, body?: unknown): Promise<Response> {
  return call(`${base}/admin/tenants/${DEMO.tenant}${path}`, {
    method,
    headers: body === undefined ? { authorization: adminHeaders.authorization } : adminHeaders,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

function must(what: string, res: Response, status: number): Response {
  if (res.status !== status) throw new Error(`${what}: HTTP ${res.status} ${res.text}`);
  return res;
}

/** A new vendor of tenant demo (random client id), registered through the admin API. */
export async function createVendor(base: string, name = 'wh'): Promise<Vendor> {
  const clientId = `${name}-${randomBytes(4).toString('hex')}`;
  const pluginUrl = `https://${clientId}.example/plugin`;
  const res = must(
    'create vendor',
    await admin(base, 'POST', '/vendors', {
      client_id: clientId,
      name: `Vendor ${clientId}`,
      plugin_urls: [pluginUrl],
      redirect_uris: [`https://${clientId}.example/callback`],
      allowed_origins: [`https://${clientId}.example`],
      scopes: ['profile'],
    }),
    201,
  );
  return {
    clientId,
    secret: res.body.client_secret as string,
    pluginUrl,
    redirectUri: `https://${clientId}.example/callback`,
  };
}

export interface Endpoint {
  id: string;
  secret: string | null;
  body: Record<string, unknown>;
}

/** Registers an endpoint for `vendor` (fails the test unless 201). */
export async function createEndpoint(
  base: string,
  vendor: Pick<Vendor, 'clientId'>,
  body: Record<string, unknown>,
): Promise<Endpoint> {
  const res = must('create endpoint', await admin(base, 'POST', `/vendors/${vendor.clientId}/webhooks`, body), 201);
  return { id: res.body.id as string, secret: (res.body.secret as string | null) ?? null, body: res.body };
}

export async function getEndpoint(base: string, id: string): Promise<Record<string, unknown>> {
  return must('get endpoint', await admin(base, 'GET', `/webhooks/${id}`), 200).body;
}

export interface LoggedMessage {
  id: string;
  status: string;
  attempts: number;
  event_type: string;
  last_status_code: number | null;
}

/** Every message of an endpoint's delivery log (all pages). */
export async function messagesOf(base: string, endpointId: string, query = ''): Promise<LoggedMessage[]> {
  const all: LoggedMessage[] = [];
  let cursor: string | null = null;
  do {
    const q = new URLSearchParams(query);
    q.set('limit', '200');
    if (cursor) q.set('cursor', cursor);
    const res = must('list messages', await admin(base, 'GET', `/webhooks/${endpointId}/messages?${q}`), 200);
    all.push(...(res.body.messages as LoggedMessage[]));
    cursor = res.body.next_cursor as string | null;
  } while (cursor);
  return all;
}

export async function messageDetail(base: string, messageId: string): Promise<Record<string, unknown>> {
  return must('get message', await admin(base, 'GET', `/webhook-messages/${messageId}`), 200).body;
}

/**
 * A session of the demo user handed to `vendors` (a code issued for each, so each holds the session), then
 * logged out by the host. Returns the session id and user id.
 */
export async function sessionHandedTo(
  base: string,
  vendors: ReadonlyArray<Pick<Vendor, 'clientId'>>,
): Promise<{ sid: string; userId: string }> {
  const session = await openUserSession(base);
  for (const vendor of vendors) await issueCode(base, session.sid, vendor);
  return session;
}

export async function logout(base: string, sid: string): Promise<void> {
  must('logout', await endSession(base, sid), 204);
}

/** The handle vendors know a session by (the access token's `sid`, the webhook's `session_id`). */
export { sessionHandle } from './session-handle.js';

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}
