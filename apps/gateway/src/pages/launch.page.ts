import { escapeHtml, layout } from './html.js';

export interface LaunchPageModel {
  tenantName: string;
  vendorName: string;
  pluginUrl: string;
  vendorOrigin: string;
  code: string;
  state?: string;
  issuer: string;
  config: Record<string, unknown>;
}

/**
 * The plugin host page: frames the vendor's plugin and hands it the code by `postMessage`, to the vendor's
 * registered origin only, once the plugin says it is ready (launch-host.js checks the sender's origin and window).
 */
export function renderLaunchPage(m: LaunchPageModel): string {
  return layout(
    `${m.vendorName} · ${m.tenantName}`,
    `
<header class="bar"><div class="wrap bar-row">
  <button type="button" id="back" class="bar-back" data-testid="back">← Back</button>
  <span><strong>${escapeHtml(m.tenantName)}</strong> › ${escapeHtml(m.vendorName)}</span>
  <span class="bar-note">a third-party plugin, framed by ${escapeHtml(m.tenantName)}</span>
</div></header>
<main class="plugin-host">
  <iframe id="plugin" title="${escapeHtml(m.vendorName)}" src="${escapeHtml(m.pluginUrl)}" referrerpolicy="no-referrer"></iframe>
</main>
<div id="handoff" hidden
  data-origin="${escapeHtml(m.vendorOrigin)}"
  data-code="${escapeHtml(m.code)}"
  data-state="${escapeHtml(m.state ?? '')}"
  data-iss="${escapeHtml(m.issuer)}"
  data-config="${escapeHtml(JSON.stringify(m.config))}"></div>
<script src="/assets/launch-host.js"></script>`,
  );
}

/** Runs in the host page. Served as a file so the page's CSP can forbid inline script. */
export const LAUNCH_HOST_SCRIPT = `'use strict';
(function () {
  var handoff = document.getElementById('handoff');
  var frame = document.getElementById('plugin');
  var origin = handoff.dataset.origin;
  var delivered = false;
  // Back to where the user came from (the host platform's page that opened the plugin), or to the start.
  document.getElementById('back').addEventListener('click', function () {
    if (history.length > 1) history.back();
    else location.assign('/');
  });
  window.addEventListener('message', function (event) {
    if (delivered || event.source !== frame.contentWindow || event.origin !== origin) return;
    if (!event.data || event.data.type !== 'handover.ready') return;
    delivered = true;
    frame.contentWindow.postMessage({
      type: 'handover.code',
      code: handoff.dataset.code,
      state: handoff.dataset.state || undefined,
      iss: handoff.dataset.iss,
      config: JSON.parse(handoff.dataset.config)
    }, origin);
    handoff.remove();
  });
})();
`;
