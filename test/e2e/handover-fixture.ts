/**
 * Shared helpers of the plugin-handover e2e files (plugin-handover, token-endpoint, data-api): the extra vendors,
 * users and tenant the demo seed lacks (seeded straight into the stack's database, see `seedDatabase`), and thin
 * HTTP helpers for the host API, the OAuth endpoints and the data API.
 *
 * Every response goes through `checked`, which fails the test on any 5xx (SPEC: "No input ever yields a 500"),
 * naming the request; `serverErrorChecks()` counts the responses so checked.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { decodeJwt, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import * as oauth from 'oauth4webapi';
import { decodeSecretKey, SecretHasher } from '#security';
import {
  http,
  rawRequest,
  seedDatabase,
  sleep,
  stackSecretKey,
  type HttpResult,
  type RawRequest,
  type RawResult,
  type Stack,
} from './harness.js';

export type Response = HttpResult & { body: Record<string, unknown> };

export const DEMO = {
  tenant: 'demo',
  hostKey: 'demo-host-key',
  user: 'demo',
  password: 'demo',
  vendor: 'demo-vendor',
  vendorSecret: 'demo-vendor-secret',
} as const;

const FORM = 'application/x-www-form-urlencoded';

let checkedResponses = 0;

/** How many responses the helpers of this file have checked for a 5xx so far. */
export function serverErrorChecks(): number {
  return checkedResponses;
}

/** Fails (naming the request) when an answer is a 5xx; returns it otherwise. */
export function checked<T extends { status: number; text?: string }>(what: string, res: T): T {
  checkedResponses++;
  if (res.status >= 500)
    throw new Error(`${what} answered ${res.status} (no input may yield a 5xx): ${res.text ?? ''}`);
  return res;
}

/** `http()` of the harness, checked for a 5xx. */
export async function call(url: string, init: RequestInit & { timeoutMs?: number } = {}): Promise<Response> {
  const res = await http(url, init);
  return checked(`${init.method ?? 'GET'} ${url}`, res);
}

/** `rawRequest()` of the harness (any method, any body), checked for a 5xx when it got an answer. */
export async function raw(base: string, req: RawRequest): Promise<RawResult> {
  const res = await rawRequest(base, req);
  if (res.kind === 'response') checked(`${req.method} ${req.path}`, res);
  return res;
}

/** A `fetch` for oauth4webapi's `customFetch` that checks every answer for a 5xx. */
export const checkedFetch: typeof fetch = async (input, init) => {
  const res = await fetch(input, init);
  checked(`${init?.method ?? 'GET'} ${String(input instanceof Request ? input.url : input)}`, {
    status: res.status,
    text: res.status >= 500 ? await res.clone().text() : '',
  });
  return res;
};

/** oauth4webapi options for the stack: http on loopback, and every answer checked for a 5xx. */
export function oauthOptions(): { [oauth.allowInsecureRequests]: true; [oauth.customFetch]: typeof fetch } {
  return { [oauth.allowInsecureRequests]: true, [oauth.customFetch]: checkedFetch };
}

// ---------------------------------------------------------------------------------------------------------------
// Seeded fixtures

export interface Vendor {
  clientId: string;
  secret: string;
  /** Its registered plugin URL: a code issued without `redirect_uri` is bound to it. */
  pluginUrl: string;
  /** A registered redirect URI other than the plugin URL. */
  redirectUri: string;
}

export interface Tenant {
  slug: string;
  hostKey: string;
  /** A user with two accounts (the demo user in tenant demo). */
  user: string;
}

export interface Seeded {
  demo: Tenant & { vendor: Vendor };
  /** Vendors of tenant demo besides the demo vendor, each for one concern so failure counts never mix. */
  vendors: {
    /** The main vendor of the token-endpoint cases (scopes profile, accounts). */
    a: Vendor;
    /** Another vendor of tenant demo (cross-vendor cases). */
    b: Vendor;
    /** PKCE required. */
    pkce: Vendor;
    /** For the per-client throttle (CX-03): it ends up throttled for a minute. */
    throttled: Vendor;
    /** For the concurrent exchanges of CR-01. */
    race: Vendor;
    /** Registered for the `profile` scope only. */
    profileOnly: Vendor;
  };
  /** Another user of tenant demo, with an account of their own (BOLA cases). */
  otherUser: { login: string; accountId: string };
  /** Another tenant with a host key, a vendor called `demo-vendor` (another secret) and a user `demo`. */
  other: Tenant & { vendor: Vendor; accountId: string };
}

