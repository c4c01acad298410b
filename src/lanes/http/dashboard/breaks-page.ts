import type { OpsAuditListEntry } from '../../../domain/audit/ops-audit-log';
import { formatMajorAmount } from '../../../domain/money/money';
import type { OpsSession } from '../../../domain/ops-users/ops-users';
import { mayChange } from '../../../domain/ops-users/ops-users';
import {
  BREAK_CODES,
  BREAK_OWNERS,
  BREAK_STATES,
  RESOLUTION_CODES,
  type BreakCode,
} from '../../../domain/recon/break-codes';
import type { BreakEvent } from '../../../domain/recon/break-events.repository';
import type { ReconBreak } from '../../../domain/recon/breaks.repository';
import { barList } from './charts';
import { html, shortId, type SafeHtml } from './html';
import { ageText, layout, reasonField } from './pages';

/*
 * The breaks pages: the day's reconciliation breaks by code and owner with the ops API's filters,
 * and one break with its three rows side by side, its evidence, its story and the operator's work
 * on it (assign, comment, resolve — the adjusting journal previewed before it is confirmed).
 */

/** An open break older than this is past its SLA. */
export const BREAK_SLA_SECONDS = 4 * 3600;

export interface BreakFilters {
  readonly businessDate: string;
  readonly code?: string | undefined;
  readonly owner?: string | undefined;
  readonly partnerId?: string | undefined;
  readonly state?: string | undefined;
  readonly minAgeHours?: number | undefined;
}

export function breakAgeSeconds(b: ReconBreak, now: Date): number {
  const until = b.resolvedAt ?? b.clearedAt ?? now;
  return Math.max(0, Math.round((until.getTime() - b.raisedAt.getTime()) / 1000));
}

/** Open and past 4 hours: the SLA is missed. */
export function pastSla(b: ReconBreak, now: Date): boolean {
  return b.state === 'open' && breakAgeSeconds(b, now) > BREAK_SLA_SECONDS;
}

function amountOf(minor: bigint | null, currency: string | null): string {
  return minor === null || currency === null ? '—' : `${formatMajorAmount(minor, currency)} ${currency}`;
}

function option(value: string, label: string, current: string | undefined): SafeHtml {
  return html`<option value="${value}" ${value === (current ?? '') ? html`selected` : html``}>
    ${label}
  </option>`;
}

function filterForm(f: BreakFilters): SafeHtml {
  return html`<form class="search filters" method="get" action="/dashboard/breaks" role="search">
    <div>
      <label for="f-date">Business date</label
      ><input id="f-date" name="businessDate" type="date" value="${f.businessDate}" />
    </div>
    <div>
      <label for="f-code">Code</label
      ><select id="f-code" name="code">
        ${option('', 'any', f.code)}
        ${Object.entries(BREAK_CODES).map(([c, d]) => option(c, `${c} (${d.owner})`, f.code))}
      </select>
    </div>
    <div>
      <label for="f-owner">Owner</label
      ><select id="f-owner" name="owner">
        ${option('', 'any', f.owner)} ${BREAK_OWNERS.map((o) => option(o, o, f.owner))}
      </select>
    </div>
    <div>
      <label for="f-partner">Partner</label
      ><input id="f-partner" name="partnerId" value="${f.partnerId ?? ''}" placeholder="any" />
    </div>
    <div>
      <label for="f-state">State</label
      ><select id="f-state" name="state">
        ${option('', 'any', f.state)} ${BREAK_STATES.map((s) => option(s, s, f.state))}
      </select>
    </div>
    <div>
      <label for="f-age">Older than (hours)</label
      ><input
        id="f-age"
        name="minAgeHours"
        type="number"
        min="0"
        step="1"
        value="${f.minAgeHours === undefined ? '' : String(f.minAgeHours)}"
      />
    </div>
    <button type="submit">Filter</button>
  </form>`;
}

