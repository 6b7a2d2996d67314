/**
 * Browser helpers of the e2e suite: Debian's Chromium (never a downloaded browser) driven by playwright-core,
 * screenshots under test-output/screenshots/, and tiny loopback web sites that play a vendor's or an attacker's
 * origin next to the stack.
 *
 * Without Chromium at CHROMIUM_PATH (default /usr/bin/chromium) the browser tests are skipped with a message,
 * except under CI=true, where they fail: `.ci/run` installs Chromium.
 */
import { describe, it } from '@jest/globals';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ROOT, sleep } from './harness.js';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = join(ROOT, 'test-output', 'screenshots');

/** Host names the browser resolves to 127.0.0.1: another *site* than the stack's 127.0.0.1 (for SameSite). */
export const CROSS_SITE_HOST = 'attacker.test';

const ci = process.env.CI === 'true' || process.env.CI === '1';

/**
 * `describe` for tests that need Chromium. Without it: under CI a single failing test that says what is missing,
 * otherwise the block is skipped and a warning says why.
 */
export function describeWithBrowser(name: string, fn: () => void): void {
  if (existsSync(CHROMIUM_PATH)) {
    describe(name, fn);
    return;
  }
  const why = `no Chromium at ${CHROMIUM_PATH} (install Debian's \`chromium\` package, as .ci/run does, or set CHROMIUM_PATH)`;
  if (ci) {
    describe(name, () => {
      it('needs Chromium', () => {
        throw new Error(`CI=true and ${why}: the browser tests cannot run`);
      });
    });
    return;
  }
  console.warn(`SKIPPED "${name}": ${why}`);
  describe.skip(name, fn);
}

/** Headless Chromium with no network chatter of its own; `*.test` host names resolve to 127.0.0.1. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--host-resolver-rules=MAP *.test 127.0.0.1',
    ],
  });
}

/** Saves a full-page screenshot as test-output/screenshots/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * What went wrong inside a page: uncaught errors, console errors (a CSP violation is one) and failed
 * requests, each as one line, for an assertion that the list is empty.
 */
export function recordPageProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()} (${msg.location().url})`);
  });
  page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()} ${req.failure()?.errorText}`));
  return problems;
}

/** Whether the page in the frame of `iframeSelector` is the browser's error page (a refused or failed load). */
export async function frameRefused(page: Page, iframeSelector: string): Promise<boolean> {
  const frame = await (await page.$(iframeSelector))?.contentFrame();
  if (!frame) throw new Error(`no frame for ${iframeSelector}`);
  return frame.url().startsWith('chrome-error://');
}

// ---------------------------------------------------------------------------------------------------------------
// Loopback sites

export interface SiteResponse {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
}

export type SiteHandler = (url: URL, req: IncomingMessage) => SiteResponse;

/** What a site's page sent to `POST /report`, with the origin it was sent from. */
export interface SiteReport {
  origin: string;
  what: string;
  data: unknown;
}

export interface Site {
  port: number;
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  /** The URL of `path` on this site, under another host name if given (e.g. CROSS_SITE_HOST). */
  url(path: string, host?: string): string;
  /** Every request, as `METHOD host path`. */
  readonly requests: string[];
  /** Every `POST /report` body, in order. */
  readonly reports: SiteReport[];
  /** Resolves with the first report that matches, failing after `timeoutMs`. */
  waitForReport(match: (r: SiteReport) => boolean, timeoutMs?: number): Promise<SiteReport>;
  close(): Promise<void>;
}

/**
 * A web site on a free loopback port: `pages` maps a path to its answer (HTML by default, no CSP, frameable);
 * `POST /report` records a JSON `{what, data}` that the site's scripts send, and anything else is a 404.
 */
export async function startSite(pages: Record<string, SiteHandler>): Promise<Site> {
  const requests: string[] = [];
  const reports: SiteReport[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    requests.push(`${req.method} ${url.host} ${url.pathname}${url.search}`);
    if (req.method === 'POST' && url.pathname === '/report') {
      let body = '';
      req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        try {
          const parsed = JSON.parse(body) as { what?: unknown; data?: unknown };
          reports.push({ origin: String(req.headers.origin), what: String(parsed.what), data: parsed.data });
        } catch {
          reports.push({ origin: String(req.headers.origin), what: 'unparsable', data: body });
        }
        res.writeHead(204).end();
      });
      return;
    }
    const handler = Object.hasOwn(pages, url.pathname) ? pages[url.pathname] : undefined;
    if (!handler) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const answer = handler(url, req);
    res
      .writeHead(answer.status ?? 200, { 'content-type': 'text/html; charset=utf-8', ...answer.headers })
      .end(answer.body ?? '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    url: (path, host = '127.0.0.1') => `http://${host}:${port}${path}`,
    requests,
    reports,
    async waitForReport(match, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = reports.find(match);
        if (found) return found;
        if (Date.now() > deadline)
          throw new Error(`no matching report within ${timeoutMs} ms; reports: ${JSON.stringify(reports)}`);
        await sleep(25);
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An HTML page with an inline script (the test sites have no CSP). */
export function htmlPage(title: string, body: string, script = ''): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head>
<body>${body}${script ? `<script>${script}</script>` : ''}</body></html>`;
}

/** The script line that reports `{what, data}` to the page's own site. */
export const REPORT_FUNCTION = `function report(what, data) {
  return fetch('/report', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ what: what, data: data }) });
}`;

/** A new context whose pages record their problems; closed with the context. */
export async function newContext(
  browser: Browser,
  options: Parameters<Browser['newContext']>[0] = {},
): Promise<BrowserContext> {
  return browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
}
