import type { ColumnType, Kysely } from 'kysely';
import type { Database } from '../../infrastructure/database/schema';
import type { Executor } from '../db';
import type { RuleAction } from './routing-rule';

/*
 * Row types of the tables added by migration 20261123010000-routing-audit. They live beside the
 * routing module that owns them and are attached to the shared Database type with withTables().
 */

type Jsonb<T> = ColumnType<T, string | null, string | null>;

export interface RoutingAuditTable {
  seq: ColumnType<bigint, bigint | string, never>;
  at: ColumnType<Date, Date | string, never>;
  actor: string;
  action: RuleAction;
  rule_id: string;
  reason: string;
  before: Jsonb<unknown>;
  after: Jsonb<unknown>;
  scheduled_change_id: string | null;
  prev_hash: string;
  hash: string;
  tx_id: ColumnType<bigint, undefined, never>;
}

export interface RoutingAuditHeadTable {
  id: number;
  seq: ColumnType<bigint, bigint | string, bigint | string>;
  hash: string;
}

export interface RoutingScheduledChangesTable {
  id: string;
  action: RuleAction;
  rule_id: string | null;
  change: Jsonb<unknown>;
  effective_at: ColumnType<Date, Date | string, Date | string>;
  actor: string;
  reason: string;
  state: ColumnType<
    'pending' | 'applied' | 'failed' | 'cancelled',
    'pending' | undefined,
    'applied' | 'failed' | 'cancelled'
  >;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  applied_at: ColumnType<Date | null, never, Date | string>;
  audit_seq: ColumnType<bigint | null, never, bigint | string | null>;
  error: ColumnType<string | null, never, string | null>;
}

export type RoutingTables = {
  routing_audit: RoutingAuditTable;
  routing_audit_head: RoutingAuditHeadTable;
  routing_scheduled_changes: RoutingScheduledChangesTable;
  biller_endpoints: { currency: ColumnType<string, string | undefined, string> };
};

/** The executor with the routing module's own tables attached. */
export type RoutingDb = Kysely<Database & RoutingTables>;

/** The executor with the routing module's own tables attached (a transaction stays that transaction). */
export function withRouting(db: Executor): RoutingDb {
  return db.withTables<RoutingTables>();
}
