import type { ColumnType, Generated } from 'kysely';

/* Row types of the tables in migrations/. bigint columns are read as JS bigint (see database.ts). */

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type DefaultedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;
type BigIntColumn = ColumnType<bigint, bigint | string | number, bigint | string | number>;
type DefaultedBigInt = ColumnType<bigint, bigint | string | number | undefined, bigint | string | number>;

export interface PartnersTable {
  id: string;
  name: string;
  kind: string;
  payer_types: string[];
  status: ColumnType<string, string | undefined, string>;
  created_at: DefaultedTimestamp;
}

export interface ApiKeysTable {
  id: Generated<string>;
  principal_type: 'partner' | 'ops';
  principal_id: string;
  key_hash: string;
  key_hint: string;
  valid_from: DefaultedTimestamp;
  valid_until: Date | null;
  revoked_at: Date | null;
  created_at: DefaultedTimestamp;
}

export interface BillTypesTable {
  code: string;
  name: string;
}

export interface LedgerAccountsTable {
  id: string;
  kind: string;
  owner_id: string | null;
  currency: string;
  balance: DefaultedBigInt;
  min_balance: BigIntColumn | null;
  created_at: DefaultedTimestamp;
}

export interface BillerEndpointsTable {
  id: string;
  biller_name: string;
  bill_type: string;
  url: string;
  timeout_ms: number;
  created_at: DefaultedTimestamp;
}

export interface RoutingRulesTable {
  id: Generated<string>;
  bill_type: string;
  payer_type: string;
  partner_id: string;
  biller_endpoint: string;
  settlement_account: string;
  enabled: ColumnType<boolean, boolean | undefined, boolean>;
  version: ColumnType<number, number | undefined, number>;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
}

export interface AgentsTable {
  id: string;
  partner_id: string;
  account_id: string;
  currency: string;
  daily_cash_limit: BigIntColumn;
  status: ColumnType<string, string | undefined, string>;
  created_at: DefaultedTimestamp;
}

export interface AgentDailyUsageTable {
  agent_id: string;
  business_date: ColumnType<string, string, string>;
  used: DefaultedBigInt;
}

export interface PaymentsTable {
  id: string;
  partner_id: string;
  lane: string;
  protocol: string;
  payer_type: string;
  bill_type: string;
  bill_reference: string;
  amount: BigIntColumn;
  currency: string;
  payer_kind: string;
  payer_id: string;
  partner_reference: string;
  idempotency_key: string;
  status: string;
  reason_code: string;
  biller_receipt: string | null;
  route_rule_id: string | null;
  route_version: number | null;
  biller_endpoint: string | null;
  settlement_account: string | null;
  core_banking_ref: string | null;
  origin: Json<Record<string, string>>;
  received_at: Timestamp;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
}

export interface JournalEntriesTable {
  id: Generated<string>;
  payment_id: string | null;
  kind: string;
  currency: string;
  memo: string;
  created_at: DefaultedTimestamp;
}

export interface JournalLinesTable {
  id: Generated<string>;
  entry_id: string;
  account_id: string;
  currency: string;
  side: 'D' | 'C';
  amount: BigIntColumn;
}

export interface IdempotencyKeysTable {
  partner_id: string;
  scope: string;
  key: string;
  fingerprint: string;
  state: 'in_flight' | 'completed';
  payment_id: string | null;
  result: Json<unknown> | null;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
  expires_at: Timestamp;
}

export interface OpsAuditTable {
  seq: ColumnType<bigint, bigint | string, never>;
  at: ColumnType<Date, Date | string, never>;
  actor: string;
  action: string;
  subject_type: string;
  subject_id: string;
  reason: string;
  before: ColumnType<unknown, string | null, never>;
  after: ColumnType<unknown, string | null, never>;
  prev_hash: string;
  hash: string;
}

export interface OpsAuditHeadTable {
  id: number;
  seq: ColumnType<bigint, bigint | string, bigint | string>;
  hash: string;
}

/** Migration 20261202170000-certification-reports: signed certification reports, append-only. */
export interface CertificationReportsTable {
  id: string;
  partner_id: string;
  lane_id: string;
  protocol: 'iso8583' | 'rest' | 'iso20022';
  suite_id: string;
  suite_version: string;
  suite_sha256: string;
  dialect: string | null;
  result: 'passed' | 'failed';
  cases: number;
  passed: number;
  failed: number;
  skipped: number;
  started_at: Timestamp;
  finished_at: Timestamp;
  report: string;
  report_sha256: string;
  jws: string;
  kid: string;
  public_jwk: Json<Record<string, unknown>>;
  stored_at: Timestamp;
  stored_by: string;
  reason: string;
}

export interface Database {
  partners: PartnersTable;
  api_keys: ApiKeysTable;
  bill_types: BillTypesTable;
  ledger_accounts: LedgerAccountsTable;
  biller_endpoints: BillerEndpointsTable;
  routing_rules: RoutingRulesTable;
  agents: AgentsTable;
  agent_daily_usage: AgentDailyUsageTable;
  payments: PaymentsTable;
  journal_entries: JournalEntriesTable;
  journal_lines: JournalLinesTable;
  idempotency_keys: IdempotencyKeysTable;
  ops_audit: OpsAuditTable;
  ops_audit_head: OpsAuditHeadTable;
  certification_reports: CertificationReportsTable;
}
