/**
 * The data API's door and its data over HTTP, the same in embedded and distributed mode: access-token attacks
 * (RELIABILITY.md §1.2, TK-01 … TK-06) and authorization, tenant isolation and pagination (§1.3, DA-01, DA-02,
 * DA-04). Tokens an attacker makes are signed with keys of their own or are our tokens edited after signing;
 * introspection must call every one of them inactive. No answer may be a 5xx (`checked` in handover-fixture.ts).
 *
 * Real: every app, as built in dist/, as processes; in distributed mode NATS, Redis and PostgreSQL. Mocked: none.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHmac, createPublicKey, randomBytes, randomUUID, type JsonWebKey } from 'node:crypto';
import {
  attackerSigned,
  call,
  claimsOf,
  dataApi,
  introspect,
  openUserSession,
  raw,
  requestCode,
  revoke,
  seedHandoverFixtures,
  serverErrorChecks,
  startCanary,
  tokenFor,
  type Canary,
  type Response,
  type Seeded,
  type Vendor,
} from './handover-fixture.js';
import { e2eMode, expectError, sleep, startStack, type Stack } from './harness.js';
import { sessionHandle } from './session-handle.js';

const mode = e2eMode();
const PARTNER_KEY = 'demo-partner-key-0123456789abcdef0123456789abcdef';

const b64 = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const parts = (token: string) => {
  const [header, payload, signature] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as Record<string, unknown>,
    payload: JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>,
    rawHeader: header,
    rawPayload: payload,
    signature,
  };
};
/** A compact JWS with the header and payload given and an HMAC-SHA256 signature under `secret`. */
const hs256 = (header: Record<string, unknown>, payload: Record<string, unknown>, secret: string) => {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
};

function expectInvalidToken(res: Response, what = '') {
  expect({ what, status: res.status }).toEqual({ what, status: 401 });
  expectError(res, 401, 'invalid_token');
  expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
}