/** The day's breaks counted by code and owner (whatever the other filters). */
function summary(day: readonly ReconBreak[], now: Date): SafeHtml {
  const codes = Object.keys(BREAK_CODES) as BreakCode[];
  const rows = codes
    .map((code) => {
      const of = day.filter((b) => b.code === code);
      return {
        code,
        owner: BREAK_CODES[code].owner,
        open: of.filter((b) => b.state === 'open').length,
        late: of.filter((b) => pastSla(b, now)).length,
        resolved: of.filter((b) => b.state === 'resolved').length,
        cleared: of.filter((b) => b.state === 'cleared').length,
      };
    })
    .filter((r) => r.open + r.resolved + r.cleared > 0);
  const openByOwner = BREAK_OWNERS.map((o) => ({
    label: o,
    count: day.filter((b) => b.owner === o && b.state === 'open').length,
  })).filter((r) => r.count > 0);
  return html`<div class="grid">
    <div class="card">
      <table class="by-code">
        <caption>
          Breaks of the day by code and owner
        </caption>
        <thead>
          <tr>
            <th scope="col">Code</th>
            <th scope="col">Owner</th>
            <th scope="col">Open</th>
            <th scope="col">Past 4 h</th>
            <th scope="col">Resolved</th>
            <th scope="col">Cleared</th>
          </tr>
        </thead>
        <tbody>
          ${
            rows.length === 0
              ? html`<tr>
                  <td colspan="6" class="empty">No break on this day.</td>
                </tr>`
              : rows.map(
                  (r) =>
                    html`<tr data-code="${r.code}">
                      <th scope="row"><abbr title="${BREAK_CODES[r.code].meaning}">${r.code}</abbr></th>
                      <td>${r.owner}</td>
                      <td data-open="${r.open}">${r.open}</td>
                      <td class="${r.late > 0 ? 'error' : ''}">${r.late}</td>
                      <td>${r.resolved}</td>
                      <td>${r.cleared}</td>
                    </tr>`,
                )
          }
        </tbody>
      </table>
    </div>
    <div class="card">${barList(openByOwner, 'Open breaks by owner')}</div>
  </div>`;
}

export function breaksPage(
  session: OpsSession,
  filters: BreakFilters,
  day: readonly ReconBreak[],
  shown: readonly ReconBreak[],
  now: Date,
): string {
  return layout(
    'Breaks',
    session,
    'breaks',
    html`${filterForm(filters)} ${summary(day, now)}
      <table class="breaks">
        <caption>
          ${shown.length} break${shown.length === 1 ? '' : 's'} shown; open past 4 hours in red
        </caption>
        <thead>
          <tr>
            <th scope="col">Break</th>
            <th scope="col">Code</th>
            <th scope="col">Owner</th>
            <th scope="col">Partner</th>
            <th scope="col">Amount</th>
            <th scope="col">State</th>
            <th scope="col">Assignee</th>
            <th scope="col">Age</th>
            <th scope="col">Summary</th>
          </tr>
        </thead>
        <tbody>
          ${shown.map((b) => {
            const late = pastSla(b, now);
            return html`<tr id="break-${b.id}" class="${late ? 'late' : ''}" data-state="${b.state}">
              <td><a href="/dashboard/breaks/${b.id}">${shortId(b.id)}</a></td>
              <td>${b.code}</td>
              <td>${b.owner}</td>
              <td>${b.partnerId ?? '—'}</td>
              <td class="amount">${amountOf(b.amountMinor, b.currency)}</td>
              <td>${b.state}${b.resolutionCode === null ? '' : ` (${b.resolutionCode})`}</td>
              <td>${b.assignee ?? '—'}</td>
              <td data-sla="${late ? 'late' : 'ok'}">
                ${ageText(breakAgeSeconds(b, now))}${late ? html` <span class="badge">past 4 h</span>` : ''}
              </td>
              <td class="reason">${b.summary}</td>
            </tr>`;
          })}
        </tbody>
      </table>
      ${shown.length === 0 ? html`<p class="empty">No break matches these filters.</p>` : html``}
      <p>
        <a href="/dashboard/breaks.csv?businessDate=${filters.businessDate}">CSV of the day</a>
      </p>`,
  );
}

