import type { Db } from '../db';
import { RecentTrafficRepository, type TrafficWindow } from './recent-traffic.repository';
import {
  applyInMemory,
  destinationLabel,
  reroute,
  type DryRunChange,
  type ProposedChange,
  type RoutedTo,
} from './route-table';
import type { RuleAdmin } from './rule-admin';
import type { RuleWrites } from './rule-writes';
import { RoutingError, isWildcard, tupleOf } from './routing-rule';

export interface DryRunAnswer {
  readonly days: number;
  readonly since: string;
  readonly examined: number;
  readonly changedCount: number;
  readonly changed: readonly DryRunChange[];
  readonly truncated: boolean;
  readonly sameDestinationOtherRule: number;
  readonly summary: readonly { from: string; to: string; payments: number }[];
}

/** What a proposed rule change would have done to recent traffic; nothing is written. */
export class RoutingDryRun {
  private readonly traffic: RecentTrafficRepository;

  constructor(
    db: Db,
    private readonly admin: RuleAdmin,
    private readonly writes: RuleWrites,
  ) {
    this.traffic = new RecentTrafficRepository(db);
  }

  /**
   * Which of the last `days` days' payments would have gone elsewhere with the change applied.
   * Evaluated in memory over the rule table; nothing is written. Payments are grouped by where they
   * went, so a busy tuple costs one grouped scan plus one fetch per changed group.
   */
  async run(change: ProposedChange, days = 7, now = new Date(), limit = 1000): Promise<DryRunAnswer> {
    const current = await this.admin.list();
    if (change.action !== 'delete') {
      const candidate =
        change.action === 'create'
          ? change.rule
          : (() => {
              const rule = current.find((r) => r.id === change.id);
              if (rule === undefined) throw new RoutingError('not-found', `no routing rule ${change.id}`);
              return { ...rule, ...change.patch };
            })();
      await this.writes.checkReference(candidate);
    }
    const applied = applyInMemory(current, change);
    if (applied === undefined) {
      throw new RoutingError('not-found', `no routing rule ${change.action === 'create' ? '' : change.id}`);
    }
    const touched = applied.touched;
    const clash =
      change.action !== 'delete' && touched.enabled
        ? applied.rules.find((r) => r.enabled && r.id !== touched.id && tupleOf(r) === tupleOf(touched))
        : undefined;
    if (clash !== undefined) {
      throw new RoutingError('conflict', `enabled rule ${clash.id} already routes ${tupleOf(touched)}`, {
        conflictingRuleId: clash.id,
      });
    }

    const since = new Date(now.getTime() - days * 86_400_000);
    const window: TrafficWindow = {
      since,
      until: now,
      billType: touched.billType,
      payerType: touched.payerType,
      ...(isWildcard(touched) ? {} : { partnerId: touched.partnerId }),
    };
    const groups = await this.traffic.groups(window);

    const examined = groups.reduce((n, g) => n + g.payments, 0);
    let sameDestinationOtherRule = 0;
    let changedCount = 0;
    const summary = new Map<string, { from: string; to: string; payments: number }>();
    const changed: DryRunChange[] = [];
    for (const group of groups) {
      const from: RoutedTo | null =
        group.routeRuleId !== null && group.billerEndpoint !== null && group.settlementAccount !== null
          ? {
              ruleId: group.routeRuleId,
              billerEndpoint: group.billerEndpoint,
              settlementAccount: group.settlementAccount,
            }
          : null;
      const n = group.payments;
      const r = reroute(applied.rules, {
        billType: touched.billType,
        payerType: touched.payerType,
        partnerId: group.partnerId,
        route: from,
      });
      if (r.kind === 'other-rule') sameDestinationOtherRule += n;
      if (r.kind !== 'changed') continue;
      changedCount += n;
      const label = { from: destinationLabel(from), to: destinationLabel(r.to) };
      const k = `${label.from}\n${label.to}`;
      summary.set(k, { ...label, payments: (summary.get(k)?.payments ?? 0) + n });
      if (changed.length >= limit) continue;
      const rows = await this.traffic.paymentsOf(window, group, limit - changed.length);
      for (const row of rows) {
        changed.push({
          paymentId: row.id,
          partnerId: group.partnerId,
          createdAt: row.createdAt.toISOString(),
          from,
          to: r.to,
        });
      }
    }
    return {
      days,
      since: since.toISOString(),
      examined,
      changedCount,
      changed,
      truncated: changed.length < changedCount,
      sameDestinationOtherRule,
      summary: [...summary.values()].sort((x, y) => y.payments - x.payments),
    };
  }
}
