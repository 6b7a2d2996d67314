/**
 * The demo of SPEC §8 in headless Chromium, clicked through as a newcomer would: the home page, Demo Bank's
 * sign-in, the Budget Planner plugin framed by Handover's host page (the code handed over by postMessage, the
 * vendor backend's exchange with oauth4webapi, /me and accounts), back to the bank, log out, the vendor
 * backend's token refused, and the signed `session.logged_out` webhook of that session arriving at the demo
 * vendor's endpoint (verified there with `standardwebhooks`). A screenshot of every step lands in
 * test-output/screenshots/demo-<mode>-NN-*.png.
 *
 * Real: every app, as built in dist/, as processes (in distributed mode with a database of the stack's own, so the
 * demo seed carries this stack's URL), and Debian's Chromium. Mocked: none.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { describeWithBrowser, launchChromium, newContext, recordPageProblems, screenshot } from './browser.js';
import { e2eMode, startStack, type Stack } from './harness.js';

const mode = e2eMode();

describeWithBrowser(`demo handover in Chromium (${mode} mode)`, () => {
  let stack: Stack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let problems: string[];
  let base: string;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([
      startStack(mode === 'distributed' ? { ownDatabase: true, env: { HANDOVER_DEMO: '1' } } : {}),
      launchChromium(),
    ]);
    base = stack.baseUrl;
    context = await newContext(browser);
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    problems = recordPageProblems(page);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  }, 60_000);

  const shot = (n: number, name: string) => screenshot(page, `demo-${mode}-${String(n).padStart(2, '0')}-${name}`);

  it('walks from the home page through sign-in, the plugin handover and logout to the refused token and the webhook', async () => {
    // 1. The home page: what runs here, and the way into the demo.
    await page.goto(`${base}/`);
    await expect(page.getByTestId('mode').textContent()).resolves.toBe(`${mode} mode`);
    await shot(1, 'home');

    // 2. Demo Bank's sign-in, prefilled with demo / demo.
    await page.getByTestId('start-demo').click();
    await page.waitForURL(`${base}/demo`);
    await expect(page.locator('input[name=login]').inputValue()).resolves.toBe('demo');
    await shot(2, 'sign-in');

    // 3. Signed in: the hub session cookie is set (HttpOnly, so only the browser sees it).
    await page.getByTestId('login').click();
    await page.getByTestId('welcome').waitFor();
    await expect(page.getByTestId('welcome').textContent()).resolves.toBe('Welcome, Dana Demo');
    const cookies = await context.cookies(base);
    expect(cookies.find((c) => c.name === 'handover_session_demo')).toMatchObject({
      httpOnly: true,
      sameSite: 'Lax',
      secure: false,
    });
    await shot(3, 'signed-in');

    // 4. The plugin: Handover's host page frames it and posts it the code; its backend does the rest.
    await page.getByTestId('open-plugin').click();
    await page.waitForURL(`${base}/t/demo/plugins/demo-vendor/launch`);
    const plugin = page.frameLocator('#plugin');
    await plugin.locator('.step.done [data-testid=accounts]').waitFor();
    const text = async (id: string) => (await plugin.getByTestId(id).textContent()) ?? '';
    const json = async (id: string) => JSON.parse(await text(id)) as Record<string, unknown>;
    expect(await text('code')).toMatch(/^[A-Za-z0-9_-]{12}… \(30 s, single use\)$/);
    expect(await json('config')).toEqual({ theme: 'light', currency_display: 'symbol' });
    const exchanged = (await json('token')) as { token: Record<string, unknown>; claims: Record<string, unknown> };
    expect(exchanged.token).toEqual({ token_type: 'bearer', expires_in: 1800, scope: 'profile accounts vendor_data' });
    expect(exchanged.claims).toMatchObject({
      iss: `${base}/t/demo`,
      aud: `${base}/t/demo/api/v1`,
      client_id: 'demo-vendor',
      scope: 'profile accounts vendor_data',
      sid: expect.any(String),
      jti: expect.any(String),
    });
    expect((exchanged.claims.exp as number) - (exchanged.claims.iat as number)).toBe(1800);
    const me = (await json('me')) as { status: number; body: { user: Record<string, unknown>; client_id: string } };
    expect(me.status).toBe(200);
    expect(me.body.user).toMatchObject({ login: 'demo', name: 'Dana Demo' });
    expect(me.body.client_id).toBe('demo-vendor');
    const accounts = (await json('accounts')) as { status: number; body: { accounts: Array<{ name: string }> } };
    expect(accounts.status).toBe(200);
    expect(accounts.body.accounts.map((a) => a.name).sort()).toEqual(['Everyday account', 'Savings']);
    // The code never sits in a URL, and the host page dropped it once handed over.
    expect(page.url()).not.toContain('code=');
    await expect(page.locator('#handoff').count()).resolves.toBe(0);
    // Tall enough to show all five steps inside the frame.
    await page.setViewportSize({ width: 1280, height: 2300 });
    await shot(4, 'plugin');
    await page.setViewportSize({ width: 1280, height: 800 });

    // 5. Back to the bank, still signed in.
    await page.getByTestId('back').click();
    await page.waitForURL(`${base}/demo`);
    await page.getByTestId('welcome').waitFor();
    await shot(5, 'back-at-bank');

    // 6. Logging out asks first.
    await page.getByTestId('logout').click();
    await page.waitForURL(`${base}/t/demo/logout?continue=%2Fdemo%3Fafter%3Dlogout`);
    await page.getByTestId('confirm-logout').waitFor();
    await shot(6, 'logout-confirmation');

    // 7. Logged out: the vendor backend's token is refused at once.
    await page.getByTestId('confirm-logout').click();
    await page.waitForURL(`${base}/demo?after=logout`);
    const verdict = page.getByTestId('recheck-verdict');
    await verdict.filter({ hasNotText: '…' }).waitFor(); // filled in by the bank page's script
    await expect(verdict.textContent()).resolves.toMatch(/^HTTP 401 invalid_token: /);
    const recheck = JSON.parse((await page.getByTestId('recheck').textContent()) ?? '') as {
      status: number;
      body: { www_authenticate: Array<{ scheme: string; parameters: Record<string, string> }> };
      session_id: string;
    };
    expect(recheck.status).toBe(401);
    expect(recheck.session_id).toBe(exchanged.claims.sid);
    expect(recheck.body.www_authenticate[0]).toMatchObject({
      scheme: 'bearer',
      parameters: { error: 'invalid_token' },
    });
    expect((await context.cookies(base)).map((c) => c.name)).not.toContain('handover_session_demo');
    await shot(7, 'logged-out');

    // 8. The webhook: the bank page polls the demo vendor's inbox until this session's session.logged_out arrives.
    const webhookVerdict = page.getByTestId('webhook-verdict');
    await webhookVerdict.filter({ hasText: /arrived|No webhook/ }).waitFor({ timeout: 35_000 });
    await expect(webhookVerdict.textContent()).resolves.toMatch(/^session\.logged_out arrived \(webhook-id msg_\S+\)/);
    const webhook = JSON.parse((await page.getByTestId('webhook').textContent()) ?? '') as Record<string, unknown>;
    expect(webhook).toMatchObject({
      id: expect.stringMatching(/^msg_/),
      type: 'session.logged_out',
      verified: true,
      data: { session_id: exchanged.claims.sid, sub: exchanged.claims.sub, tenant: 'demo', reason: 'user_logout' },
    });
    await shot(8, 'webhook');

    // No script error, CSP violation or failed request on the way.
    expect(problems).toEqual([]);
  }, 100_000);
});
