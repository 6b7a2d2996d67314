/**
 * The hosted pages against the catalogue (RELIABILITY §1.7 and the launch part of §1.1): clickjacking (HP-02),
 * CSRF and cookie flags (HP-03), the postMessage code hand-off (HP-04), credential leakage (HP-05), the launch's
 * redirect/plugin URI binding (CX-08) and per-vendor PKCE (CX-07 c). Headers and answers over HTTP; what only a
 * browser decides (framing, cross-site form posts, cookies, postMessage) in Chromium, with loopback sites on
 * other ports playing the vendor's and an attacker's origin (and `attacker.test`, resolved to 127.0.0.1, playing
 * another site).
 *
 * Real: every app, as built in dist/, as processes; in distributed mode NATS, Redis and PostgreSQL; Debian's
 * Chromium. The extra vendors are written straight into the user-data tables (no admin API yet). Mocked: none.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { decodeSecretKey, SecretHasher } from '#security';
import {
  CROSS_SITE_HOST,
  describeWithBrowser,
  frameRefused,
  htmlPage,
  launchChromium,
  newContext,
  REPORT_FUNCTION,
  screenshot,
  startSite,
  type Site,
  type SiteReport,
} from './browser.js';
import {
  e2eMode,
  http,
  seedDatabase,
  sleep,
  stackSecretKey,
  startStack,
  type HttpResult,
  type Stack,
} from './harness.js';

const mode = e2eMode();
const FORM = 'application/x-www-form-urlencoded';
const SESSION_COOKIE = 'handover_session_demo';
const HOST_KEY = 'demo-host-key';
/** How long a test waits for something that must never happen (a code reaching the wrong window). */
const NEVER_MS = 1500;
/** Per test (generous: the suite shares two cores with the stack and the browser). */
const HTTP_TEST_MS = 20_000;
const BROWSER_TEST_MS = 30_000;

interface VendorSeed {
  clientId: string;
  launchMode: 'redirect' | 'embed';
  pluginUrls: string[];
  allowedOrigins: string[];
  redirectUris: string[];
  pkceRequired?: boolean;
}

type Res = HttpResult & { body: Record<string, unknown> };

/** `name=value` pairs of a Content-Security-Policy header. */
function csp(res: Res): Map<string, string> {
  const directives = new Map<string, string>();
  for (const part of (res.headers.get('content-security-policy') ?? '').split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) directives.set(name, values.join(' '));
  }
  return directives;
}

function setCookie(res: Res, name: string): string | undefined {
  return res.headers.getSetCookie().find((c) => c.startsWith(`${name}=`));
}

