import { formatMajorAmount } from '../../../domain/money/money';
import type { OpsSession } from '../../../domain/ops-users/ops-users';
import { mayChange } from '../../../domain/ops-users/ops-users';
import type { AgentDetail, AgentListRow } from '../../../domain/ops-views/agent-network-view';
import { limitBar, permilleOf } from './charts';
import { html, shortId, type SafeHtml } from './html';
import { ageText, layout, reasonField } from './pages';

/*
 * The agent network's pages: every agent's cash limit use, unsettled cash, terminals, variances and
 * breaches; one agent's whole picture with the operator's actions (suspend, reinstate, clear a
 * variance), each with a mandatory reason and attributed to the signed-in user in the ops audit chain.
 */

function money(minor: bigint, currency: string): string {
  return `${formatMajorAmount(minor, currency)} ${currency}`;
}

function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function utc(d: Date): string {
  return `${d.toISOString().replace('T', ' ').slice(0, 19)} UTC`;
}

function since(d: Date | null, now: Date): SafeHtml {
  if (d === null) return html`<span class="muted">never</span>`;
  const seconds = Math.max(0, Math.round((now.getTime() - d.getTime()) / 1000));
  return html`<time datetime="${d.toISOString()}" title="${utc(d)}">${ageText(seconds)} ago</time>`;
}

function usedText(usedMinor: bigint, limitMinor: bigint): string {
  const p = permilleOf(usedMinor, limitMinor);
  return `${Math.floor(p / 10)}.${p % 10}%`;
}

function limitCell(a: AgentListRow['agent']): SafeHtml {
  const label = `Cash limit used by ${a.id}: ${money(a.unsettledMinor, a.currency)} of ${money(a.cashLimitMinor, a.currency)}`;
  return html`<div class="limit">
    ${limitBar(a.unsettledMinor, a.cashLimitMinor, label)}
    <span class="amount"
      >${`${formatMajorAmount(a.unsettledMinor, a.currency)} / ${money(a.cashLimitMinor, a.currency)}`}</span
    >
  </div>`;
}

function statusCell(a: AgentListRow['agent']): SafeHtml {
  return a.status === 'suspended'
    ? html`<span class="error">suspended</span
        >${a.suspensionReason === null ? '' : html`: ${a.suspensionReason}`}`
    : html`<span class="ok">active</span>`;
}

