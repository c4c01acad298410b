import type { ColumnType, Generated } from 'kysely';

/*
 * Row types of every table the migrations create, in one place. bigint columns are read as JS bigint
 * (see database.ts). schema-columns.ts mirrors each table's columns and nullability, checked against
 * these types by the compiler and against a migrated database by test/integration/schema.spec.ts.
 */

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type DefaultedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;
type BigIntColumn = ColumnType<bigint, bigint | string | number, bigint | string | number>;
type DefaultedBigInt = ColumnType<bigint, bigint | string | number | undefined, bigint | string | number>;
/** A timestamp the writer must give. */
type Ts = ColumnType<Date, Date | string, Date | string>;
type NullableTs = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
/** A jsonb column that may be null: written as JSON text. */
type Jsonb<T> = ColumnType<T, string | null | undefined, string | null>;
type OptionalText = ColumnType<string | null, string | null | undefined, string | null>;

export interface PartnersTable {
  id: string;
  name: string;
  kind: string;
  payer_types: string[];
  status: ColumnType<string, string | undefined, string>;
  created_at: DefaultedTimestamp;
  /* Onboarding (migration 20261123020000-edge-security). */
  schedules: Jsonb<unknown>;
  notice_hours: ColumnType<number, number | undefined, number>;
  status_changed_at: ColumnType<Date, Date | string | undefined, Date | string>;
  contracts_signed_at: NullableTs;
  certification_passed_at: NullableTs;
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
  /* Rotation on notice (migration 20261123020000-edge-security). */
  supersedes: ColumnType<string | null, string | null | undefined, string | null>;
  notice_ends_at: NullableTs;
  revocation_reason: ColumnType<string | null, string | null | undefined, string | null>;
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
  /* Migration 20261123010000-routing-audit. */
  currency: ColumnType<string, string | undefined, string>;
  /** How long "no such payment" at the biller may still mean "not yet" (status inquiries). */
  status_window_ms: ColumnType<number, number | undefined, number>;
  /** Set by ops (`/ops/billers/{id}/disable`): routes to it stop answering. */
  disabled_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  updated_at: DefaultedTimestamp;
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
  region: ColumnType<string, string | undefined, string>;
  unsettled_cash: DefaultedBigInt;
  count_variance_threshold: DefaultedBigInt;
  suspension_reason: string | null;
  updated_at: DefaultedTimestamp;
}

/* Agent network (migration 20261202160000-agent-network). */
type DateText = ColumnType<string, string, string>;

export interface AgentTerminalsTable {
  id: string;
  agent_id: string;
  label: string;
  key_hash: string;
  key_hint: string;
  status: ColumnType<string, string | undefined, string>;
  revoked_at: Date | null;
  revocation_reason: string | null;
  offline_max_count: ColumnType<number, number | undefined, number>;
  offline_max_total: DefaultedBigInt;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
}

export interface AgentSettlementsTable {
  id: string;
  agent_id: string;
  amount: BigIntColumn;
  currency: string;
  journal_entry_id: string;
  source: 'ops' | 'agent-banking-core';
  reference: string;
  actor: string;
  reason: string;
  created_at: DefaultedTimestamp;
}

export interface AgentCountSheetsTable {
  id: string;
  agent_id: string;
  business_date: DateText;
  currency: string;
  denominations: Json<readonly { denomination: string; valueMinor: string; count: number }[]>;
  counted_total: BigIntColumn;
  ledger_position: BigIntColumn;
  variance: BigIntColumn;
  corrects: string | null;
  submitted_by: string;
  note: string | null;
  created_at: DefaultedTimestamp;
}

export interface AgentCashVariancesTable {
  sheet_id: string;
  agent_id: string;
  business_date: DateText;
  amount: BigIntColumn;
  currency: string;
  threshold: BigIntColumn;
  suspended: boolean;
  superseded_by: string | null;
  cleared_at: Date | null;
  cleared_by: string | null;
  clear_reason: string | null;
  created_at: DefaultedTimestamp;
}

export interface AgentOfflineItemsTable {
  terminal_id: string;
  idempotency_key: string;
  payment_id: string;
  agent_id: string;
  batch_id: string;
  amount: BigIntColumn;
  currency: string;
  captured_at: Timestamp;
  within_allowance: boolean;
  created_at: DefaultedTimestamp;
}

