import type { OpsAuditListEntry } from '../../../domain/audit/ops-audit-log';
import { formatMajorAmount } from '../../../domain/money/money';
import type { OpsSession } from '../../../domain/ops-users/ops-users';
import { mayChange } from '../../../domain/ops-users/ops-users';
import type { Payment } from '../../../domain/payments/payment';
import { html, shortId, type SafeHtml } from './html';
import { ageText, layout, reasonField } from './pages';

/*
 * Needs attention: the payments parked for a person (NEEDS_ATTENTION) with why and for how long, the
 * decision form ops take them out with, and the payments still PENDING an outcome.
 */

/** A parked payment waiting longer than this is shown as late. */
const LATE_SECONDS = 15 * 60;

/** What ops may decide: an undecided payment (parked from PENDING), or confirm the outcome it has. */
function outcomesFor(p: Payment): readonly string[] {
  const from = p.attention?.parkedFrom;
  if (from === undefined || from === 'PENDING') return ['DECLINED', 'APPROVED', 'PENDING'];
  return [from];
}

function ageOf(since: Date, now: Date): number {
  return Math.max(0, Math.round((now.getTime() - since.getTime()) / 1000));
}

function decisionForm(p: Payment): SafeHtml {
  const id = p.id;
  return html`<details>
    <summary>Decide…</summary>
    <form class="action decision" data-action="/dashboard/api/payments/${id}/decision" data-then="reload">
      <label for="outcome-${id}">Outcome</label
      ><select id="outcome-${id}" name="outcome" required>
        ${outcomesFor(p).map(
          (o) =>
            html`<option value="${o}">${o === 'PENDING' ? 'PENDING (ask the biller again)' : o}</option>`,
        )}
      </select>
      ${reasonField(`decision-reason-${id}`)}
      <label for="receipt-${id}">Biller receipt (APPROVED, when the biller gave one)</label
      ><input id="receipt-${id}" name="billerReceipt" maxlength="64" />
      <label for="settlement-${id}">Settlement reference (a refund settled by hand)</label
      ><input id="settlement-${id}" name="settlementReference" maxlength="64" />
      <button type="submit">Record decision</button>
    </form>
  </details>`;
}

function parkedRow(p: Payment, now: Date, canChange: boolean): SafeHtml {
  const since = p.attention?.since ?? p.updatedAt;
  const age = ageOf(since, now);
  return html`<tr id="attention-${p.id}" class="${age > LATE_SECONDS ? 'late' : ''}" data-state="${p.state}">
    <td><a href="/dashboard/payments/${p.id}">${p.id}</a></td>
    <td>${p.partnerId}</td>
    <td>${p.billType} ${p.billReference}</td>
    <td class="amount">${formatMajorAmount(p.amountMinor, p.currency)} ${p.currency}</td>
    <td>${p.attention?.parkedFrom ?? '—'}</td>
    <td class="reason">${p.attention?.reason ?? p.reasonCode}</td>
    <td data-age="${age}">${ageText(age)}</td>
    <td>${canChange ? decisionForm(p) : html`<span class="muted">viewer</span>`}</td>
  </tr>`;
}

function pendingRow(p: Payment, now: Date): SafeHtml {
  const age = ageOf(p.receivedAt, now);
  return html`<tr id="pending-${p.id}" class="${age > LATE_SECONDS ? 'late' : ''}">
    <td><a href="/dashboard/payments/${p.id}">${p.id}</a></td>
    <td>${p.partnerId}</td>
    <td>${p.billType} ${p.billReference}</td>
    <td class="amount">${formatMajorAmount(p.amountMinor, p.currency)} ${p.currency}</td>
    <td>${p.reasonCode}</td>
    <td data-age="${age}">${ageText(age)}</td>
  </tr>`;
}

export function attentionPage(
  session: OpsSession,
  parked: readonly Payment[],
  pending: readonly Payment[],
  decisions: readonly OpsAuditListEntry[],
  now: Date,
): string {
  const canChange = mayChange(session.user.role);
  return layout(
    'Needs attention',
    session,
    'attention',
    html`<dl class="figures summary">
        <div>
          <dt>Needs attention</dt>
          <dd data-figure="needs-attention">${parked.length}</dd>
        </div>
        <div>
          <dt>Pending an outcome</dt>
          <dd data-figure="pending">${pending.length}</dd>
        </div>
      </dl>
      <table class="attention">
        <caption>
          Parked for a person (oldest first); waiting more than 15 minutes in red
        </caption>
        <thead>
          <tr>
            <th scope="col">Payment</th>
            <th scope="col">Partner</th>
            <th scope="col">Bill</th>
            <th scope="col">Amount</th>
            <th scope="col">Parked from</th>
            <th scope="col">Why</th>
            <th scope="col">Waiting</th>
            <th scope="col">Decision</th>
          </tr>
        </thead>
        <tbody>
          ${parked.map((p) => parkedRow(p, now, canChange))}
        </tbody>
      </table>
      ${parked.length === 0 ? html`<p class="ok">No payment needs a person.</p>` : html``}
      <h2 id="pending-h">Pending an outcome</h2>
      ${
        pending.length === 0
          ? html`<p class="empty">No payment is pending.</p>`
          : html`<table class="pending" aria-labelledby="pending-h">
              <thead>
                <tr>
                  <th scope="col">Payment</th>
                  <th scope="col">Partner</th>
                  <th scope="col">Bill</th>
                  <th scope="col">Amount</th>
                  <th scope="col">Reason</th>
                  <th scope="col">Age</th>
                </tr>
              </thead>
              <tbody>
                ${pending.map((p) => pendingRow(p, now))}
              </tbody>
            </table>`
      }
      <h2 id="decisions-h">Recent decisions</h2>
      ${
        decisions.length === 0
          ? html`<p class="empty">No decision taken yet.</p>`
          : html`<table class="audit" id="decisions" aria-labelledby="decisions-h">
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">When (UTC)</th>
                  <th scope="col">Who</th>
                  <th scope="col">Payment</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">Reason</th>
                </tr>
              </thead>
              <tbody>
                ${decisions.map(
                  (d) =>
                    html`<tr data-payment="${d.subjectId}">
                      <td>${d.seq}</td>
                      <td>${d.at.replace('T', ' ').slice(0, 19)}</td>
                      <td>${d.actor}</td>
                      <td><a href="/dashboard/payments/${d.subjectId}">${shortId(d.subjectId)}</a></td>
                      <td>${outcomeOf(d.after)}</td>
                      <td class="reason">${d.reason}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
      }`,
  );
}

function outcomeOf(after: unknown): string {
  if (after === null || typeof after !== 'object') return '';
  const a = after as Record<string, unknown>;
  const v = a.state ?? a.outcome;
  return typeof v === 'string' ? v : '';
}
