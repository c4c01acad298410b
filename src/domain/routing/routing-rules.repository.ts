import type { Executor } from '../db';
import { WILDCARD_PARTNER, type Route, type RouteKey } from './route';

/** Read side of the routing table. Writes go through the audited ops repository only. */
export class RoutingRulesReader {
  constructor(private readonly db: Executor) {}

  /** The enabled rule for the exact tuple, else the partner wildcard `*` for the same bill and payer type. */
  async findRoute(key: RouteKey, db: Executor = this.db): Promise<Route | undefined> {
    const row = await db
      .selectFrom('routing_rules as r')
      .innerJoin('biller_endpoints as b', 'b.id', 'r.biller_endpoint')
      .innerJoin('ledger_accounts as a', 'a.id', 'r.settlement_account')
      .select([
        'r.id',
        'r.version',
        'r.partner_id',
        'b.id as biller_id',
        'b.url',
        'b.timeout_ms',
        'a.id as account_id',
        'a.currency',
      ])
      .where('r.enabled', '=', true)
      // A biller ops have disabled answers no route: its payments decline NO_ROUTE.
      .where('b.disabled_at', 'is', null)
      .where('r.bill_type', '=', key.billType)
      .where('r.payer_type', '=', key.payerType)
      .where('r.partner_id', 'in', [key.partnerId, WILDCARD_PARTNER])
      .orderBy((eb) => eb('r.partner_id', '=', WILDCARD_PARTNER), 'asc')
      .limit(1)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    return {
      ruleId: row.id,
      version: row.version,
      partnerId: row.partner_id,
      billerEndpoint: { id: row.biller_id, url: row.url, timeoutMs: row.timeout_ms },
      settlementAccount: { id: row.account_id, currency: row.currency.trim() },
    };
  }
}
