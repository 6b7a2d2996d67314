// Handover's plugin handover over HTTP (README "Or with curl"): the host opens a session and issues codes with its
// API key; the vendor exchanges a code (HTTP Basic) and calls the data API with the token.
import type { Pool } from 'undici';
import { call, type Reply } from './load.js';

export const DEMO = {
  tenant: 'demo',
  hostKey: 'demo-host-key',
  vendor: 'demo-vendor',
  vendorSecret: 'demo-vendor-secret',
  user: 'demo',
} as const;

const HOST_HEADERS = { authorization: `Bearer ${DEMO.hostKey}`, 'content-type': 'application/json' };
const VENDOR_BASIC = `Basic ${Buffer.from(`${DEMO.vendor}:${DEMO.vendorSecret}`).toString('base64')}`;
const TOKEN_HEADERS = { authorization: VENDOR_BASIC, 'content-type': 'application/x-www-form-urlencoded' };
const CODE_BODY = JSON.stringify({ vendor: DEMO.vendor });
const BASE = `/t/${DEMO.tenant}`;

function expect(what: string, res: Reply, status: number): Reply {
  if (res.status !== status) throw new Error(`${what}: HTTP ${res.status} ${res.text.slice(0, 200)}`);
  return res;
}

/** `POST /t/demo/api/sessions {"user":"demo"}` → the session id. */
export async function createSession(p: Pool): Promise<string> {
  const body = JSON.stringify({ user: DEMO.user });
  const res = expect(
    'create session',
    await call(p, 'POST', `${BASE}/api/sessions`, { headers: HOST_HEADERS, body }),
    201,
  );
  return (JSON.parse(res.text) as { session_id: string }).session_id;
}

/** `POST /t/demo/api/sessions/{sid}/codes {"vendor":"demo-vendor"}` → the code. */
export async function issueCode(p: Pool, sid: string): Promise<string> {
  const res = await call(p, 'POST', `${BASE}/api/sessions/${sid}/codes`, { headers: HOST_HEADERS, body: CODE_BODY });
  return (JSON.parse(expect('issue code', res, 201).text) as { code: string }).code;
}

/** `POST /t/demo/oauth/token` (Basic demo-vendor); a 200 carries the access token. */
export function exchange(p: Pool, code: string): Promise<Reply> {
  const body = `grant_type=authorization_code&code=${encodeURIComponent(code)}`;
  return call(p, 'POST', `${BASE}/oauth/token`, { headers: TOKEN_HEADERS, body });
}

export function accessToken(res: Reply): string {
  return (JSON.parse(res.text) as { access_token: string }).access_token;
}

/** `GET /t/demo/api/v1/me` with the token. */
export function me(p: Pool, token: string): Promise<Reply> {
  return call(p, 'GET', `${BASE}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
}

/**
 * Pre-issues `n` codes through the host API (outside any timed window), `concurrency` in flight, over `sessions`.
 * Returns the codes in issue order and how long issuing took.
 */
export async function preIssueCodes(
  p: Pool,
  sessions: string[],
  n: number,
  concurrency = 64,
): Promise<{ codes: string[]; ms: number }> {
  const codes = new Array<string>(n);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      const sid = sessions[w % sessions.length];
      for (let i = next++; i < n; i = next++) codes[i] = await issueCode(p, sid);
    }),
  );
  return { codes, ms: performance.now() - started };
}
