/**
 * The plugin handover end to end (SPEC §1), in embedded and distributed mode: a stock OAuth client
 * (oauth4webapi) configured only from the discovery document acts as the vendor backend: session → code →
 * exchange → /me → accounts → transactions → host logout → the token is refused and introspects inactive. Then
 * the logout and revocation races of RELIABILITY.md §1.10 (CR-02, and in distributed mode CR-03 across two
 * gateway processes) and DA-03: a logout kills the session's tokens on every gateway replica within 1 s.
 *
 * Real: every app, as built in dist/, as processes; distributed mode runs TWO gateway replicas against NATS,
 * Redis and PostgreSQL. Mocked: none. No answer may be a 5xx (`checked` in handover-fixture.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oauth from 'oauth4webapi';
import {
  call,
  claimsOf,
  dataApi,
  DEMO,
  endSession,
  exchange,
  inBatches,
  introspect,
  issueCode,
  msUntil,
  oauthOptions,
  openSession,
  revoke,
  seedHandoverFixtures,
  serverErrorChecks,
  tokenFor,
  type Seeded,
  type Vendor,
} from './handover-fixture.js';
import { e2eMode, expectError, onlyIn, sleep, startStack, type Stack } from './harness.js';
import { sessionHandle } from './session-handle.js';

const mode = e2eMode();
const REPLICAS = mode === 'distributed' ? 2 : 1;
const PROPAGATION_BOUND_MS = 1000;
const CR03_TRIALS = 100;
const LOGOUT_TRIALS = 30;

/** Milliseconds as a short distribution summary for the log. */
function summary(ms: number[]): string {
  const sorted = [...ms].sort((x, y) => x - y);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return `n=${sorted.length} refused-at-first-try=${ms.filter((m) => m === 0).length} p50=${at(0.5)} ms p99=${at(0.99)} ms max=${sorted[sorted.length - 1]} ms`;
}