/** One source's row as the run kept it in the evidence. */
type SourceRow = Readonly<Record<string, unknown>> | null | undefined;

const ROW_FIELDS: readonly { key: string; label: string }[] = [
  { key: 'paymentId', label: 'Payment' },
  { key: 'partnerReference', label: 'Partner reference' },
  { key: 'billerReceipt', label: 'Biller receipt' },
  { key: 'amount', label: 'Amount' },
  { key: 'status', label: 'Status' },
  { key: 'valueDate', label: 'Value date' },
  { key: 'fileId', label: 'File' },
  { key: 'line', label: 'Line' },
  { key: 'matchedBy', label: 'Matched by' },
];

/** A cell of one source's row; money from its minor units, at the currency's precision. */
function cell(row: SourceRow, key: string): string {
  if (row === null || row === undefined) return '';
  if (key === 'amount') {
    const minor = row.amountMinor;
    const currency = row.currency;
    if (typeof minor === 'string' && /^-?\d{1,20}$/.test(minor) && typeof currency === 'string') {
      return `${formatMajorAmount(BigInt(minor), currency)} ${currency}`;
    }
    return '';
  }
  return text(row[key]);
}

/** A scalar of the evidence as text; anything else as JSON. */
function text(v: unknown): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'
    ? String(v)
    : JSON.stringify(v);
}

/** Which field of which side disagrees with ours (the evidence's disagreements). */
function disagreeing(evidence: Readonly<Record<string, unknown>>): Set<string> {
  const ds = Array.isArray(evidence.disagreements)
    ? (evidence.disagreements as { side?: unknown; field?: unknown }[])
    : [];
  const field = (f: unknown) => (f === 'currency' ? 'amount' : f);
  return new Set(ds.map((d) => `${text(d.side)}:${text(field(d.field))}`));
}

