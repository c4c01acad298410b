import type { ChainVerdict } from '../../../domain/audit/hash-chain';
import { formatMajorAmount } from '../../../domain/money/money';
import type { OpsSession } from '../../../domain/ops-users/ops-users';
import { mayChange } from '../../../domain/ops-users/ops-users';
import type { TrafficSnapshot } from '../../../domain/ops-views/live-traffic';
import type { PaymentAftermath, PaymentStory } from '../../../domain/ops-views/payment-story';
import type { Payment } from '../../../domain/payments/payment';
import type { AuditListEntry } from '../../../domain/routing/audit-log';
import type { ScheduledChange } from '../../../domain/routing/routing-admin';
import type { RoutingRule } from '../../../domain/routing/routing-rule';
import type { RoutingReferenceData } from '../../../domain/routing/rule-validator';
import { barList, perMinuteChart, ring } from './charts';
import { html, shortId, trusted, type SafeHtml } from './html';

/*
 * The dashboard's pages, rendered on the server. Money is always shown from minor units with the
 * currency's own precision (formatMajorAmount), never through a float.
 */

export type Section = 'today' | 'attention' | 'breaks' | 'routing' | 'payments' | 'partners' | 'agents';

const NAV: readonly { id: Section; href: string; label: string }[] = [
  { id: 'today', href: '/dashboard', label: 'Today' },
  { id: 'attention', href: '/dashboard/attention', label: 'Needs attention' },
  { id: 'breaks', href: '/dashboard/breaks', label: 'Breaks' },
  { id: 'routing', href: '/dashboard/routing', label: 'Routing' },
  { id: 'payments', href: '/dashboard/payments', label: 'Payments' },
  { id: 'partners', href: '/dashboard/partners', label: 'Partners' },
  { id: 'agents', href: '/dashboard/agents', label: 'Agents' },
];

export function layout(
  title: string,
  session: OpsSession | undefined,
  section: Section | undefined,
  body: SafeHtml,
): string {
  const nav =
    session === undefined
      ? html``
      : html`<nav aria-label="Sections">
          <ul>
            ${NAV.map(
              (n) =>
                html`<li>
                  <a href="${n.href}" ${n.id === section ? html` aria-current="page"` : html``}>${n.label}</a>
                </li>`,
            )}
          </ul>
          <form class="who" data-action="/dashboard/sign-out" data-then="/dashboard/sign-in">
            <span>${session.user.displayName} (${session.user.role})</span>
            <button type="submit">Sign out</button>
          </form>
        </nav>`;
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        ${session === undefined ? html`` : html`<meta name="csrf-token" content="${session.csrfToken}" />`}
        <title>${title} · billgate ops</title>
        <link rel="stylesheet" href="/dashboard/assets/dashboard.css" />
        <script src="/dashboard/assets/dashboard.js" defer></script>
      </head>
      <body>
        <header><a class="brand" href="/dashboard">billgate ops</a>${nav}</header>
        <main id="main">
          <h1>${title}</h1>
          <p id="flash" role="status" aria-live="polite"></p>
          ${body}
        </main>
      </body>
    </html>`.text;
}

export function signInPage(message?: string): string {
  return layout(
    'Sign in',
    undefined,
    undefined,
    html`<form id="sign-in" class="card narrow" data-action="/dashboard/session" data-then="/dashboard">
      ${message === undefined ? html`` : html`<p class="error">${message}</p>`}
      <label for="username">Username</label
      ><input id="username" name="username" autocomplete="username" required />
      <label for="password">Password</label
      ><input id="password" name="password" type="password" autocomplete="current-password" required />
      <button type="submit">Sign in</button>
    </form>`,
  );
}

export function ageText(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m`;
}