export function agentsPage(
  session: OpsSession,
  rows: readonly AgentListRow[],
  query: string,
  suspendedOnly: boolean,
  now: Date,
): string {
  const q = query.trim().toLowerCase();
  const shown = rows.filter(
    (r) =>
      (!suspendedOnly || r.agent.status === 'suspended') &&
      (q === '' || [r.agent.id, r.agent.partnerId, r.agent.region].some((v) => v.toLowerCase().includes(q))),
  );
  const suspended = rows.filter((r) => r.agent.status === 'suspended').length;
  const variances = rows.reduce((n, r) => n + r.openVariances.count, 0);
  const breaches = rows.reduce((n, r) => n + r.breaches.batches, 0);
  return layout(
    'Agents',
    session,
    'agents',
    html`<dl class="figures summary">
        <div>
          <dt>Agents</dt>
          <dd data-figure="agents">${rows.length}</dd>
        </div>
        <div>
          <dt>Suspended</dt>
          <dd data-figure="suspended">${suspended}</dd>
        </div>
        <div>
          <dt>Open count variances</dt>
          <dd data-figure="variances">${variances}</dd>
        </div>
        <div>
          <dt>Limit breaches found at sync</dt>
          <dd data-figure="breaches">${breaches}</dd>
        </div>
      </dl>
      <form class="search" method="get" action="/dashboard/agents" role="search">
        <label for="aq">Agent id, partner or region</label>
        <input id="aq" name="q" value="${query}" />
        <span class="check"
          ><input
            id="suspended-only"
            name="suspended"
            type="checkbox"
            value="1"
            ${suspendedOnly ? html`checked` : html``}
          /><label for="suspended-only">Suspended only</label></span
        >
        <button type="submit">Show</button>
      </form>
      <table class="agents">
        <caption>
          ${shown.length} of ${rows.length} agents
        </caption>
        <thead>
          <tr>
            <th scope="col">Agent</th>
            <th scope="col">Partner · region</th>
            <th scope="col">Status</th>
            <th scope="col">Cash limit used (unsettled / limit)</th>
            <th scope="col">Terminals (offline-capable)</th>
            <th scope="col">Last sync</th>
            <th scope="col">Open variances</th>
            <th scope="col">Breaches at sync</th>
          </tr>
        </thead>
        <tbody>
          ${shown.map(
            (r) =>
              html`<tr id="agent-${r.agent.id}" class="${r.agent.status === 'suspended' ? 'suspended' : ''}">
                <th scope="row">
                  <a href="/dashboard/agents/${encodeURIComponent(r.agent.id)}">${r.agent.id}</a>
                </th>
                <td>${r.agent.partnerId} · ${r.agent.region}</td>
                <td data-status="${r.agent.status}">${statusCell(r.agent)}</td>
                <td>${limitCell(r.agent)}</td>
                <td>
                  ${r.terminals.active}${r.terminals.revoked > 0 ? html` (+${r.terminals.revoked} revoked)` : ''}
                  · ${r.terminals.offlineCapable} offline
                </td>
                <td>${since(r.terminals.lastSyncAt, now)}</td>
                <td
                  class="${r.openVariances.count > 0 ? 'warn' : ''}"
                  data-variances="${r.openVariances.count}"
                >
                  ${r.openVariances.count}${r.openVariances.suspending > 0 ? ` (${r.openVariances.suspending} suspending)` : ''}
                </td>
                <td class="${r.breaches.batches > 0 ? 'warn' : ''}" data-breaches="${r.breaches.batches}">
                  ${r.breaches.batches === 0 ? '0' : `${r.breaches.batches}: ${money(r.breaches.overMinor, r.agent.currency)} over`}
                </td>
              </tr>`,
          )}
        </tbody>
      </table>
      ${shown.length === 0 ? html`<p class="empty">No agent matches.</p>` : html``}`,
  );
}

function actionForm(id: string, action: string, button: string, hint: string): SafeHtml {
  return html`<form class="action" data-action="${action}" data-then="reload">
    <p class="muted">${hint}</p>
    ${reasonField(id)}
    <button type="submit">${button}</button>
  </form>`;
}

function varianceState(sheet: AgentDetail['countSheets'][number]): { text: string; open: boolean } {
  if (sheet.varianceMinor === 0n) return { text: 'balanced', open: false };
  const v = sheet.variance;
  if (v === null) return { text: 'recorded', open: false };
  if (v.clearedAt !== null)
    return { text: `cleared by ${v.clearedBy ?? '?'} ${utc(v.clearedAt)}`, open: false };
  if (v.supersededBy !== null) return { text: `superseded by sheet ${shortId(v.supersededBy)}`, open: false };
  return { text: sheet.suspended ? 'open: suspended the agent' : 'open', open: true };
}

