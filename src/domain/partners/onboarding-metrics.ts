import { sql } from 'kysely';
import type { Executor } from '../db';
import { isPartnerState, PARTNER_STATES, timeInStates, type PartnerState } from './onboarding';

/**
 * Onboarding as a product, in numbers: per partner and over all partners, the time spent in each
 * state and the time from contracts signed to each milestone (first passing certification report,
 * live, first settled payment, first clean reconciliation), and the certification attempts with
 * their pass rate. Read in a handful of aggregate queries, so a scrape does not cost one query per
 * partner.
 */

/**
 * Where the first clean reconciliation of a partner comes from: the reconciliation module, built
 * apart, provides it (the first daily cycle whose three-way match had no break for the partner).
 * Until it is wired in, NO_RECONCILIATION_YET answers null for everyone, the API shows null and the
 * gauge stays absent.
 */
export interface ReconciliationMilestones {
  firstCleanReconciliations(db: Executor): Promise<ReadonlyMap<string, Date>>;
}

export const NO_RECONCILIATION_YET: ReconciliationMilestones = {
  firstCleanReconciliations: () => Promise.resolve(new Map()),
};

export const MILESTONES = [
  'firstCertifiedRun',
  'live',
  'firstSettledPayment',
  'firstCleanReconciliation',
] as const;
export type Milestone = (typeof MILESTONES)[number];

export interface MilestoneReached {
  readonly at: string;
  /** From contracts signed; null when the partner has no contracts-signed date. */
  readonly secondsFromContractsSigned: number | null;
}

export interface CertificationAttempts {
  readonly attempts: number;
  readonly passed: number;
  readonly failed: number;
  /** passed / attempts; null before the first attempt. */
  readonly passRate: number | null;
}

export interface PartnerOnboardingMetrics {
  readonly partnerId: string;
  readonly state: PartnerState;
  readonly contractsSignedAt: string | null;
  readonly secondsInState: Partial<Record<PartnerState, number>>;
  readonly milestones: Readonly<Record<Milestone, MilestoneReached | null>>;
  readonly certification: CertificationAttempts;
}

export interface Distribution {
  /** Partners the figure is over. */
  readonly partners: number;
  readonly medianSeconds: number | null;
  readonly meanSeconds: number | null;
  readonly maxSeconds: number | null;
}

export interface OnboardingOverview {
  readonly partners: number;
  readonly byState: Readonly<Record<PartnerState, number>>;
  readonly secondsInState: Readonly<Record<PartnerState, Distribution>>;
  /** From contracts signed to each milestone, over the partners that reached it. */
  readonly milestones: Readonly<Record<Milestone, Distribution>>;
  readonly certification: CertificationAttempts;
}

function attempts(passed: number, failed: number): CertificationAttempts {
  const total = passed + failed;
  return { attempts: total, passed, failed, passRate: total === 0 ? null : passed / total };
}

export function distribution(values: readonly number[]): Distribution {
  if (values.length === 0) return { partners: 0, medianSeconds: null, meanSeconds: null, maxSeconds: null };
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  return {
    partners: sorted.length,
    medianSeconds: median,
    meanSeconds: sorted.reduce((a, b) => a + b, 0) / sorted.length,
    maxSeconds: sorted[sorted.length - 1] ?? null,
  };
}

const minDate = (a: Date | undefined, b: Date | undefined): Date | undefined =>
  a === undefined ? b : b === undefined ? a : a < b ? a : b;

export class OnboardingMetrics {
  /** First settled payments never move once found: kept, so a scrape reads payments once per partner. */
  private readonly firstSettled = new Map<string, Date>();

  constructor(
    private readonly db: Executor,
    private readonly reconciliation: ReconciliationMilestones = NO_RECONCILIATION_YET,
  ) {}

