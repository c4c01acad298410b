// billgate ops dashboard: the only script the pages load, served by the gateway itself.
// Pages work as plain server-rendered HTML; this adds sending forms as JSON with the session's CSRF
// token, the routing dry run, and the live Today page over server-sent events.
'use strict';

(function () {
  const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';
  const flash = document.getElementById('flash');

  function say(text, kind) {
    if (flash === null) return;
    flash.textContent = text;
    flash.className = kind;
  }

  function formJson(form) {
    const out = {};
    for (const [k, v] of new FormData(form).entries()) out[k] = String(v);
    return out;
  }

  async function send(url, body) {
    const res = await fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    let json = {};
    try {
      json = text === '' ? {} : JSON.parse(text);
    } catch {
      json = { title: text };
    }
    return { ok: res.ok, status: res.status, json };
  }

  function problemText(json) {
    const errors = Array.isArray(json.errors)
      ? json.errors.map((e) => `${e.field} ${e.message}`).join('; ')
      : '';
    return [json.title, json.detail, errors].filter((s) => typeof s === 'string' && s !== '').join(': ');
  }

  document.addEventListener('submit', async (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || form.dataset.action === undefined) return;
    event.preventDefault();
    const button = form.querySelector('button[type="submit"]');
    if (button) button.disabled = true;
    try {
      const answer = await send(form.dataset.action, formJson(form));
      if (!answer.ok) {
        say(problemText(answer.json) || `refused (${answer.status})`, 'error');
        return;
      }
      if (answer.json.scheduled !== undefined) {
        sessionStorage.setItem('flash', `Change scheduled for ${answer.json.effectiveAt}`);
      } else if (form.id !== 'sign-in') {
        sessionStorage.setItem('flash', 'Saved.');
      }
      const then = form.dataset.then;
      if (then === 'reload') window.location.reload();
      else if (then !== undefined) window.location.assign(then);
    } catch (error) {
      say(`Could not reach the gateway: ${error}`, 'error');
    } finally {
      if (button) button.disabled = false;
    }
  });

  document.addEventListener('click', async (event) => {
    const button = event.target;
    if (!(button instanceof HTMLButtonElement) || button.dataset.dryRun === undefined) return;
    const form = button.closest('form');
    const output = form?.querySelector('output.dry-run');
    if (!form || !output) return;
    // The change the form would make (enable/disable, or a new biller endpoint / settlement account).
    const { reason: _reason, effectiveAt: _at, expectedVersion: _version, ...change } = formJson(form);
    const id = form.dataset.action.split('/').pop();
    output.textContent = 'Running the dry run…';
    const answer = await send(button.dataset.dryRun, { id, ...change });
    if (!answer.ok) {
      output.textContent = problemText(answer.json);
      return;
    }
    const r = answer.json;
    const moves = (r.summary ?? []).map((s) => `${s.payments} from ${s.from} to ${s.to}`).join('; ');
    output.textContent = `Of ${r.examined} payments in the last ${r.days} days, ${r.changedCount} would have gone elsewhere${moves ? `: ${moves}` : ''}.`;
  });

  const stored = sessionStorage.getItem('flash');
  if (stored) {
    sessionStorage.removeItem('flash');
    say(stored, 'ok');
  }

  const live = document.querySelector('[data-live-source]');
  if (live !== null && typeof EventSource === 'function') {
    const source = new EventSource(live.getAttribute('data-live-source'));
    source.addEventListener('traffic', (event) => {
      const { fragments } = JSON.parse(event.data);
      for (const [id, markup] of Object.entries(fragments)) {
        const target = document.querySelector(`[data-live="${id}"]`);
        // Fragments are rendered (and escaped) by the gateway's own page code.
        if (target !== null) target.innerHTML = markup;
      }
      live.dataset.lastUpdate = String(Date.now());
    });
    source.addEventListener('error', () => say('Live updates paused; reconnecting…', 'warn'));
    source.addEventListener('open', () => {
      if (flash?.className === 'warn') say('', '');
    });
  }
})();