function attr(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

describe(`hosted pages (${mode} mode)`, () => {
  let stack: Stack;
  let base: string;
  let vendorSite: Site;
  let attacker: Site;
  const suffix = randomBytes(4).toString('hex');
  const vendors = {
    embed: `hp-embed-${suffix}`,
    redirect: `hp-redirect-${suffix}`,
    pkce: `hp-pkce-${suffix}`,
    misorigin: `hp-misorigin-${suffix}`,
    hijack: `hp-hijack-${suffix}`,
  };

  // ---- the loopback sites ------------------------------------------------------------------------------------

  /** The vendor's plugin: reports every message it gets; says it is ready to the host after a pause. */
  const pluginPage = () =>
    htmlPage(
      'E2E plugin',
      '<h1>E2E vendor plugin</h1><p id="status">waiting</p>',
      `${REPORT_FUNCTION}
      window.addEventListener('message', function (e) {
        var d = e.data || {};
        report('message', { origin: e.origin, type: d.type, code: d.code, iss: d.iss, config: d.config });
        if (d.type === 'handover.code') document.getElementById('status').textContent = 'got the code';
      });
      setTimeout(function () { parent.postMessage({ type: 'handover.ready' }, ${JSON.stringify(new URL(base).origin)}); }, 300);`,
    );

  /** A would-be plugin on the attacker's origin: says "ready" to whoever framed it, and reports what it hears. */
  const thiefPage = () =>
    htmlPage(
      'thief',
      '<h1>thief</h1>',
      `${REPORT_FUNCTION}
      window.addEventListener('message', function (e) {
        var d = e.data || {};
        report('message', { origin: e.origin, type: d.type, code: d.code });
      });
      var n = 0;
      var timer = setInterval(function () {
        parent.postMessage({ type: 'handover.ready' }, '*');
        if (++n === 20) { clearInterval(timer); report('ready-sent', { n: n }); }
      }, 50);`,
    );

  /** Frames every `src` of the query; each iframe gets `data-loaded` once its load event fired. */
  const framesPage = (srcs: string[]) =>
    htmlPage(
      'frames',
      srcs
        .map((src, i) => `<iframe id="f${i}" src="${attr(src)}" onload="this.dataset.loaded = '1'"></iframe>`)
        .join('\n'),
      `${REPORT_FUNCTION}
      window.addEventListener('message', function (e) {
        var d = e.data || {};
        report('message', { origin: e.origin, type: d.type, code: d.code });
      });`,
    );

  beforeAll(async () => {
    [stack, vendorSite, attacker] = await Promise.all([
      startStack(mode === 'distributed' ? { env: { HANDOVER_DEMO: '1' } } : {}),
      startSite({
        '/plugin': () => ({ body: pluginPage() }),
        '/callback': () => ({ body: htmlPage('callback', '<p>callback</p>') }),
        '/hello': () => ({ body: htmlPage('hello', '<p id="hello">hello</p>') }),
        // A plugin URL that sends the frame on to the attacker's origin.
        '/bounce': () => ({ status: 302, headers: { location: attacker.url('/thief') } }),
      }),
      startSite({
        '/thief': () => ({ body: thiefPage() }),
        '/frames': (url) => ({ body: framesPage(url.searchParams.getAll('src')) }),
        // Opens the target in a window of its own and keeps telling it "ready", as if it were the plugin.
        '/opener': (url) => ({
          body: htmlPage(
            'opener',
            '<button id="open">open</button>',
            `${REPORT_FUNCTION}
            window.addEventListener('message', function (e) {
              var d = e.data || {};
              report('message', { origin: e.origin, type: d.type, code: d.code });
            });
            document.getElementById('open').addEventListener('click', function () {
              var victim = window.open(${JSON.stringify(url.searchParams.get('target'))}, 'victim');
              var n = 0;
              var timer = setInterval(function () {
                victim.postMessage({ type: 'handover.ready' }, '*');
                if (++n === 20) { clearInterval(timer); report('spoofed', { n: n }); }
              }, 50);
            });`,
          ),
        }),
        // An auto-submitted logout form; `toss` first plants a CSRF cookie of the attacker's choosing.
        '/csrf-logout': (url) => {
          const token = url.searchParams.get('token') ?? 'forged';
          return {
            body: htmlPage(
              'csrf',
              `<form id="f" method="post" action="${attr(url.searchParams.get('action') ?? '')}">
                <input name="csrf" value="${attr(token)}"><input name="continue" value="/demo?after=logout">
              </form>`,
              `${url.searchParams.has('toss') ? `document.cookie = 'handover_csrf=${token}; path=/';` : ''}
              document.getElementById('f').submit();`,
            ),
          };
        },
        '/img-logout': (url) => ({
          body: htmlPage(
            'img',
            `<img id="i" src="${attr(url.searchParams.get('src') ?? '')}" alt="">`,
            `${REPORT_FUNCTION}
            var img = document.getElementById('i');
            img.onload = img.onerror = function () { report('img-done', {}); };`,
          ),
        }),
      }),
    ]);
    base = stack.baseUrl;
    const V = vendorSite.origin;
    const seeds: VendorSeed[] = [
      {
        clientId: vendors.embed,
        launchMode: 'embed',
        pluginUrls: [`${V}/plugin`],
        allowedOrigins: [V],
        redirectUris: [`${V}/callback`],
      },
      {
        clientId: vendors.redirect,
        launchMode: 'redirect',
        pluginUrls: [`${V}/plugin`],
        allowedOrigins: [V],
        redirectUris: [`${V}/callback`],
      },
      {
        clientId: vendors.pkce,
        launchMode: 'redirect',
        pluginUrls: [`${V}/plugin`],
        allowedOrigins: [V],
        redirectUris: [`${V}/callback`],
        pkceRequired: true,
      },
      // Its plugin URL lies outside its registered origins.
      {
        clientId: vendors.misorigin,
        launchMode: 'embed',
        pluginUrls: [attacker.url('/thief')],
        allowedOrigins: [V],
        redirectUris: [],
      },
      // Its registered plugin URL redirects the frame to the attacker's origin.
      {
        clientId: vendors.hijack,
        launchMode: 'embed',
        pluginUrls: [`${V}/bounce`],
        allowedOrigins: [V],
        redirectUris: [],
      },
    ];
    const hasher = new SecretHasher(decodeSecretKey(stackSecretKey(stack)));
    await seedDatabase(stack, async (db) => {
      const [tenant] = await db.query<{ id: string }>(`SELECT id FROM user_data.tenants WHERE slug = 'demo'`);
      if (!tenant) throw new Error('the demo tenant is not seeded');
      for (const v of seeds) {
        await db.query(
          `INSERT INTO user_data.vendors
             (tenant_id, client_id, name, secret_hash, plugin_urls, allowed_origins, redirect_uris, config, scopes,
              pkce_required, launch_mode)
           VALUES ($1, $2, $3, $4, $5::text::jsonb, $6::text::jsonb, $7::text::jsonb, $8::text::jsonb,
                   string_to_array($9::text, ' '), $10, $11)`,
          [
            tenant.id,
            v.clientId,
            `E2E ${v.clientId}`,
            hasher.hash(`secret-${randomBytes(16).toString('base64url')}`),
            JSON.stringify(v.pluginUrls),
            JSON.stringify(v.allowedOrigins),
            JSON.stringify(v.redirectUris),
            JSON.stringify({ e2e: v.clientId }),
            'profile accounts',
            v.pkceRequired ?? false,
            v.launchMode,
          ],
        );
      }
    });
  }, 150_000);

  afterAll(async () => {
    await Promise.all([vendorSite?.close(), attacker?.close()]);
    await stack?.stop();
  }, 60_000);

  // ---- HTTP helpers ------------------------------------------------------------------------------------------

  /** A hub session of the demo user, opened through the host API. */
  async function openSession(): Promise<string> {
    const res = await http(`${base}/t/demo/api/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${HOST_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'demo' }),
    });
    if (res.status !== 201) throw new Error(`open session: HTTP ${res.status} ${res.text}`);
    return res.body.session_id as string;
  }

  function launchUrl(clientId: string, params: Record<string, string> = {}): string {
    const query = new URLSearchParams(params).toString();
    return `${base}/t/demo/plugins/${encodeURIComponent(clientId)}/launch${query ? `?${query}` : ''}`;
  }

  function launch(clientId: string, sid: string | undefined, params: Record<string, string> = {}): Promise<Res> {
    return http(launchUrl(clientId, params), { headers: sid ? { cookie: `${SESSION_COOKIE}=${sid}` } : {} });
  }

  /** Whether the hub session still opens a plugin (a redirect launch answers 303 with a code). */
  async function sessionAlive(sid: string): Promise<boolean> {
    const res = await launch(vendors.redirect, sid);
    if (res.status !== 303 && res.status !== 404) throw new Error(`launch: HTTP ${res.status} ${res.text}`);
    return res.status === 303;
  }

  /** The logout confirmation for `sid`: its form's CSRF token, and the CSRF cookie that goes with it. */
  async function logoutForm(sid: string): Promise<{ token: string; page: Res }> {
    const page = await http(`${base}/t/demo/logout?continue=%2Fdemo%3Fafter%3Dlogout`, {
      headers: { cookie: `${SESSION_COOKIE}=${sid}` },
    });
    const token = /name="csrf" value="([^"]+)"/.exec(page.text)?.[1];
    if (page.status !== 200 || !token) throw new Error(`logout page: HTTP ${page.status} ${page.text}`);
    expect(setCookie(page, 'handover_csrf')).toContain(token);
    return { token, page };
  }

  function postLogout(
    cookies: Record<string, string>,
    form: Record<string, string>,
    origin: string | undefined,
  ): Promise<Res> {
    return http(`${base}/t/demo/logout`, {
      method: 'POST',
      headers: {
        'content-type': FORM,
        cookie: Object.entries(cookies)
          .map(([k, v]) => `${k}=${v}`)
          .join('; '),
        ...(origin === undefined ? {} : { origin }),
      },
      body: new URLSearchParams(form).toString(),
    });
  }

  function expectErrorPage(res: Res, status: number) {
    const context = `HTTP ${res.status} location=${res.headers.get('location')} ${res.text.slice(0, 300)}`;
    expect({ status: res.status, context }).toEqual({ status, context });
    expect(res.headers.get('location')).toBeNull();
    expect(res.headers.get('content-type')).toMatch(/^text\/html\b/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.text).toContain('data-testid="error"');
    expect(res.text).not.toMatch(/data-code|code=/);
    expect(csp(res).get('frame-ancestors')).toBe("'none'");
  }

  // ---- over HTTP ---------------------------------------------------------------------------------------------

  describe('over HTTP', () => {
    it(
      "HP-02: the sign-in page, the logout confirmation and every error page forbid framing (frame-ancestors 'none', X-Frame-Options: DENY)",
      async () => {
        const sid = await openSession();
        const pages: Array<[string, Res]> = [
          ['sign-in', await http(`${base}/demo`)],
          [
            'logout confirmation',
            await http(`${base}/t/demo/logout`, { headers: { cookie: `${SESSION_COOKIE}=${sid}` } }),
          ],
          ['logout refused', await postLogout({ [SESSION_COOKIE]: sid }, {}, base)],
          ['launch without session', await launch(vendors.embed, undefined)],
          ['launch of an unknown vendor', await launch(`nope-${suffix}`, sid)],
          ['launch refused', await launch(vendors.misorigin, sid)],
          ['home', await http(`${base}/`)],
        ];
        for (const [name, res] of pages) {
          expect({ name, status: res.status < 500, contentType: res.headers.get('content-type') }).toEqual({
            name,
            status: true,
            contentType: 'text/html; charset=utf-8',
          });
          const policy = csp(res);
          expect({
            name,
            frameAncestors: policy.get('frame-ancestors'),
            xfo: res.headers.get('x-frame-options'),
          }).toEqual({ name, frameAncestors: "'none'", xfo: 'DENY' });
          expect({ name, script: policy.get('script-src') }).toEqual({ name, script: "'self'" });
        }
      },
      HTTP_TEST_MS,
    );

    it(
      "HP-02: the plugin host page may be framed by its own origin only (frame-ancestors 'self', X-Frame-Options: SAMEORIGIN), and frames only the vendor's origin",
      async () => {
        const res = await launch(vendors.embed, await openSession());
        expect(res.status).toBe(200);
        const policy = csp(res);
        expect(policy.get('frame-ancestors')).toBe("'self'");
        expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
        expect(policy.get('frame-src')).toBe(vendorSite.origin);
        expect(policy.get('script-src')).toBe("'self'");
        expect(policy.get('default-src')).toBe("'none'");
      },
      HTTP_TEST_MS,
    );

    it(
      'HP-03: the hub session cookie is HttpOnly and SameSite=Lax (not Secure on http), the CSRF cookie HttpOnly and SameSite=Strict',
      async () => {
        const page = await http(`${base}/demo`);
        const csrfCookie = setCookie(page, 'handover_csrf') ?? '';
        const token = /name="csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
        expect(csrfCookie).toMatch(new RegExp(`^handover_csrf=${token};`));
        expect(csrfCookie).toMatch(/; HttpOnly(;|$)/);
        expect(csrfCookie).toMatch(/; SameSite=Strict(;|$)/);
        expect(csrfCookie).not.toMatch(/; Secure(;|$)/i);

        const login = await http(`${base}/demo/login`, {
          method: 'POST',
          headers: { 'content-type': FORM, origin: base, cookie: `handover_csrf=${token}` },
          body: new URLSearchParams({ csrf: token, login: 'demo', password: 'demo' }).toString(),
        });
        expect(login.status).toBe(303);
        expect(login.headers.get('location')).toBe('/demo');
        const session = setCookie(login, SESSION_COOKIE) ?? '';
        expect(session).toMatch(/^handover_session_demo=[A-Za-z0-9_-]{43};/);
        expect(session).toMatch(/; Path=\/(;|$)/);
        expect(session).toMatch(/; HttpOnly(;|$)/);
        expect(session).toMatch(/; SameSite=Lax(;|$)/);
        expect(session).not.toMatch(/; Secure(;|$)/i);
        expect(session).not.toMatch(/; Domain=/i);
      },
      HTTP_TEST_MS,
    );

    it(
      'HP-03: GET /t/demo/logout only asks; the session survives it',
      async () => {
        const sid = await openSession();
        for (const path of ['/t/demo/logout', '/t/demo/logout?continue=%2Fdemo']) {
          const res = await http(`${base}${path}`, { headers: { cookie: `${SESSION_COOKIE}=${sid}` } });
          expect(res.status).toBe(200);
          expect(res.text).toContain('data-testid="confirm-logout"');
          expect(res.text).toContain('method="post"');
          expect(setCookie(res, SESSION_COOKIE)).toBeUndefined();
        }
        await expect(sessionAlive(sid)).resolves.toBe(true);
      },
      HTTP_TEST_MS,
    );

    it(
      'HP-03: a logout POST without the CSRF token of the form, or from another origin, is refused with 403 and the session survives',
      async () => {
        const sid = await openSession();
        const { token } = await logoutForm(sid);
        const session = { [SESSION_COOKIE]: sid };
        const attempts: Array<[string, Res]> = [
          ['no token, no CSRF cookie', await postLogout(session, { continue: '/demo' }, base)],
          ['token without its cookie', await postLogout(session, { csrf: token }, base)],
          ['cookie without the token', await postLogout({ ...session, handover_csrf: token }, {}, base)],
          [
            'a token that is not the cookie',
            await postLogout(
              { ...session, handover_csrf: token },
              { csrf: randomBytes(32).toString('base64url') },
              base,
            ),
          ],
          [
            'token and cookie, another origin',
            await postLogout({ ...session, handover_csrf: token }, { csrf: token }, attacker.origin),
          ],
          [
            'token and cookie, another site',
            await postLogout({ ...session, handover_csrf: token }, { csrf: token }, attacker.url('', CROSS_SITE_HOST)),
          ],
          [
            'token and cookie, Origin: null',
            await postLogout({ ...session, handover_csrf: token }, { csrf: token }, 'null'),
          ],
        ];
        for (const [name, res] of attempts) {
          expect({ name, status: res.status, location: res.headers.get('location') }).toEqual({
            name,
            status: 403,
            location: null,
          });
          expect(setCookie(res, SESSION_COOKIE)).toBeUndefined();
          expect(csp(res).get('frame-ancestors')).toBe("'none'");
        }
        await expect(sessionAlive(sid)).resolves.toBe(true);

        // The form itself logs out: 303 to the local `continue`, the cookie cleared, the session over.
        const res = await postLogout(
          { ...session, handover_csrf: token },
          { csrf: token, continue: '/demo?after=logout' },
          base,
        );
        expect(res.status).toBe(303);
        expect(res.headers.get('location')).toBe('/demo?after=logout');
        expect(setCookie(res, SESSION_COOKIE)).toMatch(
          /^handover_session_demo=;.*(Max-Age=0|Expires=Thu, 01 Jan 1970)/,
        );
        await expect(sessionAlive(sid)).resolves.toBe(false);
      },
      HTTP_TEST_MS,
    );

    it(
      'HP-05: the redirect launch carries its code in a 303 with Cache-Control: no-store and Referrer-Policy: no-referrer',
      async () => {
        const sid = await openSession();
        for (const [params, target] of [
          [{ state: 'st-1' }, `${vendorSite.origin}/plugin`],
          [{ state: 'st-2', redirect_uri: `${vendorSite.origin}/callback` }, `${vendorSite.origin}/callback`],
        ] as const) {
          const res = await launch(vendors.redirect, sid, params);
          expect(res.status).toBe(303);
          expect(res.headers.get('cache-control')).toBe('no-store');
          expect(res.headers.get('referrer-policy')).toBe('no-referrer');
          const location = new URL(res.headers.get('location') ?? '');
          expect(`${location.origin}${location.pathname}`).toBe(target);
          expect(location.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{22,}$/);
          expect(location.searchParams.get('state')).toBe(params.state);
          expect(location.searchParams.get('iss')).toBe(`${base}/t/demo`);
        }
      },
      HTTP_TEST_MS,
    );

    it(
      'HP-05: the plugin host page carries its code with Cache-Control: no-store and Referrer-Policy: no-referrer, keeps it out of every URL, and frames the plugin without a referrer',
      async () => {
        const res = await launch(vendors.embed, await openSession(), { state: 'st-3' });
        expect(res.status).toBe(200);
        expect(res.headers.get('cache-control')).toBe('no-store');
        expect(res.headers.get('referrer-policy')).toBe('no-referrer');
        const code = /data-code="([^"]+)"/.exec(res.text)?.[1] ?? '';
        expect(code).toMatch(/^[A-Za-z0-9_-]{22,}$/);
        expect(res.text.split(code).length).toBe(2); // once, in the hand-off element, in no URL
        expect(res.text).toContain(
          `<iframe id="plugin" title="E2E ${vendors.embed}" src="${vendorSite.origin}/plugin" referrerpolicy="no-referrer">`,
        );
      },
      HTTP_TEST_MS,
    );

    it(
      'HP-05: credential POSTs (sign-in, logout) answer 303, never 307',
      async () => {
        const page = await http(`${base}/demo`);
        const token = /name="csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
        const signIn = (password: string) =>
          http(`${base}/demo/login`, {
            method: 'POST',
            headers: { 'content-type': FORM, origin: base, cookie: `handover_csrf=${token}` },
            body: new URLSearchParams({ csrf: token, login: 'demo', password }).toString(),
          });
        const good = await signIn('demo');
        const bad = await signIn('wrong');
        expect([good.status, good.headers.get('location')]).toEqual([303, '/demo']);
        expect([bad.status, bad.headers.get('location')]).toEqual([303, '/demo?error=login']);
        expect(setCookie(bad, SESSION_COOKIE)).toBeUndefined();

        const sid = /^handover_session_demo=([^;]+)/.exec(setCookie(good, SESSION_COOKIE) ?? '')?.[1] ?? '';
        const form = await logoutForm(sid);
        const out = await postLogout(
          { [SESSION_COOKIE]: sid, handover_csrf: form.token },
          { csrf: form.token, continue: '/demo?after=logout' },
          base,
        );
        expect([out.status, out.headers.get('location')]).toEqual([303, '/demo?after=logout']);
        // Without `continue` the answer is a page, not a redirect.
        const sid2 = await openSession();
        const form2 = await logoutForm(sid2);
        const page2 = await postLogout(
          { [SESSION_COOKIE]: sid2, handover_csrf: form2.token },
          { csrf: form2.token },
          base,
        );
        expect(page2.status).toBe(200);
        expect(page2.text).toContain('data-testid="logged-out"');
        // An off-site `continue` is dropped (no open redirect).
        const sid3 = await openSession();
        const form3 = await logoutForm(sid3);
        for (const next of ['https://evil.example/', '//evil.example/', '/\\evil.example/']) {
          const res = await postLogout(
            { [SESSION_COOKIE]: sid3, handover_csrf: form3.token },
            { csrf: form3.token, continue: next },
            base,
          );
          expect([res.status, res.headers.get('location')]).toEqual([200, null]);
        }
      },
      HTTP_TEST_MS,
    );

    it(
      'HP-04: a vendor whose plugin URL lies outside its registered origins is never launched',
      async () => {
        expectErrorPage(await launch(vendors.misorigin, await openSession()), 400);
      },
      HTTP_TEST_MS,
    );

    it(
      'HP-04: the host page posts the code with the registered origin as target (never "*") and only to the plugin frame',
      async () => {
        const res = await launch(vendors.embed, await openSession());
        expect(res.text).toContain(`data-origin="${vendorSite.origin}"`);
        expect(res.text).toContain('<script src="/assets/launch-host.js"></script>');
        const script = await http(`${base}/assets/launch-host.js`);
        expect(script.status).toBe(200);
        expect(script.text).not.toMatch(/['"]\*['"]/);
        expect(script.text).toContain('event.source !== frame.contentWindow || event.origin !== origin');
        expect(script.text).toMatch(/frame\.contentWindow\.postMessage\([\s\S]*\}, origin\);/);
      },
      HTTP_TEST_MS,
    );

    it(
      'CX-08: a launch with an unregistered, extended, case-changed or slash-appended redirect_uri shows an error page and redirects no code',
      async () => {
        const sid = await openSession();
        const V = vendorSite.origin;
        const refused = [
          `${V}/unregistered`,
          `${V}/callback?extra=1`,
          `${V}/callback#fragment`,
          `${V}/Callback`,
          `${V}/CALLBACK`,
          `${V}/callback/`,
          `${V}//callback`,
          `${V}/callback/../callback`,
          `HTTP://127.0.0.1:${vendorSite.port}/callback`,
          `${V.replace('127.0.0.1', 'localhost')}/callback`,
          `${attacker.origin}/callback`,
          `https://evil.example/callback`,
          'javascript:alert(1)',
          '',
        ];
        for (const redirectUri of refused) {
          const res = await launch(vendors.redirect, sid, { redirect_uri: redirectUri, state: 's' });
          expect({ redirectUri, status: res.status, location: res.headers.get('location') }).toEqual({
            redirectUri,
            status: 400,
            location: null,
          });
          expectErrorPage(res, 400);
        }
        // The embedded launch binds the same way: no host page, no code.
        for (const redirectUri of [`${V}/callback/`, `${attacker.origin}/plugin`]) {
          expectErrorPage(await launch(vendors.embed, sid, { redirect_uri: redirectUri }), 400);
        }
        // A repeated redirect_uri is not a registered one either.
        const twice = await http(
          `${launchUrl(vendors.redirect)}?redirect_uri=${encodeURIComponent(`${V}/callback`)}&redirect_uri=${encodeURIComponent(`${attacker.origin}/x`)}`,
          { headers: { cookie: `${SESSION_COOKIE}=${sid}` } },
        );
        expectErrorPage(twice, 400);
        // The exact registered URI, and only it, redirects.
        const exact = await launch(vendors.redirect, sid, { redirect_uri: `${V}/callback` });
        expect(exact.status).toBe(303);
        expect(exact.headers.get('location')).toMatch(new RegExp(`^${V}/callback\\?code=`));
      },
      HTTP_TEST_MS,
    );

    it(
      'CX-07 (c): a vendor that requires PKCE is not launched without an S256 code_challenge',
      async () => {
        const sid = await openSession();
        const verifier = randomBytes(32).toString('base64url');
        for (const params of [
          {} as Record<string, string>,
          { state: 's' },
          { code_challenge_method: 'S256' },
          { code_challenge: verifier, code_challenge_method: 'plain' },
          { code_challenge: 'short', code_challenge_method: 'S256' },
        ]) {
          const res = await launch(vendors.pkce, sid, params);
          expectErrorPage(res, 400);
        }
        const ok = await launch(vendors.pkce, sid, { code_challenge: s256(verifier), code_challenge_method: 'S256' });
        expect(ok.status).toBe(303);
        expect(new URL(ok.headers.get('location') ?? '').searchParams.get('code')).toBeTruthy();
      },
      HTTP_TEST_MS,
    );
  });

  // ---- in Chromium -------------------------------------------------------------------------------------------

  describeWithBrowser('in Chromium', () => {
    let browser: Browser;
    const contexts: BrowserContext[] = [];

    beforeAll(async () => {
      browser = await launchChromium();
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
    });

    /** A context signed in to Demo Bank through its form (the hub cookie set by the browser itself). */
    async function signedIn(
      options: Parameters<typeof newContext>[1] = {},
    ): Promise<{ context: BrowserContext; page: Page }> {
      const context = await newContext(browser, options);
      contexts.push(context);
      const page = await context.newPage();
      page.setDefaultTimeout(10_000);
      await page.goto(`${base}/demo`);
      await page.getByTestId('login').click();
      await page.getByTestId('welcome').waitFor();
      return { context, page };
    }

    async function stillSignedIn(page: Page): Promise<boolean> {
      await page.goto(`${base}/demo`);
      return (await page.getByTestId('welcome').count()) === 1;
    }

    async function loadFrames(page: Page, url: string): Promise<void> {
      await page.goto(url);
      // Every iframe's load event has fired (a refused frame fires it too, on the browser's error page).
      await page.locator('iframe').first().waitFor({ state: 'attached' });
      await page.waitForFunction("[...document.querySelectorAll('iframe')].every((f) => f.dataset.loaded === '1')");
    }

    const reportsSince = (site: Site, start: number, what: string) =>
      site.reports.slice(start).filter((r: SiteReport) => r.what === what);

    afterAll(async () => {
      for (const context of contexts) await context.close().catch(() => undefined);
    });

    it(
      "HP-02: another origin cannot frame the sign-in page, the logout confirmation or the plugin host page; the platform's own origin frames the host page but not the logout page",
      async () => {
        const { page } = await signedIn();
        const attackerStart = attacker.reports.length;
        const framed = [
          `${base}/demo`,
          `${base}/t/demo/logout`,
          launchUrl(vendors.embed),
          `${base}/t/demo/plugins/demo-vendor/launch`,
          vendorSite.url('/hello'), // control: a frameable page loads
        ];
        const query = framed.map((src) => `src=${encodeURIComponent(src)}`).join('&');
        await loadFrames(page, attacker.url(`/frames?${query}`));
        const refused = await Promise.all(framed.map((_, i) => frameRefused(page, `#f${i}`)));
        expect(refused).toEqual([true, true, true, true, false]);
        await screenshot(page, `hp-${mode}-02-framed-by-another-origin`);

        // The platform's own origin: a page of it (served here by the browser's router) frames the host page, whose
        // plugin gets its code, but still not the logout confirmation.
        const vendorStart = vendorSite.reports.length;
        const own = [launchUrl(vendors.embed), `${base}/t/demo/logout`, `${base}/demo/plugin`];
        await page.route(`${base}/e2e-own-origin-frames`, (route) =>
          route.fulfill({ status: 200, contentType: 'text/html', body: framesPage(own) }),
        );
        await loadFrames(page, `${base}/e2e-own-origin-frames`);
        expect(await Promise.all(own.map((_, i) => frameRefused(page, `#f${i}`)))).toEqual([false, true, false]);
        const delivered = await vendorSite.waitForReport(
          (r) => vendorSite.reports.indexOf(r) >= vendorStart && (r.data as { type?: string }).type === 'handover.code',
        );
        expect(delivered.data).toMatchObject({ origin: new URL(base).origin, config: { e2e: vendors.embed } });
        await screenshot(page, `hp-${mode}-02-framed-by-own-origin`);
        // Nothing reached the attacker's page.
        expect(reportsSince(attacker, attackerStart, 'message')).toEqual([]);
      },
      BROWSER_TEST_MS,
    );

    it(
      'HP-03: a cross-origin or cross-site auto-submitted logout POST is refused with 403 and the session survives; so does an <img> GET',
      async () => {
        const { page } = await signedIn();
        const action = `${base}/t/demo/logout`;
        for (const host of ['127.0.0.1', CROSS_SITE_HOST]) {
          const [response] = await Promise.all([
            page.waitForResponse((r) => r.url() === action && r.request().method() === 'POST'),
            page.goto(attacker.url(`/csrf-logout?action=${encodeURIComponent(action)}`, host)),
          ]);
          expect({ host, status: response.status() }).toEqual({ host, status: 403 });
          await expect(stillSignedIn(page)).resolves.toBe(true);
        }
        await screenshot(page, `hp-${mode}-03-after-csrf-attempts`);

        const start = attacker.reports.length;
        await page.goto(attacker.url(`/img-logout?src=${encodeURIComponent(action)}`));
        await attacker.waitForReport((r) => attacker.reports.indexOf(r) >= start && r.what === 'img-done');
        await expect(stillSignedIn(page)).resolves.toBe(true);
      },
      BROWSER_TEST_MS,
    );

    it(
      'HP-03: a CSRF cookie planted by a same-site page does not make its logout POST pass (the Origin check refuses it)',
      async () => {
        // A browser with a hub session but no CSRF cookie yet: a page on 127.0.0.1:<other port> can set one.
        const sid = await openSession();
        const context = await newContext(browser);
        contexts.push(context);
        await context.addCookies([{ name: SESSION_COOKIE, value: sid, url: base, httpOnly: true, sameSite: 'Lax' }]);
        const page = await context.newPage();
        const action = `${base}/t/demo/logout`;
        const token = randomBytes(32).toString('base64url');
        const [response] = await Promise.all([
          page.waitForResponse((r) => r.url() === action && r.request().method() === 'POST'),
          page.goto(attacker.url(`/csrf-logout?toss=1&token=${token}&action=${encodeURIComponent(action)}`)),
        ]);
        // The planted cookie did travel with the forged form: only the Origin check stands in the way.
        expect(await response.request().headerValue('cookie')).toContain(`handover_csrf=${token}`);
        expect(response.status()).toBe(403);
        await expect(sessionAlive(sid)).resolves.toBe(true);
      },
      BROWSER_TEST_MS,
    );

    it(
      'HP-04: the code reaches only the plugin frame on the registered origin, whatever another window or origin does',
      async () => {
        const { context, page } = await signedIn();

        // (a) Framed from the attacker's origin, the host page does not render, so nothing is handed to anyone.
        let attackerStart = attacker.reports.length;
        await loadFrames(page, attacker.url(`/frames?src=${encodeURIComponent(launchUrl(vendors.embed))}`));
        expect(await frameRefused(page, '#f0')).toBe(true);

        // (b) Opened from the attacker's page, which keeps posting "ready" to it: only the real plugin gets the code.
        attackerStart = attacker.reports.length;
        let vendorStart = vendorSite.reports.length;
        await page.goto(attacker.url(`/opener?target=${encodeURIComponent(launchUrl(vendors.embed))}`));
        const [victim] = await Promise.all([context.waitForEvent('page'), page.click('#open')]);
        await attacker.waitForReport((r) => attacker.reports.indexOf(r) >= attackerStart && r.what === 'spoofed');
        const got = await vendorSite.waitForReport(
          (r) => vendorSite.reports.indexOf(r) >= vendorStart && (r.data as { type?: string }).type === 'handover.code',
        );
        expect(got.origin).toBe(vendorSite.origin);
        expect(got.data).toMatchObject({ origin: new URL(base).origin, iss: `${base}/t/demo` });
        expect(reportsSince(vendorSite, vendorStart, 'message')).toHaveLength(1);
        await expect(victim.locator('#handoff').count()).resolves.toBe(0);
        await screenshot(victim, `hp-${mode}-04-opened-by-attacker`);
        await victim.close();

        // (c) A plugin frame that ends up on another origin never gets a code: the host page's frame-src stops it...
        const requestsStart = attacker.requests.length;
        await page.goto(launchUrl(vendors.hijack)); // waits for the load event of the page and its frame
        expect(await frameRefused(page, '#plugin')).toBe(true);
        expect(vendorSite.requests).toContain(`GET 127.0.0.1:${vendorSite.port} /bounce`);
        expect(attacker.requests.slice(requestsStart)).toEqual([]); // the redirect was not even followed

        // ...and with CSP switched off in the browser, the host page's own checks (sender window and origin, and
        // the target origin of postMessage) still keep the code from the attacker's frame.
        const bypass = await signedIn({ bypassCSP: true });
        attackerStart = attacker.reports.length;
        await bypass.page.goto(launchUrl(vendors.hijack));
        await attacker.waitForReport((r) => attacker.reports.indexOf(r) >= attackerStart && r.what === 'ready-sent');
        await sleep(NEVER_MS);
        expect(reportsSince(attacker, attackerStart, 'message')).toEqual([]);
        await expect(bypass.page.locator('#handoff').count()).resolves.toBe(1); // still undelivered
        await screenshot(bypass.page, `hp-${mode}-04-hijacked-frame`);
        // Control: in that same CSP-less browser the registered plugin does get its code.
        vendorStart = vendorSite.reports.length;
        await bypass.page.goto(launchUrl(vendors.embed));
        await vendorSite.waitForReport(
          (r) => vendorSite.reports.indexOf(r) >= vendorStart && (r.data as { type?: string }).type === 'handover.code',
        );
      },
      BROWSER_TEST_MS,
    );
  });
});
