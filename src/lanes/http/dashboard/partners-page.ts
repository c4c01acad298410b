import type { LaneFit } from '../../../domain/lane-fit/lane-fit';
import type { OpsSession } from '../../../domain/ops-users/ops-users';
import type { PartnerRecord } from '../../../domain/partners/onboarding.repository';
import type { PartnerState } from '../../../domain/partners/onboarding';
import type { StoredCredential } from '../../../domain/partners/credentials.repository';
import type { SubscriptionHealth } from '../../../domain/webhooks/deliveries.repository';
import type { WebhookSubscription } from '../../../domain/webhooks/subscriptions.repository';
import {
  credentialStatus,
  pendingRotations,
  type PendingRotation,
} from '../../security/credentials/credential';
import { html, type SafeHtml } from './html';
import { ageText, layout } from './pages';

/*
 * The partners page: each partner's onboarding state and the gates still unmet on its way forward,
 * lanes and CIDRs, credentials (ending soon, in rotation, expired but never revoked), and its
 * webhook subscriptions with their delivery health.
 */

const HOUR_MS = 3_600_000;
/** A delivery waiting longer than this is shown as late. */
const LATE_DELIVERY_SECONDS = 15 * 60;

export interface PartnerView extends PartnerRecord {
  readonly lanes: readonly { laneId: string; kind: string; cidrs: readonly string[] }[];
  /** The next lifecycle step and its unmet gates; undefined for a live partner. */
  readonly next: { readonly to: PartnerState; readonly unmet: readonly string[] } | undefined;
  readonly subscriptions: readonly WebhookSubscription[];
  /** The partner's last 30 days against each kind of lane's cost (read-only). */
  readonly laneFit?: LaneFit;
}

/** When a credential stops being accepted: its own end, or a certificate's notAfter if earlier. */
export function endOf(c: StoredCredential): Date | undefined {
  const ends = [c.validUntil, c.notAfter].filter((d): d is Date => d !== undefined);
  if (ends.length === 0) return undefined;
  return new Date(Math.min(...ends.map((d) => d.getTime())));
}

export interface CredentialWatch {
  /** Accepted now, not being rotated, and ending within the horizon: somebody has to rotate it. */
  readonly endingSoon: readonly StoredCredential[];
  /** Rotations whose notice is still open: the old and the new credential are both accepted. */
  readonly rotations: readonly PendingRotation[];
  /**
   * Past their end but never revoked: `rotatedOut` when a successor replaced it (the normal end of
   * a rotation), otherwise it lapsed with nothing in its place.
   */
  readonly expired: readonly { readonly credential: StoredCredential; readonly rotatedOut: boolean }[];
}

/** What ops should look at among one partner's credentials (all of its credentials, of every kind). */
export function credentialWatch(
  credentials: readonly StoredCredential[],
  now: Date,
  withinHours = 7 * 24,
): CredentialWatch {
  const t = now.getTime();
  const superseded = new Set(credentials.flatMap((c) => (c.supersedes === undefined ? [] : [c.supersedes])));
  const live = (c: StoredCredential) => {
    const end = endOf(c);
    return credentialStatus(c, now) === 'ACCEPTABLE' && (end === undefined || end.getTime() > t);
  };
  const endingSoon = credentials
    .filter((c) => {
      const end = endOf(c);
      return (
        live(c) &&
        c.noticeEndsAt === undefined &&
        !superseded.has(c.id) &&
        end !== undefined &&
        end.getTime() - t <= withinHours * HOUR_MS
      );
    })
    .sort((a, b) => (endOf(a)?.getTime() ?? 0) - (endOf(b)?.getTime() ?? 0));
  const expired = credentials
    .filter((c) => {
      const end = endOf(c);
      return c.revokedAt === undefined && end !== undefined && end.getTime() <= t;
    })
    .map((c) => ({ credential: c, rotatedOut: superseded.has(c.id) || c.noticeEndsAt !== undefined }))
    .sort((a, b) => (endOf(b.credential)?.getTime() ?? 0) - (endOf(a.credential)?.getTime() ?? 0));
  return { endingSoon, rotations: pendingRotations(credentials, now), expired };
}

function day(d: Date | undefined): string {
  return d === undefined ? '—' : d.toISOString().replace('T', ' ').slice(0, 16);
}

function hintOf(c: StoredCredential | undefined): string {
  if (c === undefined) return '(successor not listed)';
  return `${c.kind} ${c.hint ?? c.fingerprint.slice(0, 8)}`;
}