export function agentPage(session: OpsSession, d: AgentDetail, now: Date): string {
  const a = d.agent;
  const canChange = mayChange(session.user.role);
  const base = `/dashboard/api/agents/${encodeURIComponent(a.id)}`;
  const available = a.cashLimitMinor > a.unsettledMinor ? a.cashLimitMinor - a.unsettledMinor : 0n;
  const action = !canChange
    ? html`<p class="muted">Your role (viewer) can look but not change anything.</p>`
    : a.status === 'active'
      ? actionForm(
          'suspend-reason',
          `${base}/suspend`,
          'Suspend agent',
          'Its terminals are refused until it is reinstated.',
        )
      : actionForm(
          'reinstate-reason',
          `${base}/reinstate`,
          'Reinstate agent',
          'Its terminals may take payments again.',
        );
  const sheets = d.countSheets.map((s) => {
    const state = varianceState(s);
    return html`<tr id="sheet-${s.id}" class="${state.open ? 'open' : ''}">
      <td>${s.businessDate}</td>
      <td class="amount">${formatMajorAmount(s.countedMinor, s.currency)}</td>
      <td class="amount">${formatMajorAmount(s.ledgerPositionMinor, s.currency)}</td>
      <td class="amount ${s.varianceMinor < 0n ? 'error' : ''}" data-variance="${s.varianceMinor}">
        ${formatMajorAmount(s.varianceMinor, s.currency)}
      </td>
      <td>${state.text}${s.corrects === null ? '' : ` (corrects ${shortId(s.corrects)})`}</td>
      <td>${s.submittedBy}<br /><span class="muted">${utc(s.createdAt)}</span></td>
      <td>
        ${
          state.open && canChange
            ? html`<details>
                <summary>Clear variance…</summary>
                <form class="action" data-action="${base}/count-sheets/${s.id}/clear" data-then="reload">
                  ${reasonField(`clear-${s.id}`)}
                  <button type="submit">Clear variance</button>
                </form>
              </details>`
            : html``
        }
      </td>
    </tr>`;
  });
  return layout(
    `Agent ${a.id}`,
    session,
    'agents',
    html`<div class="grid">
        <section class="card" aria-labelledby="cash-h">
          <h2 id="cash-h">Cash</h2>
          <div class="limit big">
            ${limitBar(
              a.unsettledMinor,
              a.cashLimitMinor,
              `Cash limit used: ${money(a.unsettledMinor, a.currency)} of ${money(a.cashLimitMinor, a.currency)}`,
            )}
            <span>${usedText(a.unsettledMinor, a.cashLimitMinor)} of the limit used</span>
          </div>
          <dl class="story">
            <div>
              <dt>Unsettled cash</dt>
              <dd id="unsettled" class="amount">${money(a.unsettledMinor, a.currency)}</dd>
            </div>
            <div>
              <dt>Cash limit</dt>
              <dd class="amount">${money(a.cashLimitMinor, a.currency)}</dd>
            </div>
            <div>
              <dt>Available to collect</dt>
              <dd class="amount">${money(available, a.currency)}</dd>
            </div>
            <div>
              <dt>Ledger cash position</dt>
              <dd class="amount">${money(d.ledgerPositionMinor, a.currency)}</dd>
            </div>
            <div>
              <dt>Count variance threshold</dt>
              <dd class="amount">${money(a.varianceThresholdMinor, a.currency)}</dd>
            </div>
          </dl>
        </section>
        <section class="card" aria-labelledby="status-h">
          <h2 id="status-h">Status</h2>
          <p id="agent-status" data-status="${a.status}">${statusCell(a)}</p>
          <p>Partner ${a.partnerId}, region ${a.region}, since ${a.createdAt.toISOString().slice(0, 10)}.</p>
          ${action}
        </section>
      </div>
      <h2>Terminals</h2>
      ${
        d.terminals.length === 0
          ? html`<p class="empty">No terminal issued.</p>`
          : html`<table class="terminals">
              <thead>
                <tr>
                  <th scope="col">Terminal</th>
                  <th scope="col">Status</th>
                  <th scope="col">Key</th>
                  <th scope="col">Offline allowance</th>
                  <th scope="col">Last sync</th>
                  <th scope="col">Synced</th>
                </tr>
              </thead>
              <tbody>
                ${d.terminals.map(
                  (t) =>
                    html`<tr id="terminal-${t.id}" class="${t.status === 'revoked' ? 'disabled' : ''}">
                      <th scope="row">${t.id}<br /><span class="muted">${t.label}</span></th>
                      <td>${t.status}${t.revokedAt === null ? '' : ` ${utc(t.revokedAt)}`}</td>
                      <td><code>…${t.keyHint}</code></td>
                      <td>
                        ${
                          t.offlineMaxCount === 0 || t.offlineMaxTotalMinor === 0n
                            ? html`<span class="muted">online only</span>`
                            : `${count(t.offlineMaxCount, 'payment')}, ${money(t.offlineMaxTotalMinor, a.currency)}`
                        }
                      </td>
                      <td data-last-sync="${t.syncs?.lastSyncAt.toISOString() ?? ''}">
                        ${since(t.syncs?.lastSyncAt ?? null, now)}
                      </td>
                      <td>
                        ${t.syncs === null ? '—' : `${count(t.syncs.items, 'item')} in ${count(t.syncs.batches, 'batch', 'batches')}`}
                      </td>
                    </tr>`,
                )}
              </tbody>
            </table>`
      }
      <h2>Count sheets and variances</h2>
      ${
        d.countSheets.length === 0
          ? html`<p class="empty">No count sheet yet.</p>`
          : html`<table class="sheets">
              <caption>
                Amounts in ${a.currency}; variance is counted minus ledger (negative: cash missing)
              </caption>
              <thead>
                <tr>
                  <th scope="col">Business date</th>
                  <th scope="col">Counted</th>
                  <th scope="col">Ledger</th>
                  <th scope="col">Variance</th>
                  <th scope="col">State</th>
                  <th scope="col">Submitted by</th>
                  <th scope="col">Action</th>
                </tr>
              </thead>
              <tbody>
                ${sheets}
              </tbody>
            </table>`
      }
      <h2>Limit breaches found at sync</h2>
      ${
        d.breaches.length === 0
          ? html`<p class="empty">None.</p>`
          : html`<table class="breaches">
              <thead>
                <tr>
                  <th scope="col">Flagged</th>
                  <th scope="col">Terminal</th>
                  <th scope="col">Amount over</th>
                  <th scope="col">Payments</th>
                </tr>
              </thead>
              <tbody>
                ${d.breaches.map(
                  (b) =>
                    html`<tr data-batch="${b.batchId}">
                      <td>${utc(b.flaggedAt)}</td>
                      <td>${b.terminalId}</td>
                      <td class="amount">${money(b.amountOverMinor, a.currency)}</td>
                      <td>
                        <ul class="plain">
                          ${b.items.map(
                            (i) =>
                              html`<li>
                                <a href="/dashboard/payments/${i.paymentId}">${shortId(i.paymentId)}</a>
                                ${money(i.amountMinor, a.currency)} (over by
                                ${formatMajorAmount(i.overByMinor, a.currency)})
                              </li>`,
                          )}
                        </ul>
                      </td>
                    </tr>`,
                )}
              </tbody>
            </table>`
      }
      <h2>Settlements</h2>
      ${
        d.settlements.length === 0
          ? html`<p class="empty">No settlement yet.</p>`
          : html`<table>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Amount</th>
                  <th scope="col">Reference</th>
                  <th scope="col">Source</th>
                  <th scope="col">By</th>
                </tr>
              </thead>
              <tbody>
                ${d.settlements.map(
                  (s) =>
                    html`<tr>
                      <td>${utc(s.createdAt)}</td>
                      <td class="amount">${money(s.amountMinor, s.currency)}</td>
                      <td>${s.reference}</td>
                      <td>${s.source}</td>
                      <td>${s.actor}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
      }
      <h2>Ops actions on this agent</h2>
      ${
        d.audit.length === 0
          ? html`<p class="empty">None.</p>`
          : html`<table class="audit" id="agent-audit">
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">When</th>
                  <th scope="col">Who</th>
                  <th scope="col">Action</th>
                  <th scope="col">Reason</th>
                </tr>
              </thead>
              <tbody>
                ${d.audit.map(
                  (e) =>
                    html`<tr>
                      <td>${e.seq}</td>
                      <td>${e.at.replace('T', ' ').slice(0, 19)}</td>
                      <td>${e.actor}</td>
                      <td>${e.action}</td>
                      <td class="reason">${e.reason}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
      }`,
  );
}
