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
  // How long the page waits for the logout webhook: one look at the demo's inbox a second.
  var WEBHOOK_POLLS = 30;
  function errorOf(result) {
    var challenges = result.body && result.body.www_authenticate;
    var challenge = challenges && challenges[0];
    return (challenge && challenge.parameters && challenge.parameters.error) || (result.body && result.body.error) || '';
  }
  function awaitWebhook(sessionId) {
    var shown = document.getElementById('webhook');
    var said = document.getElementById('webhook-verdict');
    if (typeof sessionId !== 'string') {
      said.textContent = 'The Budget Planner held no token for this browser, so no session of its ended: open it before logging out.';
      shown.textContent = '';
      return;
    }
    var polls = 0;
    said.textContent = 'Waiting for the session.logged_out webhook…';
    (function poll() {
      polls += 1;
      // A failed look counts as "not yet": the next one may succeed.
      fetch('/demo/webhooks').then(function (r) { return r.json(); }).catch(function () { return {}; }).then(function (inbox) {
        var found = (inbox.deliveries || []).filter(function (d) {
          return d.type === 'session.logged_out' && d.data && d.data.session_id === sessionId;
        })[0];
        if (found) {
          shown.textContent = JSON.stringify(found, null, 2);
          said.textContent = 'session.logged_out arrived (webhook-id ' + found.id + '), its signature verified: the vendor knows the session ended.';
          said.classList.add('arrived');
        } else if (polls < WEBHOOK_POLLS) {
          setTimeout(poll, 1000);
        } else {
          said.textContent = 'No webhook after ' + WEBHOOK_POLLS + ' s: the dispatcher keeps retrying it; reload this page to look again.';
          said.classList.add('missing');
        }
      });
    })();
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
    awaitWebhook(result.session_id);
  });
})();
`;

export const DEMO_SCRIPTS: Record<string, string> = { 'demo-plugin.js': PLUGIN, 'demo-bank.js': BANK };