describe(`data API (${mode} mode)`, () => {
  let stack: Stack;
  let base: string;
  let f: Seeded;
  let a: Vendor;
  let sid: string;
  let userId: string;
  /** A live token of the demo user for vendor a (profile accounts). */
  let token: string;
  let accountIds: string[];

  beforeAll(async () => {
    stack = await startStack();
    f = await seedHandoverFixtures(stack);
    base = stack.baseUrl;
    a = f.vendors.a;
    console.log(`${mode} stack ready (seeded) in ${stack.readyAfterMs} ms at ${base}`);
    ({ sid, userId } = await openUserSession(base));
    token = await tokenFor(base, sid, a);
    const accounts = await dataApi(base, token, '/accounts');
    expect(accounts.status).toBe(200);
    accountIds = (accounts.body.accounts as Array<{ id: string }>).map((acc) => acc.id);
    expect(accountIds).toHaveLength(2);
  }, 120_000);

  afterAll(async () => {
    console.log(`data API (${mode}): ${serverErrorChecks()} responses checked, none 5xx`);
    await stack?.stop();
  }, 60_000);

  /** Refused at the data API (/me and /accounts) and inactive at introspection. */
  async function expectRefusedEverywhere(candidate: string, what: string) {
    expectInvalidToken(await dataApi(base, candidate, '/me'), `${what} at /me`);
    expectInvalidToken(await dataApi(base, candidate, '/accounts'), `${what} at /accounts`);
    const res = await introspect(base, a, candidate);
    expect({ what, status: res.status, text: res.text }).toEqual({ what, status: 200, text: '{"active":false}' });
  }

  it('accepts the genuine token (the control for every case below)', async () => {
    const me = await dataApi(base, token, '/me');
    expect(me.status).toBe(200);
    expect(me.headers.get('cache-control')).toBe('no-store');
    expect(me.body).toMatchObject({
      sub: userId,
      user: { login: 'demo' },
      client_id: a.clientId,
      session: { id: sessionHandle(sid) },
    });
    expect((me.body as { session: { id: string } }).session.id).not.toBe(sid);
    expect((await introspect(base, a, token)).body.active).toBe(true);
  });

  it('TK-01: alg none, HS256 keyed with the public JWK, and an attacker ES256 key are refused', async () => {
    const genuine = parts(token);
    const jwks = await call(`${base}/t/demo/jwks`);
    const jwk = (jwks.body.keys as Array<Record<string, unknown>>)[0];
    expect(jwk.kid).toBe(genuine.header.kid);
    const pem = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' })
      .export({ type: 'spki', format: 'pem' })
      .toString();
    const noneHeader = { ...genuine.header, alg: 'none' };
    const hsHeader = { ...genuine.header, alg: 'HS256' };
    const cases: Array<[string, string]> = [
      ['alg none, no signature', `${b64(noneHeader)}.${genuine.rawPayload}.`],
      ['alg none, old signature', `${b64(noneHeader)}.${genuine.rawPayload}.${genuine.signature}`],
      ['alg NONE', `${b64({ ...genuine.header, alg: 'NONE' })}.${genuine.rawPayload}.`],
      ['HS256 keyed with the JWK JSON', hs256(hsHeader, genuine.payload, JSON.stringify(jwk))],
      ['HS256 keyed with the PEM', hs256(hsHeader, genuine.payload, pem)],
      ['HS256 keyed with x', hs256(hsHeader, genuine.payload, String(jwk.x))],
      ['attacker ES256 with our kid', await attackerSigned(genuine.payload, { kid: genuine.header.kid })],
      ['attacker ES256 with its own kid', await attackerSigned(genuine.payload, { kid: 'attacker' })],
      ['attacker ES256 without kid', await attackerSigned(genuine.payload)],
    ];
    for (const [what, forged] of cases) await expectRefusedEverywhere(forged, what);
  });

  it('TK-02: kid injection and jku / x5u / jwk headers are refused, and nothing fetches the attacker URLs', async () => {
    const canary: Canary = await startCanary();
    try {
      const payload = parts(token).payload;
      const cases: Array<[string, Record<string, unknown>]> = [
        ['kid path traversal', { kid: '../../etc/passwd' }],
        ['kid SQL', { kid: "' OR '1'='1" }],
        ['kid NUL', { kid: 'a\u0000b' }],
        ['kid 10 KB', { kid: 'k'.repeat(10_000) }],
        ['unknown kid', { kid: randomUUID() }],
        ['kid object', { kid: { $ne: null } }],
        ['jku', { kid: 'attacker', jku: `${canary.url}/jwks.json` }],
        ['x5u', { kid: 'attacker', x5u: `${canary.url}/cert.pem` }],
        ['jku with our kid', { kid: parts(token).header.kid, jku: `${canary.url}/jwks2.json` }],
        ['x5c garbage', { x5c: ['MIIB'], x5u: `${canary.url}/x5c` }],
      ];
      for (const [what, header] of cases) {
        const forged = await attackerSigned(payload, header);
        const me = await dataApi(base, forged, '/me');
        if (what === 'kid 10 KB' && me.status === 431) {
          // A header that large may be refused before it is even read; either way it is no token.
          expect(me.json).toEqual({ error: 'request_header_fields_too_large', error_description: expect.any(String) });
        } else expectInvalidToken(me, what);
        expect((await introspect(base, a, forged)).json).toEqual({ active: false });
        expect((await revoke(base, a, forged)).status).toBe(200);
      }
      // A key embedded in the header is never used either.
      const { generateKeyPair, exportJWK, SignJWT } = await import('jose');
      const pair = await generateKeyPair('ES256', { extractable: true });
      const embedded = await new SignJWT(payload)
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', jwk: await exportJWK(pair.publicKey) })
        .sign(pair.privateKey);
      await expectRefusedEverywhere(embedded, 'embedded jwk');
      await sleep(300);
      expect(canary.requests).toEqual([]);
      // The flood of unknown kids did not break verification of genuine tokens.
      expect((await dataApi(base, token, '/me')).status).toBe(200);
    } finally {
      await canary.close();
    }
  });

  it('TK-03: a partner-style JWT, a logout token, an ID token and a typ JWT copy of our token are refused', async () => {
    const genuine = parts(token);
    const now = Math.floor(Date.now() / 1000);
    const issuer = `${base}/t/demo`;
    const cases: Array<[string, string]> = [
      [
        'partner HS256 SSO JWT',
        hs256(
          { alg: 'HS256', typ: 'JWT' },
          { iss: 'demo-partner', sub: 'demo', aud: issuer, iat: now, exp: now + 300, jti: randomUUID() },
          PARTNER_KEY,
        ),
      ],
      [
        'back-channel logout token',
        await attackerSigned(
          {
            iss: issuer,
            aud: a.clientId,
            iat: now,
            jti: randomUUID(),
            sid,
            events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
          },
          { typ: 'logout+jwt', kid: genuine.header.kid },
        ),
      ],
      [
        'ID token',
        await attackerSigned(
          { iss: 'https://idp.example', aud: a.clientId, sub: userId, nonce: 'n', iat: now, exp: now + 300 },
          { typ: 'JWT' },
        ),
      ],
      [
        'our claims re-signed with typ JWT',
        await attackerSigned(genuine.payload, { typ: 'JWT', kid: genuine.header.kid }),
      ],
      [
        'our token, header typ edited to JWT',
        `${b64({ ...genuine.header, typ: 'JWT' })}.${genuine.rawPayload}.${genuine.signature}`,
      ],
      [
        'our token, typ removed',
        `${b64({ alg: genuine.header.alg, kid: genuine.header.kid })}.${genuine.rawPayload}.${genuine.signature}`,
      ],
    ];
    for (const [what, forged] of cases) await expectRefusedEverywhere(forged, what);
  });

  it("TK-04: a token is bound to its tenant's issuer and audience: another tenant's data API refuses it", async () => {
    // Tenant demo's token at the other tenant, and the other tenant's token (of its own demo-vendor) at demo.
    expectInvalidToken(await dataApi(base, token, '/me', { tenant: f.other.slug }), 'demo token at other tenant');
    expectInvalidToken(await dataApi(base, token, '/accounts', { tenant: f.other.slug }), 'demo token at other');
    const other = await openUserSession(base, f.other);
    const otherToken = await tokenFor(base, other.sid, f.other.vendor, {}, f.other);
    expect((await dataApi(base, otherToken, '/me', { tenant: f.other.slug })).status).toBe(200);
    expectInvalidToken(await dataApi(base, otherToken, '/me'), 'other tenant token at demo');
    expectInvalidToken(await dataApi(base, otherToken, '/accounts'), 'other tenant token at demo');
    expect((await introspect(base, f.demo.vendor, otherToken)).json).toEqual({ active: false });
    expect((await introspect(base, f.other.vendor, token, f.other.slug)).json).toEqual({ active: false });
    // A tenant that does not exist is 404, whatever the token.
    expectError(await dataApi(base, token, '/me', { tenant: 'no-such-tenant' }), 404, 'not_found');
    // Another audience or issuer (necessarily signed by someone else's key).
    const payload = parts(token).payload;
    for (const claims of [
      { ...payload, aud: 'https://elsewhere.example/api' },
      { ...payload, aud: `${base}/t/demo` },
      { ...payload, iss: `${base}/t/${f.other.slug}`, aud: `${base}/t/${f.other.slug}/api/v1` },
    ]) {
      await expectRefusedEverywhere(await attackerSigned(claims, { kid: parts(token).header.kid }), 'aud/iss');
    }
  });

  it('TK-05: edited payloads (one byte, removed claims) with the old signature, and bad time claims are refused', async () => {
    const genuine = parts(token);
    const now = Math.floor(Date.now() / 1000);
    const withPayload = (payload: Record<string, unknown>) =>
      `${genuine.rawHeader}.${b64(payload)}.${genuine.signature}`;
    const flipped = Buffer.from(genuine.rawPayload, 'base64url');
    flipped[flipped.length - 5] ^= 0x01;
    const cases: Array<[string, string]> = [
      ['scope edited', withPayload({ ...genuine.payload, scope: 'profile accounts vendor_data' })],
      ['sub edited', withPayload({ ...genuine.payload, sub: randomUUID() })],
      ['one byte flipped', `${genuine.rawHeader}.${flipped.toString('base64url')}.${genuine.signature}`],
      ['signature truncated', `${genuine.rawHeader}.${genuine.rawPayload}.${genuine.signature.slice(0, -2)}`],
      ['signature empty', `${genuine.rawHeader}.${genuine.rawPayload}.`],
      ['exp extended', withPayload({ ...genuine.payload, exp: now + 86_400 })],
      ...(['exp', 'iat', 'jti', 'sid', 'sub'] as const).map((claim): [string, string] => {
        const { [claim]: _removed, ...rest } = genuine.payload;
        return [`without ${claim}`, withPayload(rest)];
      }),
      ['expired (attacker)', await attackerSigned({ ...genuine.payload, iat: now - 1900, exp: now - 100 })],
      ['iat in the future (attacker)', await attackerSigned({ ...genuine.payload, iat: now + 600, exp: now + 2400 })],
      ['nbf in the future (attacker)', await attackerSigned({ ...genuine.payload, nbf: now + 600 })],
      ['two dots', 'a.b'],
      ['not base64', '!!!.???.***'],
    ];
    for (const [what, forged] of cases) {
      if (what === 'not base64') {
        // Not a b64token (RFC 6750 §2.1): no token at all, the same 401.
        expectInvalidToken(await dataApi(base, forged, '/me'), what);
        continue;
      }
      await expectRefusedEverywhere(forged, what);
    }
    // After all that, the genuine token is untouched.
    expect((await dataApi(base, token, '/me')).status).toBe(200);
  });

  it('TK-06: a profile-only token is 403 insufficient_scope at /accounts; a token in the query or body is ignored', async () => {
    const profileToken = await tokenFor(base, sid, a, { scope: 'profile' });
    expect(claimsOf(profileToken).scope).toBe('profile');
    expect((await dataApi(base, profileToken, '/me')).status).toBe(200);
    for (const path of ['/accounts', `/accounts/${accountIds[0]}/transactions`]) {
      const res = await dataApi(base, profileToken, path);
      expectError(res, 403, 'insufficient_scope');
      expect(res.headers.get('www-authenticate')).toBe('Bearer error="insufficient_scope", scope="accounts"');
    }
    const accountsToken = await tokenFor(base, sid, a, { scope: 'accounts' });
    expectError(await dataApi(base, accountsToken, '/me'), 403, 'insufficient_scope');
    expect((await dataApi(base, accountsToken, '/accounts')).status).toBe(200);
    // A code request may narrow the vendor's scopes, never widen them.
    expectError(
      await requestCode(base, sid, { vendor: f.vendors.profileOnly.clientId, scope: 'profile accounts' }),
      400,
      'invalid_scope',
    );

    // Transport: only the Authorization header counts (RFC 6750 §2.3, RFC 9700 §4.3.2).
    const query = await call(`${base}/t/demo/api/v1/me?access_token=${encodeURIComponent(token)}`);
    expectInvalidToken(query, 'query');
    const inBody = await raw(base, {
      method: 'GET',
      path: '/t/demo/api/v1/me',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `access_token=${encodeURIComponent(token)}`,
    });
    expect(inBody.kind === 'response' && inBody.status).toBe(401);
    const other = await call(`${base}/t/demo/api/v1/me`, {
      headers: { 'x-access-token': token, cookie: `access_token=${token}` },
    });
    expectInvalidToken(other, 'other headers');
    const basicScheme = await call(`${base}/t/demo/api/v1/me`, { headers: { authorization: `Basic ${token}` } });
    expectInvalidToken(basicScheme, 'Basic scheme');
  });

  it("DA-01: another user's or tenant's account is 404 with the same body as a missing one; identity overrides are ignored", async () => {
    const y = await openUserSession(base, f.demo, { user: f.otherUser.login });
    const yToken = await tokenFor(base, y.sid, a);
    const yAccounts = await dataApi(base, yToken, '/accounts');
    expect((yAccounts.body.accounts as Array<{ id: string }>).map((acc) => acc.id)).toEqual([f.otherUser.accountId]);

    const missing = await dataApi(base, token, `/accounts/${randomUUID()}/transactions`);
    expectError(missing, 404, 'not_found');
    for (const id of [
      f.otherUser.accountId,
      f.otherUser.accountId.toUpperCase(),
      f.other.accountId,
      'not-a-uuid',
      '..%2F..%2Fetc',
    ]) {
      const res = await dataApi(base, token, `/accounts/${id}/transactions`);
      expect({ id, status: res.status, text: res.text }).toEqual({ id, status: 404, text: missing.text });
    }
    // Y cannot read X's accounts either.
    const reverse = await dataApi(base, yToken, `/accounts/${accountIds[0]}/transactions`);
    expect({ status: reverse.status, text: reverse.text }).toEqual({ status: 404, text: missing.text });

    // Identity comes from the token alone.
    const mine = await dataApi(base, token, '/accounts');
    for (const [path, headers] of [
      [`/accounts?user_id=${y.userId}`, {}],
      ['/accounts', { 'x-user-id': y.userId }],
      [`/accounts?sub=${y.userId}&tenant=${f.other.slug}`, { 'x-tenant': f.other.slug, 'x-forwarded-user': y.userId }],
    ] as const) {
      const res = await dataApi(base, token, path, { headers });
      expect({ path, body: res.body }).toEqual({ path, body: mine.body });
    }
    const me = await dataApi(base, token, `/me?user_id=${y.userId}&sub=${y.userId}`, {
      headers: { 'x-user-id': y.userId },
    });
    expect(me.body.sub).toBe(userId);
    expect(JSON.stringify(mine.body)).not.toContain('secret-of-');
  });

  it("DA-02: another vendor's /me shows its own client_id and never another vendor's values (read side)", async () => {
    const bToken = await tokenFor(base, sid, f.vendors.b);
    const bMe = await dataApi(base, bToken, '/me');
    expect(bMe.status).toBe(200);
    expect(bMe.body).toMatchObject({ client_id: f.vendors.b.clientId, vendor_data: {} });
    expect((await dataApi(base, token, '/me')).body).toMatchObject({ client_id: a.clientId, vendor_data: {} });
    // Write-back (PUT /me/vendor-data) is the vendor-data issue's: today there is no such route, and nothing 5xx.
    for (const body of [
      { 'Session.UserSSOIdentifier': 'x' },
      { sub: 'x', tenant: 'y', vendor: 'z' },
      { 'bad name!': 1 },
    ]) {
      const res = await call(`${base}/t/demo/api/v1/me/vendor-data`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${bToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(res.status).toBeGreaterThanOrEqual(400);
    }
  });

  it('DA-04: limits are clamped or refused, cursors are bound to their account and user, and forged ones are 400', async () => {
    const page = (account: string, query: string, bearer = token) =>
      dataApi(base, bearer, `/accounts/${account}/transactions${query}`);
    const [first, second] = accountIds;

    expect(((await page(first, '?limit=-1')).body.transactions as unknown[]).length).toBe(1);
    expect(((await page(first, '?limit=0')).body.transactions as unknown[]).length).toBe(1);
    const huge = await page(first, '?limit=1000000');
    expect(huge.status).toBe(200);
    expect((huge.body.transactions as unknown[]).length).toBeLessThanOrEqual(100);
    expect((huge.body.transactions as unknown[]).length).toBe(24);
    expect(huge.body.next_cursor).toBeNull();
    for (const query of ['?limit=abc', '?limit=1.5', '?limit=1e3', '?limit=1&limit=2', '?limit=99999999999999999999']) {
      expectError(await page(first, query), 400, 'invalid_request');
    }

    // Walk every page of the first account: 24 distinct transactions, newest first, none of another user's.
    const seen: Array<{ id: string; booked_at: string; description: string }> = [];
    let cursor: string | null = null;
    do {
      const res: Response = await page(first, `?limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.status).toBe(200);
      seen.push(...(res.body.transactions as typeof seen));
      cursor = res.body.next_cursor as string | null;
    } while (cursor);
    expect(new Set(seen.map((t) => t.id)).size).toBe(24);
    expect(seen.map((t) => t.booked_at)).toEqual([...seen.map((t) => t.booked_at)].sort().reverse());
    expect(seen.some((t) => t.description.startsWith('secret-of-'))).toBe(false);

    const cursorOfFirst = (await page(first, '?limit=2')).body.next_cursor as string;
    expect(typeof cursorOfFirst).toBe('string');
    const y = await openUserSession(base, f.demo, { user: f.otherUser.login });
    const yToken = await tokenFor(base, y.sid, a);
    const yCursor = (await page(f.otherUser.accountId, '?limit=2', yToken)).body.next_cursor as string;
    expect(typeof yCursor).toBe('string');
    for (const [what, account, bad] of [
      ["another account's cursor", second, cursorOfFirst],
      ["another user's cursor on my account", first, yCursor],
      ["another user's cursor on their account", f.otherUser.accountId, yCursor],
      ['truncated', first, cursorOfFirst.slice(0, -3)],
      ['extended', first, `${cursorOfFirst}A`],
      ['forged', first, randomBytes(40).toString('base64url')],
      ['10 KB', first, 'A'.repeat(10_000)],
      ['odd characters', first, '../../\u202e😀'],
    ] as const) {
      const res = await page(account, `?cursor=${encodeURIComponent(bad)}`);
      // A 10 KB query string may be refused as such (414) before the cursor is read.
      const expected = what === '10 KB' && res.status === 414 ? 414 : 400;
      expect({ what, status: res.status, error: res.body.error }).toEqual({
        what,
        status: expected,
        error: expected === 400 ? 'invalid_request' : 'uri_too_long',
      });
      expect(JSON.stringify(res.body)).not.toContain('secret-of-');
    }
  });
});
