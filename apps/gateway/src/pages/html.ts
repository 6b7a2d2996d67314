/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Security headers for Handover's own server-rendered pages: no framing, no inline script, no referrer. */
export const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy':
    "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  // same-origin, not no-referrer: with no-referrer browsers send `Origin: null` on our own form posts.
  'referrer-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
} as const;

export function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
  :root { --ink: #1d2433; --muted: #5b6475; --line: #e3e7ee; --accent: #0b5fff; --bg: #f6f8fb; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
  header { background: #0f1b33; color: #fff; padding: 28px 0 24px; }
  main, .wrap { max-width: 920px; margin: 0 auto; padding: 0 24px; }
  header h1 { margin: 0 0 6px; font-size: 28px; letter-spacing: -0.01em; }
  header p { margin: 0; color: #c4cde0; }
  section { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 20px 24px; margin: 20px 0; }
  h2 { margin: 0 0 10px; font-size: 19px; }
  code, pre { font: 13.5px/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
  code { background: #eef1f6; padding: 1px 5px; border-radius: 4px; }
  pre { background: #0f1b33; color: #e6ecf8; padding: 12px 14px; border-radius: 8px; overflow-x: auto; }
  a { color: var(--accent); }
  table { border-collapse: collapse; width: 100%; }
  td, th { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
  th { color: var(--muted); font-weight: 600; font-size: 14px; }
  .pill { display: inline-block; font-size: 12px; padding: 2px 8px; border-radius: 999px; background: #e6f0ff; color: #0b3fa8; }
  .muted { color: var(--muted); }
  ol li { margin: 4px 0; }
  .button, button { display: inline-block; background: var(--accent); color: #fff; border: 0; border-radius: 6px; padding: 9px 16px; font: inherit; text-decoration: none; cursor: pointer; }
  label { display: block; margin: 8px 0; }
  input { font: inherit; padding: 6px 8px; border: 1px solid var(--line); border-radius: 6px; margin-left: 6px; }
  .error { color: #b42318; }
  .sign-in label span { display: inline-block; width: 90px; }
  .sign-in button { margin-top: 6px; }
  .bar { background: #0f1b33; color: #fff; padding: 8px 0; border-bottom: 3px solid var(--accent); }
  .bar-row { display: flex; align-items: center; gap: 14px; max-width: none; }
  .bar-back { background: transparent; border: 1px solid #51607d; padding: 3px 10px; font-size: 14px; white-space: nowrap; }
  .bar-back:hover { background: #22314f; }
  .bar-note { margin-left: auto; color: #9fb0cf; font-size: 13px; }
  @media (max-width: 640px) { .bar-note { display: none; } }
  .plugin-host { max-width: none; padding: 0; }
  .plugin-host iframe { width: 100%; height: calc(100vh - 48px); border: 0; display: block; }
  header.vendor { background: #0d5c4b; padding: 18px 0 16px; }
  header.vendor h1 { font-size: 24px; }
  header.vendor p { color: #cde8df; }
  .verdict { font-weight: 600; }
  .verdict.refused { color: #1a7f37; }
  .verdict.accepted { color: #b42318; }
  .verdict.arrived { color: #1a7f37; }
  .verdict.missing { color: #b42318; }
  .step.done h2::after { content: ' ✓'; color: #1a7f37; }
</style>
</head>
<body>${body}</body>
</html>`;
}
