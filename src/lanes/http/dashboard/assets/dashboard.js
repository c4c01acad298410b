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

  // Resolving a break: the adjusting journal is previewed, then confirmed by its digest. Any change
  // to the form after the preview takes the confirmation away until it is previewed again.
  function resetPreview(form) {
    const expected = form.querySelector('input[name="expectedJournal"]');
    const submit = form.querySelector('button[type="submit"]');
    const output = form.querySelector('output.journal-preview');
    if (expected) expected.value = '';
    if (submit) submit.disabled = true;
    if (output) output.replaceChildren();
  }

  function journalTable(journal) {
    const table = document.createElement('table');
    table.className = 'journal';
    const caption = table.createCaption();
    caption.textContent = `Adjusting journal to be posted (${journal.currency})${journal.opensAccount ? `; opens ${journal.opensAccount}` : ''}`;
    const head = table.createTHead().insertRow();
    for (const label of ['Account', 'Debit', 'Credit']) {
      const th = document.createElement('th');
      th.scope = 'col';
      th.textContent = label;
      head.appendChild(th);
    }
    const body = table.createTBody();
    for (const line of journal.lines) {
      const row = body.insertRow();
      row.dataset.side = line.side;
      row.insertCell().textContent = line.accountId;
      const debit = row.insertCell();
      const credit = row.insertCell();
      debit.className = 'amount';
      credit.className = 'amount';
      // Amounts arrive as decimal strings at the currency's precision: shown as they are.
      (line.side === 'D' ? debit : credit).textContent = `${line.amount} ${journal.currency}`;
    }
    return table;
  }

  document.addEventListener('click', async (event) => {
    const button = event.target;
    if (!(button instanceof HTMLButtonElement) || button.dataset.previewResolution === undefined) return;
    const form = button.closest('form');
    if (!form || form.dataset.preview === undefined) return;
    resetPreview(form);
    const output = form.querySelector('output.journal-preview');
    const { expectedJournal: _expected, ...body } = formJson(form);
    output.textContent = 'Working out the adjusting journal…';
    const answer = await send(form.dataset.preview, body);
    output.replaceChildren();
    if (!answer.ok) {
      output.textContent = problemText(answer.json) || `refused (${answer.status})`;
      output.className = 'journal-preview error';
      return;
    }
    output.className = 'journal-preview';
    const r = answer.json;
    if (r.journal === null) {
      output.textContent = `${r.resolution} moves no money: no journal will be posted.`;
    } else {
      output.appendChild(journalTable(r.journal));
    }
    form.querySelector('input[name="expectedJournal"]').value = r.expectedJournal;
    const submit = form.querySelector('button[type="submit"]');
    submit.disabled = false;
    submit.focus();
  });

  for (const form of document.querySelectorAll('form[data-preview]')) {
    const changed = (event) => {
      if (event.target?.type === 'hidden') return;
      resetPreview(form);
    };
    form.addEventListener('input', changed);
    form.addEventListener('change', changed);
  }

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
