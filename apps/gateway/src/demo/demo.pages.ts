import { escapeHtml, layout } from '../pages/html.js';

export function renderBankPage(m: {
  user?: { name: string | null; login: string };
  csrf: string;
  error?: string;
  loggedOut: boolean;
}): string {
  const body = m.user
    ? `<section>
  <h2 data-testid="welcome">Welcome, ${escapeHtml(m.user.name ?? m.user.login)}</h2>
  <p>You are signed in to Demo Bank. Its plugin marketplace has one plugin, the <strong>Budget Planner</strong> by a third-party vendor.</p>
  <p><a class="button" data-testid="open-plugin" href="/t/demo/plugins/demo-vendor/launch">Open the Budget Planner</a></p>
  <p class="muted">Opening it issues a one-time code bound to your session; the host page hands it to the plugin by postMessage; the vendor's backend exchanges it for a 30-minute access token and reads your data.</p>
  <p><a data-testid="logout" href="/t/demo/logout?continue=%2Fdemo%3Fafter%3Dlogout">Log out</a></p>
</section>`
    : `${
        m.loggedOut
          ? `<section>
  <h2 data-testid="logged-out">You logged out</h2>
  <p>Your session ended, and with it every token issued for it. The Budget Planner's backend tries its token once more:</p>
  <p id="recheck-verdict" class="verdict" data-testid="recheck-verdict">…</p>
  <pre id="recheck" data-testid="recheck">…</pre>
</section>
<section>
  <h2>The webhook</h2>
  <p>Handover also tells the Budget Planner that the session ended: a <code>session.logged_out</code> webhook to its endpoint <code>/demo/webhooks</code>, signed per Standard Webhooks and checked there with the <code>standardwebhooks</code> library. Delivery is durable and retried with the same <code>webhook-id</code> until it lands.</p>
  <p id="webhook-verdict" class="verdict" data-testid="webhook-verdict">…</p>
  <pre id="webhook" data-testid="webhook">…</pre>
</section>`
          : ''
      }<section>
  <h2>Sign in to Demo Bank</h2>
  ${m.error ? `<p class="error" data-testid="login-error">${escapeHtml(m.error)}</p>` : ''}
  <form method="post" action="/demo/login" class="sign-in">
    <input type="hidden" name="csrf" value="${escapeHtml(m.csrf)}">
    <label><span>Login</span><input name="login" value="demo" autocomplete="username"></label>
    <label><span>Password</span><input name="password" type="password" value="demo" autocomplete="current-password"></label>
    <button type="submit" data-testid="login">Sign in</button>
  </form>
  <p class="muted">The demo user is <code>demo</code> / <code>demo</code>.</p>
</section>`;
  return layout(
    'Demo Bank',
    `<header><div class="wrap"><h1>Demo Bank</h1><p>A host platform running Handover beside it · <a href="/" style="color:#c4cde0">about this demo</a></p></div></header>
<main>${body}</main>
<script src="/assets/demo-bank.js"></script>`,
  );
}

export function renderPluginPage(hostOrigin: string): string {
  const step = (id: string, title: string) =>
    `<section class="step"><h2>${escapeHtml(title)}</h2><pre id="${id}" data-testid="${id}">waiting…</pre></section>`;
  return layout(
    'Budget Planner (demo vendor)',
    `<header class="vendor"><div class="wrap"><h1>Budget Planner</h1><p>A demo vendor's plugin, served by the vendor and framed by the bank</p></div></header>
<main id="plugin-root" data-host-origin="${escapeHtml(hostOrigin)}">
  ${step('code', '1. The code the host page posted to this plugin')}
  ${step('config', "2. The vendor's configuration parameters")}
  ${step('token', "3. The vendor's backend exchanged the code (oauth4webapi, client_secret_basic)")}
  ${step('me', '4. GET /api/v1/me with the access token')}
  ${step('accounts', '5. GET /api/v1/accounts')}
</main>
<script src="/assets/demo-plugin.js"></script>`,
  );
}