describe(`plugin handover (${mode} mode, ${REPLICAS} gateway replica${REPLICAS > 1 ? 's' : ''})`, () => {
  let stack: Stack;
  let base: string;
  let bases: string[];
  let f: Seeded;
  let demoVendor: Vendor;

  beforeAll(async () => {
    stack = await startStack({ gatewayReplicas: REPLICAS });
    f = await seedHandoverFixtures(stack);
    base = stack.baseUrl;
    bases = stack.baseUrls;
    demoVendor = f.demo.vendor;
    console.log(`${mode} stack ready (seeded) in ${stack.readyAfterMs} ms at ${bases.join(', ')}`);
  }, 120_000);

  afterAll(async () => {
    console.log(`plugin handover (${mode}): ${serverErrorChecks()} responses checked, none 5xx`);
    await stack?.stop();
  }, 60_000);

  /**
   * Milliseconds after `since` until the token is refused (401) at /me and /accounts on every replica; the
   * /accounts check hears of a logout or revocation by event only, /me also reads the session.
   */
  async function msUntilRefusedEverywhere(token: string, since: number): Promise<number> {
    const each = await Promise.all(
      bases.flatMap((b) =>
        ['/me', '/accounts'].map((path) =>
          msUntil(async () => (await dataApi(b, token, path)).status === 401, since, 3000),
        ),
      ),
    );
    return Math.max(...each);
  }

  /** 0 when the first use after `since` was already refused, else how long until it was (Infinity: never). */
  async function firstUseRefusedAfter(b: string, token: string, since: number): Promise<number> {
    const first = await dataApi(b, token, '/accounts');
    if (first.status === 401) return 0;
    expect(first.status).toBe(200);
    return msUntil(async () => (await dataApi(b, token, '/accounts')).status === 401, since, 3000);
  }

  describe('discovery', () => {
    it('serves RFC 8414 metadata at both well-known spellings, with the issuer equal to the URL prefix', async () => {
      const spec = await call(`${base}/t/demo/.well-known/oauth-authorization-server`);
      const rfc = await call(`${base}/.well-known/oauth-authorization-server/t/demo`);
      expect(spec.status).toBe(200);
      expect(rfc.status).toBe(200);
      expect(rfc.json).toEqual(spec.json);
      const issuer = `${base}/t/demo`;
      expect(spec.body).toMatchObject({
        issuer,
        token_endpoint: `${issuer}/oauth/token`,
        jwks_uri: `${issuer}/jwks`,
        introspection_endpoint: `${issuer}/oauth/introspect`,
        revocation_endpoint: `${issuer}/oauth/revoke`,
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
        code_challenge_methods_supported: ['S256'],
      });
      const jwks = await call(`${base}/t/demo/jwks`);
      for (const key of jwks.body.keys as Array<Record<string, unknown>>) {
        expect(Object.keys(key).filter((k) => ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'].includes(k))).toEqual([]);
      }
      expectError(await call(`${base}/.well-known/oauth-authorization-server/t/no-such-tenant`), 404, 'not_found');
    });
  });

  describe('the whole flow with a stock OAuth client (oauth4webapi, configured from discovery only)', () => {
    let as: oauth.AuthorizationServer;
    const client = (): oauth.Client => ({ client_id: demoVendor.clientId });
    const clientAuth = () => oauth.ClientSecretBasic(demoVendor.secret);

    beforeAll(async () => {
      const issuer = new URL(`${base}/t/demo`);
      const response = await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...oauthOptions() });
      as = await oauth.processDiscoveryResponse(issuer, response);
    });

    /** What the plugin's backend does with the code the plugin got (the launch carries `code` and `iss`). */
    async function exchangeAsVendor(code: string, verifier: string | typeof oauth.nopkce = oauth.nopkce) {
      const params = oauth.validateAuthResponse(
        as,
        client(),
        new URLSearchParams({ code, iss: as.issuer }),
        oauth.skipStateCheck,
      );
      const response = await oauth.authorizationCodeGrantRequest(
        as,
        client(),
        clientAuth(),
        params,
        demoVendor.pluginUrl,
        verifier,
        oauthOptions(),
      );
      return oauth.processAuthorizationCodeResponse(as, client(), response);
    }

    const api = (path: string) => new URL(`${as.issuer}/api/v1${path}`);
    async function get(token: string, path: string): Promise<Record<string, unknown>> {
      const response = await oauth.protectedResourceRequest(
        token,
        'GET',
        api(path),
        undefined,
        undefined,
        oauthOptions(),
      );
      expect(response.status).toBe(200);
      return (await response.json()) as Record<string, unknown>;
    }

    it('session (password) → code → exchange → /me → accounts → every transaction page → logout → refused and inactive', async () => {
      const sid = await openSession(base, f.demo, { login: DEMO.user, password: DEMO.password });
      const code = await issueCode(base, sid, demoVendor);
      const result = await exchangeAsVendor(code);
      expect(result.token_type.toLowerCase()).toBe('bearer');
      expect(result.expires_in).toBe(1800);
      expect(result.scope).toBe('profile accounts vendor_data');
      const token = result.access_token;

      // The token is an RFC 9068 JWT access token, as a stock resource-server validator sees it.
      const claims = await oauth.validateJwtAccessToken(
        as,
        new Request(api('/me'), { headers: { authorization: `Bearer ${token}` } }),
        `${as.issuer}/api/v1`,
        { ...oauthOptions(), signingAlgorithms: ['ES256'] },
      );
      // The token's `sid` is the session's public handle, never the session id (the hub cookie, the host's secret).
      expect(claims.sid).not.toBe(sid);
      expect(claims).toMatchObject({
        iss: as.issuer,
        client_id: demoVendor.clientId,
        sid: sessionHandle(sid),
        scope: result.scope,
      });

      const me = await get(token, '/me');
      expect(me).toMatchObject({
        sub: claims.sub,
        user: { login: DEMO.user },
        session: { id: sessionHandle(sid), auth_method: 'password' },
        client_id: demoVendor.clientId,
        scope: 'profile accounts vendor_data',
      });
      const { accounts } = (await get(token, '/accounts')) as { accounts: Array<{ id: string; currency: string }> };
      expect(accounts).toHaveLength(2);
      for (const account of accounts) {
        const ids: string[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const query: string = `?limit=10${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
          const page = (await get(token, `/accounts/${account.id}/transactions${query}`)) as {
            transactions: Array<{ id: string }>;
            next_cursor: string | null;
          };
          ids.push(...page.transactions.map((t) => t.id));
          cursor = page.next_cursor;
          pages++;
        } while (cursor);
        expect({ pages, count: ids.length, distinct: new Set(ids).size }).toEqual({
          pages: 3,
          count: 24,
          distinct: 24,
        });
      }

      const active = await oauth.processIntrospectionResponse(
        as,
        client(),
        await oauth.introspectionRequest(as, client(), clientAuth(), token, oauthOptions()),
      );
      expect(active).toMatchObject({ active: true, client_id: demoVendor.clientId, sid: sessionHandle(sid) });

      // Host logout.
      const logout = await endSession(base, sid);
      expect(logout.status).toBe(204);
      const since = Date.now();
      const refusedMs = await msUntilRefusedEverywhere(token, since);
      console.log(`flow (${mode}): token refused on ${bases.length} replica(s) ${refusedMs} ms after logout returned`);
      expect(refusedMs).toBeLessThanOrEqual(PROPAGATION_BOUND_MS);

      const refused = await oauth
        .protectedResourceRequest(token, 'GET', api('/me'), undefined, undefined, oauthOptions())
        .then(
          () => undefined,
          (err: unknown) => err,
        );
      expect(refused).toBeInstanceOf(oauth.WWWAuthenticateChallengeError);
      const challenge = (refused as oauth.WWWAuthenticateChallengeError).cause[0];
      expect(challenge).toMatchObject({ scheme: 'bearer', parameters: { error: 'invalid_token' } });
      expect((refused as oauth.WWWAuthenticateChallengeError).status).toBe(401);

      const inactive = await oauth.processIntrospectionResponse(
        as,
        client(),
        await oauth.introspectionRequest(as, client(), clientAuth(), token, oauthOptions()),
      );
      expect(inactive).toEqual({ active: false });
      // Revoking the dead token is fine too (RFC 7009 §2.2).
      await oauth.processRevocationResponse(
        await oauth.revocationRequest(as, client(), clientAuth(), token, oauthOptions()),
      );
    });

    it('PKCE S256 through the same client: the right verifier gets a token, a wrong one invalid_grant', async () => {
      const sid = await openSession(base);
      const verifier = oauth.generateRandomCodeVerifier();
      const challenge = await oauth.calculatePKCECodeChallenge(verifier);
      const code = await issueCode(base, sid, demoVendor, { code_challenge: challenge, code_challenge_method: 'S256' });
      const wrong = await exchangeAsVendor(code, oauth.generateRandomCodeVerifier()).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(wrong).toBeInstanceOf(oauth.ResponseBodyError);
      expect((wrong as oauth.ResponseBodyError).error).toBe('invalid_grant');
      const result = await exchangeAsVendor(code, verifier);
      expect((await get(result.access_token, '/me')).session).toMatchObject({ id: sessionHandle(sid) });
      // Without the verifier the code cannot be exchanged at all.
      const code2 = await issueCode(base, sid, demoVendor, {
        code_challenge: challenge,
        code_challenge_method: 'S256',
      });
      const missing = await exchangeAsVendor(code2).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect((missing as oauth.ResponseBodyError).error).toBe('invalid_grant');
      expect((await endSession(base, sid)).status).toBe(204);
    });
  });

  it(`DA-03 / done-when: a logout makes the session's tokens refused on every gateway replica (${REPLICAS}) within 1 s, and inactive at once (${LOGOUT_TRIALS} trials)`, async () => {
    const results = await inBatches(LOGOUT_TRIALS, 2, async (i) => {
      const sid = await openSession(bases[i % bases.length]);
      const tokens = [await tokenFor(base, sid, demoVendor), await tokenFor(base, sid, f.vendors.b)];
      // Every replica has accepted the tokens before the logout.
      for (const b of bases) for (const t of tokens) expect((await dataApi(b, t, '/accounts')).status).toBe(200);
      const logout = await endSession(bases[(i + 1) % bases.length], sid);
      expect(logout.status).toBe(204);
      const since = Date.now();
      const ms = Math.max(...(await Promise.all(tokens.map((t) => msUntilRefusedEverywhere(t, since)))));
      const introspections = [
        (await introspect(base, demoVendor, tokens[0])).json,
        (await introspect(base, f.vendors.b, tokens[1])).json,
      ];
      return { ms, introspections };
    });
    const ms = results.map((r) => r.ms);
    console.log(`DA-03 (${mode}, ${REPLICAS} replicas): token refused everywhere after logout: ${summary(ms)}`);
    expect(Math.max(...ms)).toBeLessThanOrEqual(PROPAGATION_BOUND_MS);
    expect(results.flatMap((r) => r.introspections)).toEqual(Array(2 * LOGOUT_TRIALS).fill({ active: false }));
  }, 120_000);

  describe('CR-02: logout races', () => {
    it('an exchange racing DELETE of its session: it fails invalid_grant, or its token is dead within 1 s (20 trials)', async () => {
      const outcomes = await inBatches(20, 2, async (i) => {
        const sid = await openSession(base);
        const code = await issueCode(base, sid, demoVendor);
        // The logout starts 0 to 9 ms after the exchange, so both orders happen.
        const [exchanged, ended] = await Promise.all([
          exchange(bases[i % bases.length], demoVendor, code),
          sleep(i % 10).then(() => endSession(bases[(i + 1) % bases.length], sid)),
        ]);
        expect(ended.status).toBe(204);
        const since = Date.now();
        if (exchanged.status !== 200) {
          expectError(exchanged, 400, 'invalid_grant');
          return { won: 'logout', ms: 0 };
        }
        const token = exchanged.body.access_token as string;
        expect((await introspect(base, demoVendor, token)).json).toEqual({ active: false });
        return { won: 'exchange', ms: await msUntilRefusedEverywhere(token, since) };
      });
      const exchanges = outcomes.filter((o) => o.won === 'exchange');
      console.log(
        `CR-02 exchange || DELETE (${mode}): ${exchanges.length} exchanges won the race, ` +
          `${outcomes.length - exchanges.length} were refused; ${exchanges.length ? summary(exchanges.map((o) => o.ms)) : ''}`,
      );
      expect(Math.max(...outcomes.map((o) => o.ms))).toBeLessThanOrEqual(PROPAGATION_BOUND_MS);
    }, 60_000);

    it('/me racing DELETE: 200 or 401 while racing, 401 everywhere afterwards (20 trials)', async () => {
      const outcomes = await inBatches(20, 2, async (i) => {
        const sid = await openSession(base);
        const token = await tokenFor(base, sid, demoVendor);
        const [me, ended] = await Promise.all([
          dataApi(bases[i % bases.length], token, '/me'),
          endSession(bases[(i + 1) % bases.length], sid),
        ]);
        expect(ended.status).toBe(204);
        expect([200, 401]).toContain(me.status);
        return msUntilRefusedEverywhere(token, Date.now());
      });
      console.log(`CR-02 /me || DELETE (${mode}): ${summary(outcomes)}`);
      expect(Math.max(...outcomes)).toBeLessThanOrEqual(PROPAGATION_BOUND_MS);
    }, 60_000);

    it('two DELETEs of one session: both 204 (idempotent), and its tokens are dead', async () => {
      for (let i = 0; i < 10; i++) {
        const sid = await openSession(base);
        const token = await tokenFor(base, sid, demoVendor);
        const both = await Promise.all(
          bases
            .concat(bases)
            .slice(0, 2)
            .map((b) => endSession(b, sid)),
        );
        expect(both.map((r) => r.status)).toEqual([204, 204]);
        expect((await endSession(base, sid)).status).toBe(204);
        expect((await introspect(base, demoVendor, token)).json).toEqual({ active: false });
        expect(await msUntilRefusedEverywhere(token, Date.now())).toBeLessThanOrEqual(PROPAGATION_BOUND_MS);
        // No more codes for an ended session.
        const code = await call(`${base}/t/demo/api/sessions/${sid}/codes`, {
          method: 'POST',
          headers: { authorization: `Bearer ${DEMO.hostKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ vendor: demoVendor.clientId }),
        });
        expectError(code, 404, 'not_found');
      }
    }, 60_000);
  });

  onlyIn('distributed')('two gateway processes (distributed only: embedded mode has one gateway)', () => {
    it(`CR-03: revoke on one replica, use at once on the other: refused within 1 s (${CR03_TRIALS} trials)`, async () => {
      expect(bases).toHaveLength(2);
      const sid = await openSession(base);
      const started = Date.now();
      const ms = await inBatches(CR03_TRIALS, 2, async (i) => {
        const [revoker, user] = i % 2 === 0 ? [bases[0], bases[1]] : [bases[1], bases[0]];
        const token = await tokenFor(revoker, sid, demoVendor);
        expect((await dataApi(user, token, '/accounts')).status).toBe(200);
        const revoked = await revoke(revoker, demoVendor, token);
        expect(revoked.status).toBe(200);
        return firstUseRefusedAfter(user, token, Date.now());
      });
      console.log(
        `CR-03 (${CR03_TRIALS} trials in ${Date.now() - started} ms): use on the other replica after revoke returned: ${summary(ms)}`,
      );
      expect(Math.max(...ms)).toBeLessThanOrEqual(PROPAGATION_BOUND_MS);
      expect((await endSession(base, sid)).status).toBe(204);
    }, 120_000);

    it('CR-03: logout on one replica, use at once on the other: refused within 1 s (50 trials)', async () => {
      const ms = await inBatches(50, 2, async (i) => {
        const [ender, user] = i % 2 === 0 ? [bases[0], bases[1]] : [bases[1], bases[0]];
        const sid = await openSession(ender);
        const token = await tokenFor(ender, sid, demoVendor);
        expect((await dataApi(user, token, '/accounts')).status).toBe(200);
        expect((await endSession(ender, sid)).status).toBe(204);
        return firstUseRefusedAfter(user, token, Date.now());
      });
      console.log(`CR-03 logout (distributed): use on the other replica after logout returned: ${summary(ms)}`);
      expect(Math.max(...ms)).toBeLessThanOrEqual(PROPAGATION_BOUND_MS);
    }, 120_000);

    it('a token issued through one replica is served by both, and its claims name the public issuer', async () => {
      const sid = await openSession(bases[1]);
      const token = await tokenFor(bases[1], sid, demoVendor);
      expect(claimsOf(token).iss).toBe(`${base}/t/demo`);
      for (const b of bases) expect((await dataApi(b, token, '/me')).status).toBe(200);
      expect((await endSession(bases[0], sid)).status).toBe(204);
    });
  });
});
