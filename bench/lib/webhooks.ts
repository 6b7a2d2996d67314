// What the logout benchmarks share: vendors with webhook endpoints at local Standard Webhooks receivers (every delivery
// verified with the `standardwebhooks` library, as a vendor would), sessions handed to those vendors, and logouts.
import { createHash, randomBytes } from 'node:crypto';
import type { Pool } from 'undici';
import { WebhookReceiver } from '#testing';
import { DEMO } from './handover-api.js';
import { call } from './load.js';

const ADMIN = { authorization: 'Bearer demo-admin-key', 'content-type': 'application/json' };
const HOST = { authorization: `Bearer ${DEMO.hostKey}`, 'content-type': 'application/json' };

function ok(what: string, res: { status: number; text: string }, status: number): Record<string, unknown> {
  if (res.status !== status) throw new Error(`${what}: HTTP ${res.status} ${res.text.slice(0, 300)}`);
  return res.text ? (JSON.parse(res.text) as Record<string, unknown>) : {};
}

export interface BenchVendor {
  clientId: string;
  endpointId: string;
  secret: string;
  receiver: WebhookReceiver;
}

/** A vendor of tenant demo with one webhook endpoint (session.logged_out) at a fresh verifying receiver. */
export async function vendorWithReceiver(p: Pool, port?: number): Promise<BenchVendor> {
  const clientId = `bench-${randomBytes(4).toString('hex')}`;
  ok(
    'create vendor',
    await call(p, 'POST', '/admin/tenants/demo/vendors', {
      headers: ADMIN,
      body: JSON.stringify({
        client_id: clientId,
        name: clientId,
        plugin_urls: [`https://${clientId}.example/plugin`],
        allowed_origins: [`https://${clientId}.example`],
        scopes: ['profile'],
      }),
    }),
    201,
  );
  const secrets: string[] = [];
  const receiver = await WebhookReceiver.start({ secrets: () => secrets, port });
  const endpoint = ok(
    'create endpoint',
    await call(p, 'POST', `/admin/tenants/demo/vendors/${clientId}/webhooks`, {
      headers: ADMIN,
      body: JSON.stringify({ url: `${receiver.url}/hooks` }),
    }),
    201,
  );
  secrets.push(endpoint.secret as string);
  return { clientId, endpointId: endpoint.id as string, secret: endpoint.secret as string, receiver };
}

/** A session of the demo user, handed to each vendor (a code issued for each): the session id. */
export async function sessionHandedTo(p: Pool, clientIds: readonly string[]): Promise<string> {
  const session = ok(
    'create session',
    await call(p, 'POST', '/t/demo/api/sessions', { headers: HOST, body: JSON.stringify({ user: DEMO.user }) }),
    201,
  );
  const sid = session.session_id as string;
  for (const vendor of clientIds)
    ok(
      'issue code',
      await call(p, 'POST', `/t/demo/api/sessions/${sid}/codes`, { headers: HOST, body: JSON.stringify({ vendor }) }),
      201,
    );
  return sid;
}

export async function logout(p: Pool, sid: string): Promise<void> {
  ok(
    'logout',
    await call(p, 'DELETE', `/t/demo/api/sessions/${sid}`, { headers: { authorization: HOST.authorization } }),
    204,
  );
}

/** The session's public handle, the `session_id` of its webhooks. */
export function handleOf(sid: string): string {
  return createHash('sha256').update(sid).digest('base64url');
}

/** Runs `task(i)` for i in [0, count) with `concurrency` in flight; results in order. */
export async function inFlight<T>(count: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      for (let i = next++; i < count; i = next++) results[i] = await task(i);
    }),
  );
  return results;
}
