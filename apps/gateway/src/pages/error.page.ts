import { escapeHtml, layout } from './html.js';

/** A hosted page's error: what happened, in words, and never a redirect carrying a code. */
export function renderErrorPage(title: string, message: string): string {
  return layout(
    `${title} · Handover`,
    `<header><div class="wrap"><h1>Handover</h1><p>${escapeHtml(title)}</p></div></header>
<main><section><h2>${escapeHtml(title)}</h2><p data-testid="error">${escapeHtml(message)}</p></section></main>`,
  );
}
