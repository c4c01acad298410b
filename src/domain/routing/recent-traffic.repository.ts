import type { Executor } from '../db';
import type { PayerType } from '../reason-codes';

/** Where a group of payments went: the rule and destination recorded on each (null when unrouted). */
export interface TrafficGroup {
  readonly partnerId: string;
  readonly routeRuleId: string | null;
  readonly billerEndpoint: string | null;
  readonly settlementAccount: string | null;
  readonly payments: number;
}

export interface TrafficWindow {
  readonly since: Date;
  readonly until: Date;
  readonly billType: string;
  readonly payerType: PayerType;
  /** One partner; undefined for every partner (a `*` rule). */
  readonly partnerId?: string;
}

/**
 * The routing module's read of recent payments, for the dry run: how many payments of a tuple went
 * where, and which ones. The payments table is written by the pipeline; routing only reads it here.
 */
export class RecentTrafficRepository {
  constructor(private readonly db: Executor) {}

  /** The window's payments grouped by partner and the route they took. */
  async groups(w: TrafficWindow): Promise<TrafficGroup[]> {
    let q = this.db
      .selectFrom('payments')
      .select((eb) => [
        'partner_id',
        'route_rule_id',
        'biller_endpoint',
        'settlement_account',
        eb.fn.countAll<string>().as('n'),
      ])
      .where('created_at', '>=', w.since)
      .where('created_at', '<=', w.until)
      .where('bill_type', '=', w.billType)
      .where('payer_type', '=', w.payerType);
    if (w.partnerId !== undefined) q = q.where('partner_id', '=', w.partnerId);
    const rows = await q
      .groupBy(['partner_id', 'route_rule_id', 'biller_endpoint', 'settlement_account'])
      .execute();
    return rows.map((r) => ({
      partnerId: r.partner_id,
      routeRuleId: r.route_rule_id,
      billerEndpoint: r.biller_endpoint,
      settlementAccount: r.settlement_account,
      payments: Number(r.n),
    }));
  }

  /** The first `limit` payments of one group, oldest first. */
  async paymentsOf(
    w: TrafficWindow,
    group: Omit<TrafficGroup, 'payments'>,
    limit: number,
  ): Promise<{ readonly id: string; readonly createdAt: Date }[]> {
    let q = this.db
      .selectFrom('payments')
      .select(['id', 'created_at'])
      .where('created_at', '>=', w.since)
      .where('created_at', '<=', w.until)
      .where('bill_type', '=', w.billType)
      .where('payer_type', '=', w.payerType)
      .where('partner_id', '=', group.partnerId);
    q =
      group.routeRuleId === null
        ? q.where('route_rule_id', 'is', null)
        : q.where('route_rule_id', '=', group.routeRuleId);
    q =
      group.billerEndpoint === null
        ? q.where('biller_endpoint', 'is', null)
        : q.where('biller_endpoint', '=', group.billerEndpoint);
    q =
      group.settlementAccount === null
        ? q.where('settlement_account', 'is', null)
        : q.where('settlement_account', '=', group.settlementAccount);
    const rows = await q.orderBy('created_at').limit(limit).execute();
    return rows.map((r) => ({ id: r.id, createdAt: r.created_at }));
  }
}