/**
 * Seeds what the plugin-handover tests need beyond the demo seed. Names carry a random suffix: in distributed
 * mode every stack of the run shares one database (and the demo tenant, seeded by the first stack).
 */
export async function seedHandoverFixtures(stack: Stack): Promise<Seeded> {
  const suffix = randomBytes(4).toString('hex');
  const hasher = new SecretHasher(decodeSecretKey(stackSecretKey(stack)));
  const base = stack.baseUrl;
  const vendor = (name: string): Vendor => ({
    clientId: `e2e-${name}-${suffix}`,
    secret: `e2e-${name}-secret-${randomBytes(16).toString('base64url')}`,
    pluginUrl: `https://${name}.vendor.example/plugin`,
    redirectUri: `https://${name}.vendor.example/callback`,
  });
  const vendors = {
    a: vendor('a'),
    b: vendor('b'),
    pkce: vendor('pkce'),
    throttled: vendor('throttled'),
    race: vendor('race'),
    profileOnly: vendor('profile'),
  };
  const other = {
    slug: `e2e-other-${suffix}`,
    hostKey: `e2e-host-key-${randomBytes(16).toString('base64url')}`,
    user: DEMO.user,
    vendor: {
      clientId: DEMO.vendor,
      secret: `other-secret-${randomBytes(16).toString('base64url')}`,
      pluginUrl: `${base}/demo/plugin`,
      redirectUri: `${base}/demo/plugin`,
    },
  };
  const otherLogin = `e2e-yara-${suffix}`;

  return seedDatabase(stack, async (db) => {
    const insertVendor = async (tenantId: string, v: Vendor, scopes: string, pkce = false) => {
      await db.query(
        `INSERT INTO user_data.vendors
           (tenant_id, client_id, name, secret_hash, plugin_urls, allowed_origins, redirect_uris, config, scopes,
            pkce_required, launch_mode)
         VALUES ($1, $2, $3, $4, $5::text::jsonb, $6::text::jsonb, $7::text::jsonb, $8::text::jsonb,
                 string_to_array($9::text, ' '), $10, 'redirect')`,
        [
          tenantId,
          v.clientId,
          `E2E ${v.clientId}`,
          hasher.hash(v.secret),
          JSON.stringify([v.pluginUrl]),
          JSON.stringify([new URL(v.pluginUrl).origin]),
          JSON.stringify([...new Set([v.pluginUrl, v.redirectUri])]),
          JSON.stringify({ e2e: true }),
          scopes,
          pkce,
        ],
      );
    };
    const insertUserWithAccount = async (tenantId: string, login: string, iban: string) => {
      const [user] = await db.query<{ id: string }>(
        `INSERT INTO user_data.users (tenant_id, login, email, full_name) VALUES ($1, $2, $3, $4) RETURNING id`,
        [tenantId, login, `${login}@example.com`, `E2E ${login}`],
      );
      const [account] = await db.query<{ id: string }>(
        `INSERT INTO user_data.accounts (tenant_id, user_id, name, iban, currency, balance_minor)
         VALUES ($1, $2, 'Private account', $3, 'EUR', 99999) RETURNING id`,
        [tenantId, user.id, iban],
      );
      for (let i = 0; i < 5; i++) {
        await db.query(
          `INSERT INTO user_data.transactions (tenant_id, account_id, booked_at, amount_minor, currency, description)
           VALUES ($1, $2, $3::text::timestamptz, $4, 'EUR', $5)`,
          [tenantId, account.id, new Date(Date.UTC(2026, 0, 1 + i)).toISOString(), -1000 - i, `secret-of-${login}`],
        );
      }
      return account.id;
    };

    const [demo] = await db.query<{ id: string }>(`SELECT id FROM user_data.tenants WHERE slug = $1`, [DEMO.tenant]);
    if (!demo) throw new Error('the demo tenant is not seeded (HANDOVER_DEMO=1?)');
    const [demoVendor] = await db.query<{ plugin_urls: string[] }>(
      `SELECT plugin_urls FROM user_data.vendors WHERE tenant_id = $1 AND client_id = $2`,
      [demo.id, DEMO.vendor],
    );
    const scopes = {
      a: 'profile accounts',
      b: 'profile accounts',
      pkce: 'profile accounts',
      throttled: 'profile',
      race: 'profile accounts',
      profileOnly: 'profile',
    } satisfies Record<keyof typeof vendors, string>;
    for (const [name, v] of Object.entries(vendors) as Array<[keyof typeof vendors, Vendor]>) {
      await insertVendor(demo.id, v, scopes[name], name === 'pkce');
    }
    const otherAccountOfDemo = await insertUserWithAccount(demo.id, otherLogin, 'DE02100100100006820101');

    const [tenant] = await db.query<{ id: string }>(
      `INSERT INTO user_data.tenants (slug, name) VALUES ($1, 'E2E Other Bank') RETURNING id`,
      [other.slug],
    );
    await db.query(
      `INSERT INTO user_data.api_keys (tenant_id, kind, key_hash, label) VALUES ($1, 'host', $2, 'e2e host')`,
      [tenant.id, hasher.hash(other.hostKey)],
    );
    await insertVendor(tenant.id, other.vendor, 'profile accounts');
    const otherTenantAccount = await insertUserWithAccount(tenant.id, other.user, 'DE02120300000000202051');

    const demoPluginUrl = demoVendor?.plugin_urls?.[0];
    if (typeof demoPluginUrl !== 'string') throw new Error('the demo vendor has no plugin URL');
    return {
      demo: {
        slug: DEMO.tenant,
        hostKey: DEMO.hostKey,
        user: DEMO.user,
        vendor: {
          clientId: DEMO.vendor,
          secret: DEMO.vendorSecret,
          pluginUrl: demoPluginUrl,
          redirectUri: demoPluginUrl,
        },
      },
      vendors,
      otherUser: { login: otherLogin, accountId: otherAccountOfDemo },
      other: { ...other, accountId: otherTenantAccount },
    };
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Host API

export function hostHeaders(hostKey: string = DEMO.hostKey): Record<string, string> {
  return { authorization: `Bearer ${hostKey}`, 'content-type': 'application/json' };
}

/** `POST /t/{t}/api/sessions` → the session id (fails the test unless 201). */
export async function openSession(
  base: string,
  tenant: Pick<Tenant, 'slug' | 'hostKey'> = { slug: DEMO.tenant, hostKey: DEMO.hostKey },
  body: Record<string, unknown> = { user: DEMO.user },
): Promise<string> {
  return (await openUserSession(base, tenant, body)).sid;
}

/** `POST /t/{t}/api/sessions` → the session id and the user's id (fails the test unless 201). */
export async function openUserSession(
  base: string,
  tenant: Pick<Tenant, 'slug' | 'hostKey'> = { slug: DEMO.tenant, hostKey: DEMO.hostKey },
  body: Record<string, unknown> = { user: DEMO.user },
): Promise<{ sid: string; userId: string }> {
  const res = await call(`${base}/t/${tenant.slug}/api/sessions`, {
    method: 'POST',
    headers: hostHeaders(tenant.hostKey),
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`open session: HTTP ${res.status} ${res.text}`);
  return { sid: res.body.session_id as string, userId: (res.body.user as { id: string }).id };
}

export function endSession(
  base: string,
  sid: string,
  tenant: Pick<Tenant, 'slug' | 'hostKey'> = { slug: DEMO.tenant, hostKey: DEMO.hostKey },
): Promise<Response> {
  return call(`${base}/t/${tenant.slug}/api/sessions/${encodeURIComponent(sid)}`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${tenant.hostKey}` },
  });
}

/** `POST /t/{t}/api/sessions/{sid}/codes`, answered as is. */
export function requestCode(
  base: string,
  sid: string,
  body: Record<string, unknown>,
  tenant: Pick<Tenant, 'slug' | 'hostKey'> = { slug: DEMO.tenant, hostKey: DEMO.hostKey },
): Promise<Response> {
  return call(`${base}/t/${tenant.slug}/api/sessions/${encodeURIComponent(sid)}/codes`, {
    method: 'POST',
    headers: hostHeaders(tenant.hostKey),
    body: JSON.stringify(body),
  });
}

/** A code for `vendor` (fails the test unless 201). */
export async function issueCode(
  base: string,
  sid: string,
  vendor: Pick<Vendor, 'clientId'>,
  extra: Record<string, unknown> = {},
  tenant?: Pick<Tenant, 'slug' | 'hostKey'>,
): Promise<string> {
  const res = await requestCode(base, sid, { vendor: vendor.clientId, ...extra }, tenant);
  if (res.status !== 201 || typeof res.body.code !== 'string')
    throw new Error(`issue code: HTTP ${res.status} ${res.text}`);
  return res.body.code;
}

// ---------------------------------------------------------------------------------------------------------------
// OAuth endpoints

export type ClientAuth = 'basic' | 'post';

export function basicAuth(clientId: string, secret: string): string {
  // RFC 6749 §2.3.1: form-urlencode id and secret before base64.
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(clientId)}:${enc(secret)}`).toString('base64')}`;
}

/** A form POST to `/t/{t}/oauth/{endpoint}` with the vendor's credentials (basic by default). */
export function oauthPost(
  base: string,
  endpoint: 'token' | 'introspect' | 'revoke',
  params: Record<string, string> | URLSearchParams,
  vendor?: Pick<Vendor, 'clientId' | 'secret'>,
  options: { auth?: ClientAuth; tenant?: string } = {},
): Promise<Response> {
  const form = new URLSearchParams(params);
  const headers: Record<string, string> = { 'content-type': FORM };
  if (vendor && (options.auth ?? 'basic') === 'basic')
    headers.authorization = basicAuth(vendor.clientId, vendor.secret);
  if (vendor && options.auth === 'post') {
    form.set('client_id', vendor.clientId);
    form.set('client_secret', vendor.secret);
  }
  return call(`${base}/t/${options.tenant ?? DEMO.tenant}/oauth/${endpoint}`, {
    method: 'POST',
    headers,
    body: form.toString(),
  });
}

export function exchange(
  base: string,
  vendor: Pick<Vendor, 'clientId' | 'secret'>,
  code: string,
  extra: Record<string, string> = {},
  options: { auth?: ClientAuth; tenant?: string } = {},
): Promise<Response> {
  return oauthPost(base, 'token', { grant_type: 'authorization_code', code, ...extra }, vendor, options);
}

/** Session → code → token for `vendor` (fails the test unless each step succeeds). */
export async function tokenFor(
  base: string,
  sid: string,
  vendor: Pick<Vendor, 'clientId' | 'secret'>,
  codeExtra: Record<string, unknown> = {},
  tenant?: Pick<Tenant, 'slug' | 'hostKey'>,
): Promise<string> {
  const code = await issueCode(base, sid, vendor, codeExtra, tenant);
  const res = await exchange(base, vendor, code, {}, { tenant: tenant?.slug });
  if (res.status !== 200) throw new Error(`exchange: HTTP ${res.status} ${res.text}`);
  return res.body.access_token as string;
}

export async function introspect(
  base: string,
  vendor: Pick<Vendor, 'clientId' | 'secret'>,
  token: string,
  tenant?: string,
): Promise<Response> {
  return oauthPost(base, 'introspect', { token }, vendor, { tenant });
}

export function revoke(
  base: string,
  vendor: Pick<Vendor, 'clientId' | 'secret'>,
  token: string,
  tenant?: string,
): Promise<Response> {
  return oauthPost(base, 'revoke', { token, token_type_hint: 'access_token' }, vendor, { tenant });
}

// ---------------------------------------------------------------------------------------------------------------
// Data API

/** `GET /t/{t}/api/v1{path}` with the token as Bearer. */
export function dataApi(
  base: string,
  token: string | undefined,
  path: string,
  options: { tenant?: string; headers?: Record<string, string> } = {},
): Promise<Response> {
  return call(`${base}/t/${options.tenant ?? DEMO.tenant}/api/v1${path}`, {
    headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...options.headers },
  });
}

/**
 * Polls `refused()` until it is true; returns 0 when the first answer was already refused, else the
 * milliseconds from `since` to the first answer that was (Infinity when `timeoutMs` passed first).
 */
export async function msUntil(refused: () => Promise<boolean>, since: number, timeoutMs = 3000): Promise<number> {
  const deadline = since + timeoutMs;
  if (await refused()) return 0;
  for (;;) {
    await sleep(10);
    if (await refused()) return Date.now() - since;
    if (Date.now() > deadline) return Infinity;
  }
}

/** Runs `tasks` with at most `limit` at a time, in order of start; returns their results in order. */
export async function inBatches<T>(count: number, limit: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array<T>(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, count) }, async () => {
      while (next < count) {
        const i = next++;
        results[i] = await task(i);
      }
    }),
  );
  return results;
}

// ---------------------------------------------------------------------------------------------------------------
// A loopback listener that counts every request (the canary of jku / x5u headers)

export interface Canary {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

export async function startCanary(): Promise<Canary> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys":[]}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Tokens an attacker can make: signed with keys of their own

let attackerKey: Promise<CryptoKey> | undefined;

/** An ES256 JWT signed with an attacker's key (generated once per file), with the header and claims given. */
export async function attackerSigned(
  payload: Record<string, unknown>,
  header: Record<string, unknown> = {},
): Promise<string> {
  attackerKey ??= generateKeyPair('ES256').then((pair) => pair.privateKey);
  return new SignJWT(payload).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', ...header }).sign(await attackerKey);
}

/** The claims of a token (no verification). */
export function claimsOf(token: string): Record<string, unknown> {
  return decodeJwt(token) as Record<string, unknown>;
}