  async partners(now: Date): Promise<PartnerOnboardingMetrics[]> {
    const edge = this.db;
    const partners = await edge
      .selectFrom('partners')
      .select(['id', 'status', 'status_changed_at', 'contracts_signed_at'])
      .orderBy('id')
      .execute();
    const history = await edge
      .selectFrom('partner_state_history')
      .select(['partner_id', 'to_state', 'at'])
      .orderBy('partner_id')
      .orderBy('at')
      .orderBy('id')
      .execute();
    // A report is one certification attempt; a result recorded by hand (POST …/certification) is one too.
    const reports = await this.db
      .selectFrom('certification_reports')
      .select([
        'partner_id',
        'result',
        sql<Date>`min(finished_at)`.as('first'),
        sql<number>`count(*)::int`.as('n'),
      ])
      .groupBy(['partner_id', 'result'])
      .execute();
    const unsettled = partners.map((p) => p.id).filter((id) => !this.firstSettled.has(id));
    if (unsettled.length > 0) {
      const rows = await this.db
        .selectFrom('payments')
        .select(['partner_id', sql<Date>`min(created_at)`.as('first')])
        .where('partner_id', 'in', unsettled)
        .where('status', 'in', ['APPROVED', 'REVERSED'])
        .groupBy('partner_id')
        .execute();
      for (const r of rows) this.firstSettled.set(r.partner_id, new Date(r.first));
    }
    const reconciled = await this.reconciliation.firstCleanReconciliations(this.db);

    const byPartner = new Map<string, { toState: string; at: Date }[]>();
    for (const h of history) {
      const list = byPartner.get(h.partner_id) ?? [];
      list.push({ toState: h.to_state, at: h.at });
      byPartner.set(h.partner_id, list);
    }
    return partners.map((p): PartnerOnboardingMetrics => {
      const h = byPartner.get(p.id) ?? [];
      const state: PartnerState = isPartnerState(p.status) ? p.status : 'live';
      const signed = p.contracts_signed_at;
      const reached = (at: Date | undefined): MilestoneReached | null =>
        at === undefined
          ? null
          : {
              at: at.toISOString(),
              secondsFromContractsSigned:
                signed === null ? null : Math.max(0, (at.getTime() - signed.getTime()) / 1000),
            };
      const mine = reports.filter((r) => r.partner_id === p.id);
      const handPassed = h.filter((x) => x.toState === 'certification-passed');
      const handFailed = h.filter((x) => x.toState === 'certification-failed').length;
      const reportPassed = mine.find((r) => r.result === 'passed');
      const passed = (reportPassed?.n ?? 0) + handPassed.length;
      const failed = (mine.find((r) => r.result === 'failed')?.n ?? 0) + handFailed;
      const firstCertified = minDate(
        reportPassed === undefined ? undefined : new Date(reportPassed.first),
        handPassed[0]?.at,
      );
      return {
        partnerId: p.id,
        state,
        contractsSignedAt: signed?.toISOString() ?? null,
        secondsInState: timeInStates(h.length > 0 ? h : [{ toState: state, at: p.status_changed_at }], now),
        milestones: {
          firstCertifiedRun: reached(firstCertified),
          live: reached(h.find((x) => x.toState === 'live')?.at),
          firstSettledPayment: reached(this.firstSettled.get(p.id)),
          firstCleanReconciliation: reached(reconciled.get(p.id)),
        },
        certification: attempts(passed, failed),
      };
    });
  }

  async overview(now: Date): Promise<{ overall: OnboardingOverview; partners: PartnerOnboardingMetrics[] }> {
    const partners = await this.partners(now);
    const byState = Object.fromEntries(PARTNER_STATES.map((s) => [s, 0])) as Record<PartnerState, number>;
    for (const p of partners) byState[p.state] += 1;
    const secondsInState = Object.fromEntries(
      PARTNER_STATES.map((s) => [
        s,
        distribution(partners.map((p) => p.secondsInState[s]).filter((v): v is number => v !== undefined)),
      ]),
    ) as Record<PartnerState, Distribution>;
    const milestones = Object.fromEntries(
      MILESTONES.map((m) => [
        m,
        distribution(
          partners
            .map((p) => p.milestones[m]?.secondsFromContractsSigned)
            .filter((v): v is number => v !== null && v !== undefined),
        ),
      ]),
    ) as Record<Milestone, Distribution>;
    const passed = partners.reduce((n, p) => n + p.certification.passed, 0);
    const failed = partners.reduce((n, p) => n + p.certification.failed, 0);
    return {
      overall: {
        partners: partners.length,
        byState,
        secondsInState,
        milestones,
        certification: attempts(passed, failed),
      },
      partners,
    };
  }
}