export interface AgentLimitBreachesTable {
  payment_id: string;
  agent_id: string;
  terminal_id: string;
  batch_id: string;
  amount: BigIntColumn;
  over_by: BigIntColumn;
  currency: string;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  created_at: DefaultedTimestamp;
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
  /** Set exactly while the payment is NEEDS_ATTENTION: why, since when, and the state it was parked from. */
  attention_reason: ColumnType<string | null, string | null | undefined, string | null>;
  attention_prior_state: ColumnType<string | null, string | null | undefined, string | null>;
  attention_since: ColumnType<Date | null, Date | null | undefined, Date | null>;
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
  /** The node that claimed the key (session setting billgate.node_id); see gateway_nodes. */
  node_id: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface GatewayNodesTable {
  id: string;
  host: string;
  pid: number;
  started_at: DefaultedTimestamp;
  heartbeat_at: DefaultedTimestamp;
  lease_until: Timestamp;
  stopped_at: Date | null;
}

/* Webhooks and biller reversals (migration 20261202120000-webhooks). */

export interface WebhookSubscriptionsTable {
  id: string;
  partner_id: string;
  url: string;
  event_types: string[];
  state: 'active' | 'disabled' | 'deleted';
  state_reason: string | null;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
}

export interface WebhookEventsTable {
  id: string;
  partner_id: string;
  payment_id: string;
  type: string;
  body: string;
  occurred_at: Timestamp;
  created_at: DefaultedTimestamp;
}

export interface WebhookDeliveriesTable {
  id: string;
  seq: Generated<bigint>;
  event_id: string;
  subscription_id: string;
  partner_id: string;
  payment_id: string;
  state: 'pending' | 'delivered' | 'failed' | 'cancelled';
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: Timestamp;
  leased_until: NullableTs;
  lease_token: string | null;
  last_status: number | null;
  last_error: string | null;
  delivered_at: NullableTs;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
}

export interface WebhookDeliveryAttemptsTable {
  id: Generated<bigint>;
  delivery_id: string;
  attempt: number;
  at: Timestamp;
  outcome: string;
  status_code: number | null;
  duration_ms: number;
  error: string | null;
}

export interface BillerSecretsTable {
  id: string;
  biller_id: string;
  secret: string;
  hint: string;
  valid_from: Timestamp;
  valid_until: NullableTs;
  created_at: DefaultedTimestamp;
}

export interface BillerReversalTermsTable {
  biller_id: string;
  partial_reversals: ColumnType<boolean, boolean | undefined, boolean>;
}

export interface BillerReversalsTable {
  biller_id: string;
  reversal_id: string;
  payment_id: string;
  fingerprint: string;
  amount: BigIntColumn;
  currency: string;
  reason: string;
  result: Json<unknown>;
  created_at: DefaultedTimestamp;
}

export interface JobsTable {
  id: Generated<string>;
  kind: string;
  dedupe_key: string | null;
  ordering_key: string | null;
  payload: Json<unknown>;
  state: ColumnType<'pending' | 'running' | 'done' | 'dead', string | undefined, string>;
  run_at: Timestamp;
  attempts: ColumnType<number, number | undefined, number>;
  lease_owner: string | null;
  lease_until: Date | null;
  last_error: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
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

/** Reversals that arrived before their original (migration 20261202130000). */
export interface EarlyReversalsTable {
  partner_id: string;
  original_scope: string;
  original_key: string;
  reversal_scope: string;
  reversal_key: string;
  amount: ColumnType<bigint | null, bigint | string | null | undefined, bigint | string | null>;
  currency: string | null;
  reason: string;
  received_at: Timestamp;
  payment_id: string | null;
  matched_at: Timestamp | null;
}

export interface OpsUsersTable {
  username: string;
  display_name: string;
  role: string;
  password_hash: string;
  created_at: DefaultedTimestamp;
  disabled_at: Date | null;
}

export interface OpsSessionsTable {
  token_hash: string;
  username: string;
  csrf_token: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  revoked_at: Date | null;
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

/* Edge security: certificates, webhook secrets, partner lifecycle, lane allowlists, token signing
 * keys (migration 20261123020000-edge-security). */

export interface PartnerCertificatesTable {
  id: Generated<string>;
  partner_id: string;
  fingerprint: string;
  subject: ColumnType<string, string | undefined, string>;
  cert_pem: OptionalText;
  not_before: NullableTs;
  not_after: NullableTs;
  valid_from: Ts;
  valid_until: NullableTs;
  revoked_at: NullableTs;
  revocation_reason: OptionalText;
  supersedes: OptionalText;
  notice_ends_at: NullableTs;
  created_at: ColumnType<Date, never, never>;
}

export interface WebhookSecretsTable {
  id: Generated<string>;
  partner_id: string;
  secret: string;
  fingerprint: string;
  hint: string;
  valid_from: Ts;
  valid_until: NullableTs;
  revoked_at: NullableTs;
  revocation_reason: OptionalText;
  supersedes: OptionalText;
  notice_ends_at: NullableTs;
  created_at: ColumnType<Date, never, never>;
}

export interface PartnerStateHistoryTable {
  id: Generated<string>;
  partner_id: string;
  from_state: string | null;
  to_state: string;
  at: Ts;
  actor: string;
  reason: ColumnType<string, string | undefined, string>;
}

export interface PartnerLaneCidrsTable {
  partner_id: string;
  lane_id: string;
  cidr: string;
  created_at: ColumnType<Date, never, never>;
}

export interface TokenSigningKeysTable {
  id: number;
  snapshot: Jsonb<unknown>;
  version: ColumnType<number, number | undefined, number>;
  updated_at: Ts;
}

/* Routing audit and scheduled changes (migration 20261123010000-routing-audit). */
type RoutingAction = 'create' | 'update' | 'delete';
type StrictJsonb<T> = ColumnType<T, string | null, string | null>;

export interface RoutingAuditTable {
  seq: ColumnType<bigint, bigint | string, never>;
  at: ColumnType<Date, Date | string, never>;
  actor: string;
  action: RoutingAction;
  rule_id: string;
  reason: string;
  before: StrictJsonb<unknown>;
  after: StrictJsonb<unknown>;
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
  action: RoutingAction;
  rule_id: string | null;
  change: StrictJsonb<unknown>;
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

/**
 * Refunds owed to bank customers, retried until core banking confirms them (migration
 * 20261124000000-core-banking-refunds).
 */
export interface CoreBankingRefundsTable {
  payment_id: string;
  account: string;
  amount: BigIntColumn;
  currency: string;
  reference: string;
  state: 'owed' | 'refunded';
  attempts: ColumnType<number, number | undefined, number>;
  last_error: string | null;
  core_banking_ref: string | null;
  next_attempt_at: DefaultedTimestamp;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
}

/** The partner that first presented each UETR for payment (migration 20261206200000-uetr-claims). */
export interface UetrClaimsTable {
  uetr: string;
  partner_id: string;
  claimed_at: DefaultedTimestamp;
}

/** Migration 20261206120000-reconciliation: files, their rows, matches, runs, breaks (issue 12). */
export interface ReconFilesTable {
  id: string;
  sha256: string;
  source: 'partner' | 'biller';
  source_id: string;
  format: 'csv' | 'camt.053' | 'camt.054';
  business_date: DateText;
  row_count: number;
  byte_size: BigIntColumn;
  file_name: string | null;
  received_via: 'ops-upload' | 'partner-upload' | 'watched-directory' | 'scheduled-fetch' | 'cli';
  received_by: string;
  received_at: DefaultedTimestamp;
}

export interface ReconSourceRowsTable {
  file_id: string;
  line_no: number;
  payment_id: string | null;
  partner_reference: string | null;
  biller_receipt: string | null;
  amount: BigIntColumn;
  currency: string;
  status: 'OK' | 'FAIL' | 'REVERSED';
  value_date: DateText;
}

export interface ReconMatchesTable {
  file_id: string;
  line_no: number;
  payment_id: string | null;
  /** Null for a row that matched none of our payments (outcome 'unmatched'). */
  match_key: 'payment-id' | 'partner-reference' | 'biller-receipt' | null;
  outcome: 'matched' | 'ambiguous' | 'duplicate' | 'unmatched';
  candidates: number;
  other_day: ColumnType<boolean, boolean | undefined, boolean>;
  /** The matched row's values, copied by the matching statement for the comparison; null when ambiguous. */
  amount: ColumnType<bigint | null, bigint | string | null, bigint | string | null>;
  currency: string | null;
  status: 'OK' | 'FAIL' | 'REVERSED' | null;
  value_date: ColumnType<string | null, string | null, string | null>;
}

export interface ReconRunsTable {
  id: string;
  business_date: DateText;
  partner_id: string | null;
  trigger: 'schedule' | 'cli' | 'api';
  state: 'running' | 'done' | 'failed';
  phase: ColumnType<string, string | undefined, string>;
  progress_done: DefaultedBigInt;
  progress_total: DefaultedBigInt;
  counts: ColumnType<Record<string, unknown>, string | undefined, string>;
  files: ColumnType<unknown[], string | undefined, string>;
  error: string | null;
  started_by: string;
  started_at: DefaultedTimestamp;
  heartbeat_at: DefaultedTimestamp;
  finished_at: Date | null;
}

export interface ReconBreaksTable {
  id: string;
  business_date: DateText;
  break_key: string;
  code: string;
  owner: string;
  partner_id: string | null;
  biller_id: string | null;
  payment_id: string | null;
  currency: string | null;
  amount: ColumnType<bigint | null, bigint | string | null, bigint | string | null>;
  summary: string;
  evidence: Json<Record<string, unknown>>;
  state: 'open' | 'resolved' | 'cleared';
  assignee: string | null;
  resolution_code: string | null;
  journal_entry_id: string | null;
  raised_at: Timestamp;
  last_run_id: string | null;
  updated_at: Timestamp;
  resolved_at: Date | null;
  resolved_by: string | null;
  cleared_at: Date | null;
}

export interface ReconBreakEventsTable {
  id: Generated<string>;
  break_id: string;
  at: DefaultedTimestamp;
  actor: string;
  kind: 'raised' | 'changed' | 'assigned' | 'commented' | 'resolved' | 'cleared' | 'reopened';
  note: string | null;
  data: ColumnType<unknown, string | null | undefined, string | null>;
}

export interface ReconBillerConfigsTable {
  biller_id: string;
  posting_file: Json<Record<string, unknown>>;
  updated_by: string;
  updated_at: DefaultedTimestamp;
}

export interface Database {
  partners: PartnersTable;
  api_keys: ApiKeysTable;
  bill_types: BillTypesTable;
  ledger_accounts: LedgerAccountsTable;
  biller_endpoints: BillerEndpointsTable;
  routing_rules: RoutingRulesTable;
  agents: AgentsTable;
  agent_terminals: AgentTerminalsTable;
  agent_settlements: AgentSettlementsTable;
  agent_count_sheets: AgentCountSheetsTable;
  agent_cash_variances: AgentCashVariancesTable;
  agent_offline_items: AgentOfflineItemsTable;
  agent_limit_breaches: AgentLimitBreachesTable;
  payments: PaymentsTable;
  journal_entries: JournalEntriesTable;
  journal_lines: JournalLinesTable;
  idempotency_keys: IdempotencyKeysTable;
  jobs: JobsTable;
  ops_audit: OpsAuditTable;
  ops_audit_head: OpsAuditHeadTable;
  early_reversals: EarlyReversalsTable;
  gateway_nodes: GatewayNodesTable;
  webhook_subscriptions: WebhookSubscriptionsTable;
  webhook_events: WebhookEventsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_delivery_attempts: WebhookDeliveryAttemptsTable;
  biller_secrets: BillerSecretsTable;
  biller_reversal_terms: BillerReversalTermsTable;
  biller_reversals: BillerReversalsTable;
  ops_users: OpsUsersTable;
  ops_sessions: OpsSessionsTable;
  certification_reports: CertificationReportsTable;
  partner_certificates: PartnerCertificatesTable;
  webhook_secrets: WebhookSecretsTable;
  partner_state_history: PartnerStateHistoryTable;
  partner_lane_cidrs: PartnerLaneCidrsTable;
  token_signing_keys: TokenSigningKeysTable;
  routing_audit: RoutingAuditTable;
  routing_audit_head: RoutingAuditHeadTable;
  routing_scheduled_changes: RoutingScheduledChangesTable;
  core_banking_refunds: CoreBankingRefundsTable;
  uetr_claims: UetrClaimsTable;
  recon_files: ReconFilesTable;
  recon_source_rows: ReconSourceRowsTable;
  recon_matches: ReconMatchesTable;
  recon_runs: ReconRunsTable;
  recon_breaks: ReconBreaksTable;
  recon_break_events: ReconBreakEventsTable;
  recon_biller_configs: ReconBillerConfigsTable;
}