function threeRows(b: ReconBreak): SafeHtml {
  const e = b.evidence;
  const sides: readonly { key: 'partner' | 'ours' | 'biller'; label: string }[] = [
    { key: 'partner', label: 'Partner file' },
    { key: 'ours', label: 'Our ledger' },
    { key: 'biller', label: 'Biller file' },
  ];
  const off = disagreeing(e);
  return html`<table class="three-rows" id="three-rows">
    <caption>
      The three rows side by side (a field that disagrees with ours is marked)
    </caption>
    <thead>
      <tr>
        <th scope="col">Field</th>
        ${sides.map((s) => html`<th scope="col">${s.label}${e[s.key] == null ? ' (no row)' : ''}</th>`)}
      </tr>
    </thead>
    <tbody>
      ${ROW_FIELDS.map(
        (f) =>
          html`<tr>
            <th scope="row">${f.label}</th>
            ${sides.map((s) => {
              const mismatch = off.has(`${s.key}:${f.key}`);
              return html`<td
                data-side="${s.key}"
                data-field="${f.key}"
                class="${mismatch ? 'mismatch' : ''} ${f.key === 'amount' ? 'amount' : ''}"
              >
                ${cell(e[s.key] as SourceRow, f.key)}${mismatch ? html` <span class="badge">differs</span>` : ''}
              </td>`;
            })}
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function evidenceNotes(b: ReconBreak): SafeHtml {
  const e = b.evidence;
  const ds = Array.isArray(e.disagreements)
    ? (e.disagreements as { side?: unknown; field?: unknown; ours?: unknown; theirs?: unknown }[])
    : [];
  const notes = Array.isArray(e.notes) ? (e.notes as unknown[]).map(String) : [];
  // Evidence of other kinds (a B6's candidates, a B8's count sheet) shown as the run recorded it.
  const other = Object.fromEntries(
    Object.entries(e).filter(([k]) => !['ours', 'partner', 'biller', 'disagreements', 'notes'].includes(k)),
  );
  return html`<ul class="evidence">
      ${ds.map(
        (d) =>
          html`<li>
            ${text(d.side)} ${text(d.field)}:
            ${d.theirs === undefined ? '' : `theirs ${text(d.theirs)}`}${d.ours === undefined ? '' : `, ours ${text(d.ours)}`}
          </li>`,
      )}
      ${notes.map((n) => html`<li>${n}</li>`)}
    </ul>
    ${
      Object.keys(other).length === 0
        ? html``
        : html`<details>
            <summary>Other evidence</summary>
            <pre>${JSON.stringify(other, null, 2)}</pre>
          </details>`
    }`;
}

/** The journal a resolution posted, from its resolved event. */
function postedJournal(events: readonly BreakEvent[]): SafeHtml {
  const resolved = [...events].reverse().find((e) => e.kind === 'resolved');
  const journal = (resolved?.data as { journal?: { id?: string; lines?: unknown } } | null)?.journal;
  if (journal === undefined || journal === null || !Array.isArray(journal.lines)) return html``;
  const lines = journal.lines as { accountId: string; side: string; amount: string; currency: string }[];
  return html`<table class="journal" id="posted-journal">
    <caption>
      Adjusting journal posted (${journal.id ?? ''})
    </caption>
    <thead>
      <tr>
        <th scope="col">Account</th>
        <th scope="col">Debit</th>
        <th scope="col">Credit</th>
      </tr>
    </thead>
    <tbody>
      ${lines.map(
        (l) =>
          html`<tr>
            <td>${l.accountId}</td>
            <td class="amount">${l.side === 'D' ? `${l.amount} ${l.currency}` : ''}</td>
            <td class="amount">${l.side === 'C' ? `${l.amount} ${l.currency}` : ''}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function actions(b: ReconBreak, session: OpsSession): SafeHtml {
  if (!mayChange(session.user.role)) {
    return html`<p class="muted">Your role (viewer) can look at breaks but not work them.</p>`;
  }
  const base = `/dashboard/api/recon/breaks/${b.id}`;
  const assign = html`<details>
    <summary>Assign…</summary>
    <form class="action" data-action="${base}/assign" data-then="reload">
      <label for="assignee">Assignee (empty to unassign)</label
      ><input id="assignee" name="assignee" value="${b.assignee ?? session.user.username}" maxlength="100" />
      ${reasonField('assign-reason')}
      <button type="submit">Assign</button>
    </form>
  </details>`;
  const comment = html`<details>
    <summary>Comment…</summary>
    <form class="action" data-action="${base}/comments" data-then="reload">
      <label for="comment-text">Comment</label
      ><textarea id="comment-text" name="text" required maxlength="4000" rows="3"></textarea>
      <button type="submit">Add comment</button>
    </form>
  </details>`;
  if (b.state !== 'open') return html`${assign} ${comment}`;
  const resolve = html`<details open>
    <summary>Resolve…</summary>
    <form
      class="action resolve"
      id="resolve-form"
      data-action="${base}/resolve"
      data-preview="${base}/resolve/preview"
      data-then="reload"
    >
      <label for="resolution">Resolution</label
      ><select id="resolution" name="resolution" required>
        ${Object.entries(RESOLUTION_CODES).map(
          ([code, r]) =>
            html`<option value="${code}">
              ${code}: ${r.meaning}${r.movesMoney ? ' (posts an adjusting journal)' : ''}
            </option>`,
        )}
      </select>
      ${reasonField('resolve-reason')}
      <fieldset>
        <legend>Adjustment (money-moving resolutions; leave empty for the defaults)</legend>
        <label for="adj-amount">Amount${b.currency === null ? '' : ` (${b.currency})`}</label
        ><input id="adj-amount" name="amount" inputmode="decimal" pattern="\\d{1,15}(\\.\\d{1,3})?" />
        <label for="adj-debit">Debit account</label><input id="adj-debit" name="debitAccount" />
        <label for="adj-credit">Credit account</label><input id="adj-credit" name="creditAccount" />
      </fieldset>
      <input type="hidden" name="expectedJournal" value="" />
      <button type="button" data-preview-resolution>Preview the adjusting journal</button>
      <output class="journal-preview" aria-live="polite"></output>
      <button type="submit" disabled>Confirm resolution</button>
    </form>
  </details>`;
  return html`${assign} ${comment} ${resolve}`;
}

export function breakPage(
  session: OpsSession,
  b: ReconBreak,
  events: readonly BreakEvent[],
  audit: readonly OpsAuditListEntry[],
  now: Date,
): string {
  const late = pastSla(b, now);
  return layout(
    `Break ${b.code} ${shortId(b.id)}`,
    session,
    'breaks',
    html`<p id="break-summary" class="${late ? 'error' : ''}">${b.summary}</p>
      <dl class="story">
        <div>
          <dt>State</dt>
          <dd id="break-state" data-state="${b.state}">
            ${b.state}${b.resolutionCode === null ? '' : ` (${b.resolutionCode} by ${b.resolvedBy ?? '?'})`}
          </dd>
        </div>
        <div>
          <dt>Code</dt>
          <dd>${b.code}: ${BREAK_CODES[b.code].meaning}</dd>
        </div>
        <div>
          <dt>Owner</dt>
          <dd>${b.owner}</dd>
        </div>
        <div>
          <dt>Assignee</dt>
          <dd id="break-assignee">${b.assignee ?? '—'}</dd>
        </div>
        <div>
          <dt>Business date</dt>
          <dd><a href="/dashboard/breaks?businessDate=${b.businessDate}">${b.businessDate}</a></dd>
        </div>
        <div>
          <dt>Partner / biller</dt>
          <dd>${b.partnerId ?? '—'} / ${b.billerId ?? '—'}</dd>
        </div>
        <div>
          <dt>Payment</dt>
          <dd>
            ${b.paymentId === null ? '—' : html`<a href="/dashboard/payments/${b.paymentId}">${b.paymentId}</a>`}
          </dd>
        </div>
        <div>
          <dt>Amount</dt>
          <dd>${amountOf(b.amountMinor, b.currency)}</dd>
        </div>
        <div>
          <dt>Age</dt>
          <dd data-sla="${late ? 'late' : 'ok'}" class="${late ? 'error' : ''}">
            ${ageText(breakAgeSeconds(b, now))}${late ? ' — past the 4 hour SLA' : ''}
          </dd>
        </div>
      </dl>
      ${threeRows(b)}
      <h2>Evidence</h2>
      ${evidenceNotes(b)} ${postedJournal(events)}
      <h2>Work</h2>
      ${actions(b, session)}
      <h2>History</h2>
      <table class="events" id="break-events">
        <thead>
          <tr>
            <th scope="col">When (UTC)</th>
            <th scope="col">Who</th>
            <th scope="col">What</th>
            <th scope="col">Note</th>
          </tr>
        </thead>
        <tbody>
          ${events.map(
            (e) =>
              html`<tr data-kind="${e.kind}">
                <td>${e.at.toISOString().replace('T', ' ').slice(0, 19)}</td>
                <td>${e.actor}</td>
                <td>${e.kind}</td>
                <td class="reason">${e.note ?? ''}</td>
              </tr>`,
          )}
        </tbody>
      </table>
      <h2>Ops audit entries</h2>
      <table class="audit" id="break-audit">
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">When (UTC)</th>
            <th scope="col">Who</th>
            <th scope="col">Action</th>
            <th scope="col">Reason</th>
          </tr>
        </thead>
        <tbody>
          ${audit.map(
            (a) =>
              html`<tr data-audit-action="${a.action}">
                <td>${a.seq}</td>
                <td>${a.at.replace('T', ' ').slice(0, 19)}</td>
                <td>${a.actor}</td>
                <td>${a.action}</td>
                <td class="reason">${a.reason}</td>
              </tr>`,
          )}
        </tbody>
      </table>
      ${audit.length === 0 ? html`<p class="empty">Nobody has worked this break yet.</p>` : html``}`,
  );
}
