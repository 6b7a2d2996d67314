import { escapeHtml, layout } from './html.js';

export interface HomePageModel {
  baseUrl: string;
  mode: 'embedded' | 'distributed';
  demo: boolean;
}

/** The demo's front door: what Handover is, what runs here, and where to go next. */
export function renderHomePage({ baseUrl, mode, demo }: HomePageModel): string {
  const issuer = `${baseUrl}/t/demo`;
  const link = (path: string, label = path) => `<a href="${escapeHtml(path)}">${escapeHtml(label)}</a>`;
  return layout(
    'Handover: single-sign-on handover demo',
    `
<header><div class="wrap">
  <h1>Handover</h1>
  <p>Hand your logged-in users to third-party plugins and vendors, and back, safely.</p>
</div></header>
<main>
  <section>
    <h2>This instance <span class="pill" data-testid="mode">${escapeHtml(mode)} mode</span></h2>
    <p>${
      mode === 'embedded'
        ? 'All five apps (gateway, token, identity, user-data, webhooks) run in this one process, on an in-process bus, an in-memory short-lived store and an embedded PostgreSQL kept under <code>./data</code>.'
        : 'Each app runs as its own process and they talk over NATS; codes live in Redis and durable data in PostgreSQL.'
    }</p>
    <table>
      <tr><th>Demo tenant</th><td><code>demo</code>, issuer <code>${escapeHtml(issuer)}</code></td></tr>
      <tr><th>Host API key</th><td><code>demo-host-key</code></td></tr>
      <tr><th>Admin key</th><td><code>demo-admin-key</code></td></tr>
      <tr><th>Vendor</th><td><code>demo-vendor</code> / <code>demo-vendor-secret</code>, scopes <code>profile accounts vendor_data</code></td></tr>${
        demo
          ? `
      <tr><th>Webhooks</th><td>the vendor's endpoint <code>${escapeHtml(baseUrl)}/demo/webhooks</code>; what it received: ${link('/demo/webhooks')}</td></tr>`
          : ''
      }
      <tr><th>User</th><td><code>demo</code> / <code>demo</code>, two accounts with transactions</td></tr>
    </table>
  </section>
  ${
    demo
      ? `<section>
    <h2>Walk through a handover</h2>
    <p>Sign in to <strong>Demo Bank</strong> as <code>demo</code> / <code>demo</code>, open the Budget Planner plugin, watch its
    backend exchange the code and read <code>/me</code>, then log out: see its token refused and the signed
    <code>session.logged_out</code> webhook arrive at its endpoint.</p>
    <p><a class="button" data-testid="start-demo" href="/demo">Start the demo</a></p>
  </section>`
      : ''
  }
  <section>
    <h2>The plugin handover</h2>
    <ol>
      <li>The user logs in to the host platform, which opens a Handover session for them.</li>
      <li>Opening a vendor's plugin issues a one-time <strong>code</strong> (30 s, single use) bound to that session and vendor.</li>
      <li>The vendor's backend exchanges the code at the token endpoint for a 30-minute <strong>access token</strong>.</li>
      <li>With the token it reads <code>/api/v1/me</code>, accounts and transactions.</li>
      <li>On logout every token of the session dies at once and each vendor gets a signed <strong>webhook</strong>.</li>
    </ol>
  </section>
  <section>
    <h2>Try it</h2>
    <table>
      <tr><th>Authorization server metadata</th><td>${link('/t/demo/.well-known/oauth-authorization-server')}</td></tr>
      <tr><th>Signing keys (JWKS)</th><td>${link('/t/demo/jwks')}</td></tr>
      <tr><th>API reference</th><td>${link('/docs')} · ${link('/openapi.json')}</td></tr>
      <tr><th>Health and metrics</th><td>${link('/health')} · ${link('/metrics')}</td></tr>
    </table>
    <pre>curl ${escapeHtml(baseUrl)}/t/demo/.well-known/oauth-authorization-server</pre>
  </section>
</main>`,
  );
}