/** The live parts of the Today page, by element id: sent whole over server-sent events. */
export function todayFragments(s: TrafficSnapshot): Record<string, string> {
  const share = s.approved + s.declined === 0 ? null : s.approved / (s.approved + s.declined);
  const volume = Object.entries(s.approvedMinorByCurrency).map(
    ([currency, minor]) => html`<li>${formatMajorAmount(BigInt(minor), currency)} ${currency}</li>`,
  );
  return {
    'traffic-chart': perMinuteChart(s.perMinute, s.windowMinutes, new Date(s.at)).text,
    'approval-ring': ring(share, `Approval rate, last ${s.windowMinutes} min`).text,
    'declines-chart': barList(
      s.declinesByReason.map((d) => ({ label: d.reason, count: d.count })),
      'Declines by reason',
    ).text,
    figures: html`<dl class="figures">
        <div>
          <dt>Payments (${s.windowMinutes} min)</dt>
          <dd data-figure="total">${s.total}</dd>
        </div>
        <div>
          <dt>Approved</dt>
          <dd data-figure="approved">${s.approved}</dd>
        </div>
        <div>
          <dt>Declined</dt>
          <dd data-figure="declined">${s.declined}</dd>
        </div>
        <div>
          <dt>Latency p50</dt>
          <dd>${s.latencyMs.p50 === null ? '—' : `${s.latencyMs.p50} ms`}</dd>
        </div>
        <div>
          <dt>Latency p99</dt>
          <dd>${s.latencyMs.p99 === null ? '—' : `${s.latencyMs.p99} ms`}</dd>
        </div>
      </dl>
      <ul class="volume" aria-label="Approved volume">
        ${volume}
      </ul>`.text,
    waiting:
      s.waiting.length === 0
        ? html`<p class="ok">No payment is waiting for an outcome.</p>`.text
        : html`<table>
            <caption>
              Waiting for a final state
            </caption>
            <thead>
              <tr>
                <th scope="col">State</th>
                <th scope="col">Payments</th>
                <th scope="col">Oldest</th>
              </tr>
            </thead>
            <tbody>
              ${s.waiting.map(
                (w) =>
                  html`<tr class="${w.oldestAgeSeconds > 900 ? 'late' : ''}">
                    <td><a href="/dashboard/payments?state=${w.state}">${w.state}</a></td>
                    <td data-waiting="${w.state}">${w.count}</td>
                    <td>${ageText(w.oldestAgeSeconds)}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`.text,
    updated: html`Updated ${s.at.slice(11, 19)} UTC`.text,
  };
}

export function todayPage(session: OpsSession, s: TrafficSnapshot): string {
  const f = todayFragments(s);
  const part = (id: string) => html`<div id="${id}" data-live="${id}">${trusted(f[id] ?? '')}</div>`;
  return layout(
    'Today',
    session,
    'today',
    html`<section class="live" data-live-source="/dashboard/live" aria-label="Live traffic">
      <p class="updated" id="updated" data-live="updated" aria-live="off">${trusted(f.updated ?? '')}</p>
      <div class="grid">
        <div class="card wide">${part('traffic-chart')}</div>
        <div class="card">${part('approval-ring')}</div>
        <div class="card">${part('figures')}</div>
        <div class="card">${part('declines-chart')}</div>
        <div class="card">${part('waiting')}</div>
      </div>
    </section>`,
  );
}

export function reasonField(id: string): SafeHtml {
  return html`<label for="${id}">Reason (mandatory)</label
    ><input id="${id}" name="reason" required minlength="3" maxlength="500" />`;
}

/** Where a rule may point: billers serving its bill type, settlement accounts in its biller's currency. */
function destinationForm(r: RoutingRule, reference: RoutingReferenceData): SafeHtml {
  const billers = [...reference.billers].filter(([, b]) => b.billType === r.billType).map(([id]) => id);
  const currency = reference.billers.get(r.billerEndpoint)?.currency;
  const accounts = [...reference.accounts]
    .filter(([, a]) => a.kind === 'settlement' && (currency === undefined || a.currency === currency))
    .map(([id]) => id);
  const options = (ids: readonly string[], current: string) =>
    [...ids]
      .sort()
      .map((id) => html`<option value="${id}" ${id === current ? html`selected` : html``}>${id}</option>`);
  return html`<details>
    <summary>Change destination…</summary>
    <form class="destination" data-action="/dashboard/api/routing/rules/${r.id}" data-then="reload">
      <input type="hidden" name="expectedVersion" value="${r.version}" />
      <label for="biller-${r.id}">Biller endpoint (serves ${r.billType})</label
      ><select id="biller-${r.id}" name="billerEndpoint">
        ${options(billers, r.billerEndpoint)}
      </select>
      <label for="account-${r.id}">Settlement account${currency === undefined ? '' : ` (${currency})`}</label
      ><select id="account-${r.id}" name="settlementAccount">
        ${options(accounts, r.settlementAccount)}
      </select>
      ${reasonField(`dest-reason-${r.id}`)}
      <label for="dest-at-${r.id}">Effective at (optional, UTC)</label
      ><input id="dest-at-${r.id}" name="effectiveAt" type="datetime-local" />
      <button type="button" data-dry-run="/dashboard/api/routing/dry-run">Dry run on recent traffic</button>
      <button type="submit">Save destination</button>
      <output class="dry-run" aria-live="polite"></output>
    </form>
  </details>`;
}

/** What a scheduled change will do, in words (its payload as the routing API stored it). */
function scheduledChangeText(c: ScheduledChange): string {
  const payload = (c.change ?? {}) as { patch?: Record<string, unknown>; rule?: Record<string, unknown> };
  if (c.action === 'delete') return 'delete the rule';
  const fields = payload.patch ?? payload.rule ?? {};
  return (
    Object.entries(fields)
      .map(([k, v]) => `${k} → ${String(v)}`)
      .join('; ') || c.action
  );
}

export function routingPage(
  session: OpsSession,
  rules: readonly RoutingRule[],
  scheduled: readonly ScheduledChange[],
  query: string,
  reference: RoutingReferenceData,
): string {
  const q = query.trim().toLowerCase();
  const shown =
    q === '' ? rules : rules.filter((r) => Object.values(r).some((v) => String(v).toLowerCase().includes(q)));
  const canChange = mayChange(session.user.role);
  const rows = shown.map(
    (r) =>
      html`<tr id="rule-${r.id}" class="${r.enabled ? '' : 'disabled'}">
        <td><a href="/dashboard/routing/audit?ruleId=${r.id}">${shortId(r.id)}</a></td>
        <td>${r.billType}</td>
        <td>${r.payerType}</td>
        <td>${r.partnerId}</td>
        <td>${r.billerEndpoint}</td>
        <td>${r.settlementAccount}</td>
        <td data-enabled="${r.enabled}">${r.enabled ? 'enabled' : 'disabled'}</td>
        <td>${r.version}</td>
        <td>
          ${
            canChange
              ? html`<details>
                    <summary>${r.enabled ? 'Disable' : 'Enable'}…</summary>
                    <form class="flip" data-action="/dashboard/api/routing/rules/${r.id}" data-then="reload">
                      <input type="hidden" name="enabled" value="${r.enabled ? 'false' : 'true'}" />
                      <input type="hidden" name="expectedVersion" value="${r.version}" />
                      ${reasonField(`reason-${r.id}`)}
                      <label for="at-${r.id}">Effective at (optional, UTC)</label
                      ><input id="at-${r.id}" name="effectiveAt" type="datetime-local" />
                      <button type="button" data-dry-run="/dashboard/api/routing/dry-run">
                        Dry run on recent traffic
                      </button>
                      <button type="submit">${r.enabled ? 'Disable rule' : 'Enable rule'}</button>
                      <output class="dry-run" aria-live="polite"></output>
                    </form>
                  </details>
                  ${destinationForm(r, reference)}`
              : html`<span class="muted">viewer</span>`
          }
        </td>
      </tr>`,
  );
  const pending = scheduled.filter((c) => c.state === 'pending');
  return layout(
    'Routing',
    session,
    'routing',
    html`<form class="search" method="get" action="/dashboard/routing" role="search">
        <label for="q">Search rules</label
        ><input id="q" name="q" value="${query}" placeholder="bill type, partner, biller…" />
        <button type="submit">Search</button> <a href="/dashboard/routing/audit">Audit trail</a>
      </form>
      <table class="rules">
        <caption>
          ${shown.length} of ${rules.length} rules
        </caption>
        <thead>
          <tr>
            <th scope="col">Rule</th>
            <th scope="col">Bill type</th>
            <th scope="col">Payer type</th>
            <th scope="col">Partner</th>
            <th scope="col">Biller endpoint</th>
            <th scope="col">Settlement account</th>
            <th scope="col">State</th>
            <th scope="col">Version</th>
            <th scope="col">Change</th>
          </tr>
        </thead>
        <tbody>
          ${rows}
        </tbody>
      </table>
      <h2 id="scheduled-h">Scheduled changes</h2>
      ${
        pending.length === 0
          ? html`<p class="empty">None pending.</p>`
          : html`<table class="scheduled" aria-labelledby="scheduled-h">
              <thead>
                <tr>
                  <th scope="col">Effective (UTC)</th>
                  <th scope="col">Rule</th>
                  <th scope="col">Change</th>
                  <th scope="col">By</th>
                  <th scope="col">Reason</th>
                  <th scope="col">Cancel</th>
                </tr>
              </thead>
              <tbody>
                ${pending.map(
                  (c) =>
                    html`<tr id="scheduled-${c.id}">
                      <td>${c.effectiveAt.replace('T', ' ').slice(0, 19)}</td>
                      <td>
                        ${
                          c.ruleId === null
                            ? 'new rule'
                            : html`<a href="/dashboard/routing/audit?ruleId=${c.ruleId}"
                                >${shortId(c.ruleId)}</a
                              >`
                        }
                      </td>
                      <td>${scheduledChangeText(c)}</td>
                      <td>${c.actor}</td>
                      <td class="reason">${c.reason}</td>
                      <td>
                        ${
                          canChange
                            ? html`<details>
                                <summary>Cancel…</summary>
                                <form
                                  class="action"
                                  data-action="/dashboard/api/routing/scheduled/${c.id}/cancel"
                                  data-then="reload"
                                >
                                  ${reasonField(`cancel-${c.id}`)}
                                  <button type="submit">Cancel change</button>
                                </form>
                              </details>`
                            : html``
                        }
                      </td>
                    </tr>`,
                )}
              </tbody>
            </table>`
      }`,
  );
}

export function auditPage(
  session: OpsSession,
  entries: readonly AuditListEntry[],
  verdict: ChainVerdict,
  ruleId: string | undefined,
): string {
  return layout(
    'Routing audit trail',
    session,
    'routing',
    html`<p class="${verdict.intact ? 'ok' : 'error'}" id="chain-verdict">
        ${
          verdict.intact
            ? `Chain intact: ${verdict.checked} entries verified against the chain head.`
            : `Chain broken at entry ${verdict.firstBrokenAt ?? '?'}: ${verdict.detail ?? verdict.problem ?? ''}`
        }
      </p>
      ${ruleId === undefined ? html`` : html`<p>Entries for rule ${ruleId}. <a href="/dashboard/routing/audit">All entries</a></p>`}
      <table class="audit">
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">When (UTC)</th>
            <th scope="col">Who</th>
            <th scope="col">Action</th>
            <th scope="col">Rule</th>
            <th scope="col">Reason</th>
            <th scope="col">Change</th>
          </tr>
        </thead>
        <tbody>
          ${[...entries].reverse().map(
            (e) =>
              html`<tr>
                <td>${e.seq}</td>
                <td>${e.at.replace('T', ' ').slice(0, 19)}</td>
                <td>${e.actor}</td>
                <td>${e.action}</td>
                <td><a href="/dashboard/routing/audit?ruleId=${e.ruleId}">${shortId(e.ruleId)}</a></td>
                <td class="reason">${e.reason}</td>
                <td><code>${describeChange(e.before, e.after)}</code></td>
              </tr>`,
          )}
        </tbody>
      </table>`,
  );
}

function describeChange(before: unknown, after: unknown): string {
  if (before === null || typeof before !== 'object') return 'created';
  if (after === null || typeof after !== 'object') return 'deleted';
  const b = before as Record<string, unknown>;
  const a = after as Record<string, unknown>;
  const changed = Object.keys(a).filter(
    (k) => k !== 'version' && JSON.stringify(a[k]) !== JSON.stringify(b[k]),
  );
  return (
    changed.map((k) => `${k}: ${JSON.stringify(b[k])} → ${JSON.stringify(a[k])}`).join('; ') || 'no change'
  );
}

function paymentRow(p: Payment): SafeHtml {
  return html`<tr>
    <td><a href="/dashboard/payments/${p.id}">${p.id}</a></td>
    <td>${p.createdAt.toISOString().replace('T', ' ').slice(0, 19)}</td>
    <td>${p.partnerId}</td>
    <td>${p.lane}/${p.protocol}</td>
    <td>${p.billType}</td>
    <td>${p.billReference}</td>
    <td class="amount">${formatMajorAmount(p.amountMinor, p.currency)} ${p.currency}</td>
    <td>${p.state}</td>
    <td>${p.reasonCode}</td>
  </tr>`;
}

export function paymentsPage(
  session: OpsSession,
  payments: readonly Payment[],
  query: string,
  state: string | undefined,
): string {
  return layout(
    'Payments',
    session,
    'payments',
    html`<form class="search" method="get" action="/dashboard/payments" role="search">
        <label for="pq">Payment id, partner reference, bill reference or idempotency key</label>
        <input id="pq" name="q" value="${query}" /><button type="submit">Search</button>
      </form>
      ${state === undefined ? html`` : html`<p>Showing payments in state ${state}.</p>`}
      <table class="payments">
        <thead>
          <tr>
            <th scope="col">Payment</th>
            <th scope="col">Received (UTC)</th>
            <th scope="col">Partner</th>
            <th scope="col">Lane</th>
            <th scope="col">Bill type</th>
            <th scope="col">Bill reference</th>
            <th scope="col">Amount</th>
            <th scope="col">State</th>
            <th scope="col">Reason</th>
          </tr>
        </thead>
        <tbody>
          ${payments.map(paymentRow)}
        </tbody>
      </table>
      ${payments.length === 0 ? html`<p class="empty">No payment matches.</p>` : html``}`,
  );
}

function utcText(d: Date | string): string {
  return `${(typeof d === 'string' ? d : d.toISOString()).replace('T', ' ').slice(0, 19)} UTC`;
}

function eventData(data: Readonly<Record<string, unknown>>): string {
  const parts: string[] = [];
  for (const k of ['initiatedBy', 'reason', 'billerReceipt', 'state']) {
    if (typeof data[k] === 'string') parts.push(`${k}: ${data[k]}`);
  }
  const minor = data.amountMinor;
  const currency = data.currency;
  // The partner receives minor units as a decimal string; ops read the amount in its own precision.
  if (typeof minor === 'string' && /^-?\d{1,20}$/.test(minor) && typeof currency === 'string') {
    parts.push(`amount: ${formatMajorAmount(BigInt(minor), currency)} ${currency}`);
  }
  return parts.join('; ');
}

/** An attempt's error, unless it only repeats its HTTP status. */
function attemptError(statusCode: number | null, error: string | null): string {
  if (error === null || error === `HTTP ${statusCode ?? ''}`) return '';
  return ` (${error.slice(0, 160)})`;
}

/** The payment's life after its answer: reversals and refund, events, and the webhooks sent for them. */
function aftermathPart(a: PaymentAftermath): SafeHtml {
  const reversals =
    a.reversals.length === 0
      ? html`<p class="empty">No reversal.</p>`
      : html`<table class="reversals">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">By</th>
              <th scope="col">Reference</th>
              <th scope="col">Amount</th>
              <th scope="col">Reason</th>
            </tr>
          </thead>
          <tbody>
            ${a.reversals.map(
              (r) =>
                html`<tr data-reversal="${r.kind}">
                  <td>${utcText(r.at)}</td>
                  <td>${r.kind === 'biller' ? 'the biller' : 'the partner (arrived before the payment)'}</td>
                  <td><code>${r.reference}</code></td>
                  <td class="amount">
                    ${r.amountMinor === null || r.currency === null ? '—' : `${formatMajorAmount(r.amountMinor, r.currency)} ${r.currency}`}
                  </td>
                  <td class="reason">${r.reason}</td>
                </tr>`,
            )}
          </tbody>
        </table>`;
  const refund =
    a.refund === null
      ? html``
      : html`<p id="refund" class="${a.refund.state === 'refunded' ? 'ok' : 'warn'}">
          Refund to the customer at core banking:
          ${formatMajorAmount(a.refund.amountMinor, a.refund.currency)} ${a.refund.currency},
          ${a.refund.state}${a.refund.coreBankingRef === null ? '' : ` (${a.refund.coreBankingRef})`} after
          ${a.refund.attempts}
          attempt${a.refund.attempts === 1 ? '' : 's'}${a.refund.lastError === null ? '' : `; last error: ${a.refund.lastError}`}.
        </p>`;
  const events =
    a.events.length === 0
      ? html`<p class="empty">No event for the partner.</p>`
      : html`<table class="events">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Event</th>
              <th scope="col">Webhook id</th>
              <th scope="col">Data</th>
            </tr>
          </thead>
          <tbody>
            ${a.events.map(
              (e) =>
                html`<tr data-event="${e.type}">
                  <td>${utcText(e.occurredAt)}</td>
                  <td>${e.type}</td>
                  <td><code>${e.id}</code></td>
                  <td>${eventData(e.data)}</td>
                </tr>`,
            )}
          </tbody>
        </table>`;
  const deliveries =
    a.deliveries.length === 0
      ? html`<p class="empty">No webhook was sent (the partner has no subscription for these events).</p>`
      : html`<table class="deliveries">
          <thead>
            <tr>
              <th scope="col">Event</th>
              <th scope="col">Endpoint</th>
              <th scope="col">State</th>
              <th scope="col">Attempts (response)</th>
            </tr>
          </thead>
          <tbody>
            ${a.deliveries.map(
              (d) =>
                html`<tr data-delivery="${d.id}" data-state="${d.state}">
                  <td>${d.eventType}<br /><code>${d.eventId}</code></td>
                  <td><code>${d.url}</code></td>
                  <td>
                    ${d.state}${d.deliveredAt === null ? '' : ` ${utcText(d.deliveredAt)}`}${d.nextAttemptAt === null ? '' : html`<br /><span class="muted">next attempt ${utcText(d.nextAttemptAt)}</span>`}
                  </td>
                  <td>
                    <ol class="attempts">
                      ${d.attemptLog.map(
                        (t) =>
                          html`<li data-outcome="${t.outcome}">
                            ${utcText(t.at)}: ${t.outcome},
                            ${t.statusCode === null ? 'no HTTP answer' : `HTTP ${t.statusCode}`}${t.outcome === 'delivered' ? '' : attemptError(t.statusCode, t.error)}
                          </li>`,
                      )}
                    </ol>
                  </td>
                </tr>`,
            )}
          </tbody>
        </table>`;
  return html`<h2>Reversals</h2>
    ${reversals} ${refund}
    <h2>Events told to the partner</h2>
    ${events}
    <h2>Webhooks sent</h2>
    ${deliveries}`;
}

export function paymentStoryPage(
  session: OpsSession,
  story: PaymentStory,
  routeAudit: readonly AuditListEntry[],
  aftermath: PaymentAftermath,
): string {
  const p = story.payment;
  const journals = story.journals.map(
    (j) =>
      html`<table class="journal">
        <caption>
          ${j.kind}: ${j.memo} (${j.at.toISOString().replace('T', ' ').slice(0, 19)} UTC)
        </caption>
        <thead>
          <tr>
            <th scope="col">Account</th>
            <th scope="col">Debit</th>
            <th scope="col">Credit</th>
          </tr>
        </thead>
        <tbody>
          ${j.lines.map(
            (l) =>
              html`<tr>
                <td>${l.accountId}</td>
                <td class="amount">${l.side === 'D' ? formatMajorAmount(l.amountMinor, j.currency) : ''}</td>
                <td class="amount">${l.side === 'C' ? formatMajorAmount(l.amountMinor, j.currency) : ''}</td>
              </tr>`,
          )}
        </tbody>
      </table>`,
  );
  const why =
    p.route === null
      ? html`<p>No route was taken (the payment was refused before routing).</p>`
      : html`<p id="route-why">
            Routed by rule
            <a href="/dashboard/routing/audit?ruleId=${p.route.ruleId}">${p.route.ruleId}</a> version
            ${p.route.version} (the rule for bill type ${p.billType}, payer type ${p.payerType}, partner
            ${p.partnerId} or the wildcard partner) to <code>${p.route.billerEndpoint}</code>, settling into
            <code>${p.route.settlementAccount}</code>.
          </p>
          ${
            routeAudit.length === 0
              ? html``
              : html`<ul class="route-history">
                  ${routeAudit.map(
                    (e) => html`<li>#${e.seq} ${e.at.slice(0, 19)} ${e.actor} ${e.action}: ${e.reason}</li>`,
                  )}
                </ul>`
          }`;
  return layout(
    `Payment ${p.id}`,
    session,
    'payments',
    html`<dl class="story">
        <div>
          <dt>State</dt>
          <dd id="payment-state">${p.state} (${p.reasonCode})</dd>
        </div>
        <div>
          <dt>Amount</dt>
          <dd>${formatMajorAmount(p.amountMinor, p.currency)} ${p.currency}</dd>
        </div>
        <div>
          <dt>Partner</dt>
          <dd>${p.partnerId} via ${p.lane} (${p.protocol})</dd>
        </div>
        <div>
          <dt>Payer</dt>
          <dd>${p.payerType} ${p.payerKind}</dd>
        </div>
        <div>
          <dt>Bill</dt>
          <dd>${p.billType} ${p.billReference}</dd>
        </div>
        <div>
          <dt>Partner reference</dt>
          <dd>${p.partnerReference}</dd>
        </div>
        <div>
          <dt>Idempotency key</dt>
          <dd>${p.idempotencyKey}${story.idempotency === null ? '' : ` (${story.idempotency.state})`}</dd>
        </div>
        <div>
          <dt>Biller receipt</dt>
          <dd>${p.billerReceipt ?? '—'}</dd>
        </div>
        <div>
          <dt>Core banking reference</dt>
          <dd>${p.coreBankingRef ?? '—'}</dd>
        </div>
        <div>
          <dt>Received</dt>
          <dd>${p.receivedAt.toISOString()}</dd>
        </div>
        <div>
          <dt>Last change</dt>
          <dd>${p.updatedAt.toISOString()}</dd>
        </div>
      </dl>
      <h2>Why it went there</h2>
      ${why}
      <h2>Journals</h2>
      ${journals.length === 0 ? html`<p class="empty">Nothing was posted.</p>` : journals}
      ${aftermathPart(aftermath)}`,
  );
}
