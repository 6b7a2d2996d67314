/** The demo pages' scripts, served from /assets (the pages' CSP forbids inline script). */
const PLUGIN = `'use strict';
(function () {
  var root = document.getElementById('plugin-root');
  var hostOrigin = root.dataset.hostOrigin;
  function show(id, value) {
    var el = document.getElementById(id);
    el.textContent = typeof value === 'string' ? value : JSON.stringify(value, null, 2);
    el.closest('.step').classList.add('done');
  }
  window.addEventListener('message', function (event) {
    if (event.source !== window.parent || event.origin !== hostOrigin) return;
    if (!event.data || event.data.type !== 'handover.code') return;
    show('code', event.data.code.slice(0, 12) + '… (30 s, single use)');
    show('config', event.data.config);
    fetch('/demo/plugin/backend/exchange', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: event.data.code, iss: event.data.iss })
    }).then(function (r) { return r.json(); }).then(function (result) {
      if (result.error) { show('token', result); return; }
      show('token', { token: result.token, claims: result.claims });
      show('me', result.me);
      show('accounts', result.accounts);
    });
  });
  window.parent.postMessage({ type: 'handover.ready' }, hostOrigin);
})();
`;

const BANK = `'use strict';
(function () {
  var target = document.getElementById('recheck');
  var verdict = document.getElementById('recheck-verdict');
  if (!target) return;
  function errorOf(result) {
    var challenges = result.body && result.body.www_authenticate;
    var challenge = challenges && challenges[0];
    return (challenge && challenge.parameters && challenge.parameters.error) || (result.body && result.body.error) || '';
  }
  fetch('/demo/plugin/backend/recheck').then(function (r) { return r.json(); }).then(function (result) {
    target.textContent = JSON.stringify(result, null, 2);
    if (typeof result.status !== 'number') {
      verdict.textContent = 'The Budget Planner holds no token for this browser: open it before logging out.';
    } else if (result.status === 401) {
      verdict.textContent = 'HTTP 401 ' + errorOf(result) + ': the data API refused the token, it ended with your session.';
      verdict.classList.add('refused');
    } else {
      verdict.textContent = 'HTTP ' + result.status + ': the token was not refused.';
      verdict.classList.add('accepted');
    }
  });
})();
`;

export const DEMO_SCRIPTS: Record<string, string> = { 'demo-plugin.js': PLUGIN, 'demo-bank.js': BANK };