function gates(p: PartnerView): SafeHtml {
  if (p.next === undefined) return html`<p class="ok">Live: no onboarding step ahead.</p>`;
  if (p.next.unmet.length === 0) {
    return html`<p class="ok" data-next="${p.next.to}">Every gate to ${p.next.to} is met.</p>`;
  }
  return html`<div class="gates" data-next="${p.next.to}">
    <p class="warn">Unmet gates to ${p.next.to} (${p.next.unmet.length}):</p>
    <ul>
      ${p.next.unmet.map((g) => html`<li>${g}</li>`)}
    </ul>
  </div>`;
}

/** Rotated-out credentials older than this are history, not something to look at. */
const ROTATED_OUT_SHOWN_MS = 30 * 24 * HOUR_MS;

function credentialsPart(w: CredentialWatch, acceptable: number, now: Date): SafeHtml {
  const t = now.getTime();
  const expired = w.expired.filter(
    (e) => !e.rotatedOut || t - (endOf(e.credential)?.getTime() ?? t) <= ROTATED_OUT_SHOWN_MS,
  );
  const older = w.expired.length - expired.length;
  return html`<p>
      ${acceptable} accepted credential${acceptable === 1 ? '' : 's'};
      ${
        w.endingSoon.length === 0
          ? html`none ends within 7 days.`
          : html`<span class="warn" data-ending="${w.endingSoon.length}"
              >${w.endingSoon.length} end${w.endingSoon.length === 1 ? 's' : ''} within 7 days:
              ${w.endingSoon.map((c) => `${hintOf(c)} (${day(endOf(c))} UTC)`).join(', ')}</span
            >`
      }
    </p>
    ${
      w.rotations.length === 0
        ? html``
        : html`<table class="rotations">
            <caption>
              Rotations in progress (both credentials accepted until the notice ends)
            </caption>
            <thead>
              <tr>
                <th scope="col">Kind</th>
                <th scope="col">Old</th>
                <th scope="col">New</th>
                <th scope="col">Notice ends (UTC)</th>
                <th scope="col">Left</th>
              </tr>
            </thead>
            <tbody>
              ${w.rotations.map(
                (r) =>
                  html`<tr data-rotation="${r.previous.id}">
                    <td>${r.previous.kind}</td>
                    <td><code>${r.previous.hint ?? r.previous.fingerprint.slice(0, 8)}</code></td>
                    <td><code>${r.current?.hint ?? r.current?.fingerprint.slice(0, 8) ?? '?'}</code></td>
                    <td>${day(r.noticeEndsAt)}</td>
                    <td>${ageText(Math.round(r.remainingMs / 1000))}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`
    }
    ${
      expired.length === 0
        ? html``
        : html`<table class="expired">
            <caption>
              Expired, not revoked${older > 0 ? ` (${older} rotated out over 30 days ago not shown)` : ''}
            </caption>
            <thead>
              <tr>
                <th scope="col">Credential</th>
                <th scope="col">Ended (UTC)</th>
                <th scope="col">Ago</th>
                <th scope="col">Why</th>
              </tr>
            </thead>
            <tbody>
              ${expired.map(({ credential: c, rotatedOut }) => {
                const end = endOf(c);
                return html`<tr data-expired="${c.id}" class="${rotatedOut ? '' : 'late'}">
                  <td>${hintOf(c)}</td>
                  <td>${day(end)}</td>
                  <td>${end === undefined ? '' : ageText(Math.round((t - end.getTime()) / 1000))}</td>
                  <td>${rotatedOut ? 'rotated out (replaced)' : 'lapsed with no successor'}</td>
                </tr>`;
              })}
            </tbody>
          </table>`
    }`;
}

function webhooksPart(
  subs: readonly WebhookSubscription[],
  health: ReadonlyMap<string, SubscriptionHealth>,
): SafeHtml {
  if (subs.length === 0) return html`<p class="muted">No webhook subscription.</p>`;
  return html`<table class="webhooks">
    <caption>
      Webhook subscriptions and delivery health (last 24 h)
    </caption>
    <thead>
      <tr>
        <th scope="col">Endpoint</th>
        <th scope="col">State</th>
        <th scope="col">Waiting</th>
        <th scope="col">Oldest undelivered</th>
        <th scope="col">Retrying</th>
        <th scope="col">Gave up</th>
        <th scope="col">Delivered (24 h)</th>
        <th scope="col">Failed attempts (24 h)</th>
        <th scope="col">Last failure</th>
      </tr>
    </thead>
    <tbody>
      ${subs.map((s) => {
        const h = health.get(s.id);
        const late = h !== undefined && h.pending > 0 && h.oldestPendingAgeSeconds > LATE_DELIVERY_SECONDS;
        return html`<tr id="subscription-${s.id}">
          <th scope="row">
            <code>${s.url}</code><br /><span class="muted">${s.eventTypes.join(', ')}</span>
          </th>
          <td>
            ${s.state}${s.stateReason === null ? '' : html`<br /><span class="muted">${s.stateReason}</span>`}
          </td>
          <td data-pending="${h?.pending ?? 0}">${h?.pending ?? 0}</td>
          <td class="${late ? 'error' : ''}" data-oldest="${h?.oldestPendingAgeSeconds ?? 0}">
            ${h === undefined || h.pending === 0 ? '—' : ageText(h.oldestPendingAgeSeconds)}
          </td>
          <td data-retrying="${h?.retrying ?? 0}">${h?.retrying ?? 0}</td>
          <td class="${(h?.failed ?? 0) > 0 ? 'error' : ''}" data-failed="${h?.failed ?? 0}">
            ${h?.failed ?? 0}
          </td>
          <td data-delivered="${h?.deliveredInWindow ?? 0}">${h?.deliveredInWindow ?? 0}</td>
          <td data-failed-attempts="${h?.failedAttemptsInWindow ?? 0}">${h?.failedAttemptsInWindow ?? 0}</td>
          <td>
            ${
              h?.lastFailure == null
                ? '—'
                : `${h.lastFailure.statusCode === null ? 'no answer' : `HTTP ${h.lastFailure.statusCode}`} at ${day(h.lastFailure.at)}${h.lastFailure.error === null || h.lastFailure.error === `HTTP ${h.lastFailure.statusCode ?? ''}` ? '' : `: ${h.lastFailure.error.slice(0, 120)}`}`
            }
          </td>
        </tr>`;
      })}
    </tbody>
  </table>`;
}

const ACTION_TEXT: Record<LaneFit['recommendation']['action'], string> = {
  keep: 'keep',
  'move-down': 'move down',
  'move-up': 'move up',
  provision: 'provision',
};

/** Volume against lane cost: the traffic per lane, what each kind costs for it, and the advice. */
export function laneFitPart(fit: LaneFit | undefined): SafeHtml {
  if (fit === undefined) return html``;
  const r = fit.recommendation;
  const change =
    r.monthlyCostChange.replace(/[-0.]/g, '') === ''
      ? 'no change in cost'
      : r.monthlyCostChange.startsWith('-')
        ? `saves ${r.monthlyCostChange.slice(1)} ${r.currency} a month`
        : `costs ${r.monthlyCostChange} ${r.currency} more a month`;
  return html`<div class="lane-fit" data-lane-fit="${fit.partnerId}">
    <p>
      Last ${fit.window.days} days: <strong data-figure="fit-payments">${fit.traffic.payments}</strong>
      payments, peak ${fit.traffic.peakPerMinute} a minute.
    </p>
    <p class="recommendation" data-action="${r.action}">
      <strong>${ACTION_TEXT[r.action]}: ${r.kind}</strong> (${change}). ${r.reason}
    </p>
    <table class="lane-traffic">
      <caption>
        Traffic per lane
      </caption>
      <thead>
        <tr>
          <th scope="col">Lane</th>
          <th scope="col">Kind</th>
          <th scope="col">Payments</th>
          <th scope="col">Peak / min</th>
        </tr>
      </thead>
      <tbody>
        ${fit.traffic.lanes.map(
          (l) =>
            html`<tr>
              <th scope="row">${l.laneId}</th>
              <td>${l.kind}</td>
              <td>${l.payments}</td>
              <td>${l.peakPerMinute}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    <table class="lane-options">
      <caption>
        Lane cost against this volume
      </caption>
      <thead>
        <tr>
          <th scope="col">Kind</th>
          <th scope="col">Monthly</th>
          <th scope="col">Setup</th>
          <th scope="col">Per 1000 payments</th>
          <th scope="col">Lead time</th>
          <th scope="col">Worth it</th>
        </tr>
      </thead>
      <tbody>
        ${fit.options.map(
          (o) =>
            html`<tr data-kind="${o.kind}" class="${o.kind === r.kind ? 'chosen' : ''}">
              <th scope="row" title="${o.why}">${o.name}</th>
              <td class="amount">${o.monthlyCost} ${o.currency}</td>
              <td class="amount">${o.setupCost} ${o.currency}</td>
              <td class="amount">
                ${o.costPer1000Payments === null ? '—' : `${o.costPer1000Payments} ${o.currency}`}
              </td>
              <td>
                ${o.provisioningWeeks.max < 1 ? 'about a day' : `${o.provisioningWeeks.min}–${o.provisioningWeeks.max} weeks`}
              </td>
              <td data-worth="${o.worthIt}">${o.worthIt ? 'yes' : 'no'}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

export function partnersPage(
  session: OpsSession,
  partners: readonly PartnerView[],
  credentials: readonly StoredCredential[],
  health: readonly SubscriptionHealth[],
  now: Date,
): string {
  const byHealth = new Map(health.map((h) => [h.subscriptionId, h]));
  const watches = new Map(
    partners.map((p) => [
      p.id,
      credentialWatch(
        credentials.filter((c) => c.partnerId === p.id),
        now,
      ),
    ]),
  );
  const all = [...watches.values()];
  const shownSubs = new Set(partners.flatMap((p) => p.subscriptions.map((s) => s.id)));
  const ownHealth = health.filter((h) => shownSubs.has(h.subscriptionId));
  const waiting = ownHealth.reduce((n, h) => n + h.pending, 0);
  const oldest = ownHealth.reduce((m, h) => (h.pending > 0 ? Math.max(m, h.oldestPendingAgeSeconds) : m), 0);
  const cards = partners.map((p) => {
    const w = watches.get(p.id) ?? { endingSoon: [], rotations: [], expired: [] };
    const acceptable = credentials.filter((c) => {
      const end = endOf(c);
      return (
        c.partnerId === p.id &&
        credentialStatus(c, now) === 'ACCEPTABLE' &&
        (end === undefined || end.getTime() > now.getTime())
      );
    }).length;
    return html`<article class="card partner" id="partner-${p.id}" aria-labelledby="partner-${p.id}-h">
      <h2 id="partner-${p.id}-h">${p.name} <small>${p.id} · ${p.kind}</small></h2>
      <p>
        Onboarding state: <strong>${p.status}</strong> since
        ${p.statusChangedAt.toISOString().slice(0, 10)}${
          p.certificationPassedAt === null
            ? html`; not certified yet`
            : html`; certified ${p.certificationPassedAt.toISOString().slice(0, 10)}`
        }
      </p>
      ${gates(p)}
      <table>
        <caption>
          Lanes and source networks
        </caption>
        <tbody>
          ${
            p.lanes.length === 0
              ? html`<tr>
                  <td class="muted">On no lane.</td>
                </tr>`
              : p.lanes.map(
                  (l) =>
                    html`<tr>
                      <th scope="row">${l.laneId} (${l.kind})</th>
                      <td>${l.cidrs.join(', ') || 'any'}</td>
                    </tr>`,
                )
          }
        </tbody>
      </table>
      <h3>Lane fit</h3>
      ${laneFitPart(p.laneFit)}
      <h3>Credentials</h3>
      ${credentialsPart(w, acceptable, now)}
      <h3>Webhooks</h3>
      ${webhooksPart(p.subscriptions, byHealth)}
    </article>`;
  });
  return layout(
    'Partners',
    session,
    'partners',
    html`<dl class="figures summary">
        <div>
          <dt>Partners (not live)</dt>
          <dd>${partners.length} (${partners.filter((p) => p.status !== 'live').length})</dd>
        </div>
        <div>
          <dt>Rotations in progress</dt>
          <dd data-figure="rotations">${all.reduce((n, w) => n + w.rotations.length, 0)}</dd>
        </div>
        <div>
          <dt>Ending within 7 days</dt>
          <dd data-figure="ending">${all.reduce((n, w) => n + w.endingSoon.length, 0)}</dd>
        </div>
        <div>
          <dt>Expired, not revoked</dt>
          <dd data-figure="expired">${all.reduce((n, w) => n + w.expired.length, 0)}</dd>
        </div>
        <div>
          <dt>Webhooks waiting (oldest)</dt>
          <dd data-figure="webhooks-waiting">${waiting}${waiting > 0 ? ` (${ageText(oldest)})` : ''}</dd>
        </div>
        <div>
          <dt>Webhook deliveries given up</dt>
          <dd data-figure="webhooks-failed">${ownHealth.reduce((n, h) => n + h.failed, 0)}</dd>
        </div>
      </dl>
      <div class="partners">${cards}</div>`,
  );
}
