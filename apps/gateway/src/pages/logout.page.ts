import { escapeHtml, layout } from './html.js';

export function renderLogoutPage(tenantName: string, action: string, csrfToken: string, continueTo: string): string {
  return layout(
    `Log out · ${tenantName}`,
    `<header><div class="wrap"><h1>${escapeHtml(tenantName)}</h1><p>Log out</p></div></header>
<main><section>
  <h2>Log out of ${escapeHtml(tenantName)}?</h2>
  <p>This ends your session everywhere: every plugin and vendor you opened loses access at once.</p>
  <form method="post" action="${escapeHtml(action)}">
    <input type="hidden" name="csrf" value="${escapeHtml(csrfToken)}">
    <input type="hidden" name="continue" value="${escapeHtml(continueTo)}">
    <button type="submit" data-testid="confirm-logout">Log out</button>
  </form>
</section></main>`,
  );
}

export function renderLoggedOutPage(tenantName: string): string {
  return layout(
    `Logged out · ${tenantName}`,
    `<header><div class="wrap"><h1>${escapeHtml(tenantName)}</h1><p>Logged out</p></div></header>
<main><section><h2 data-testid="logged-out">You are logged out.</h2><p>Your session and every token issued for it have ended.</p></section></main>`,
  );
}
