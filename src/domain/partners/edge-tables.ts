import type { ColumnType, Generated, Kysely } from 'kysely';
import type { Database } from '../../infrastructure/database/schema';
import type { Executor } from '../db';

/*
 * Row types of the tables added by migration 20261123020000-edge-security, attached to the shared
 * Database type with withTables() (as the routing module does for its own tables).
 */

type Ts = ColumnType<Date, Date | string, Date | string>;
type NullableTs = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Jsonb<T> = ColumnType<T, string | null | undefined, string | null>;

export interface PartnerCertificatesTable {
  id: Generated<string>;
  partner_id: string;
  fingerprint: string;
  subject: ColumnType<string, string | undefined, string>;
  cert_pem: ColumnType<string | null, string | null | undefined, string | null>;
  not_before: NullableTs;
  not_after: NullableTs;
  valid_from: Ts;
  valid_until: NullableTs;
  revoked_at: NullableTs;
  revocation_reason: ColumnType<string | null, string | null | undefined, string | null>;
  supersedes: ColumnType<string | null, string | null | undefined, string | null>;
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
  revocation_reason: ColumnType<string | null, string | null | undefined, string | null>;
  supersedes: ColumnType<string | null, string | null | undefined, string | null>;
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

export type EdgeTables = {
  partner_certificates: PartnerCertificatesTable;
  webhook_secrets: WebhookSecretsTable;
  partner_state_history: PartnerStateHistoryTable;
  partner_lane_cidrs: PartnerLaneCidrsTable;
  token_signing_keys: TokenSigningKeysTable;
  partners: {
    schedules: Jsonb<unknown>;
    notice_hours: ColumnType<number, number | undefined, number>;
    status_changed_at: ColumnType<Date, Date | string | undefined, Date | string>;
    contracts_signed_at: NullableTs;
    certification_passed_at: NullableTs;
  };
  api_keys: {
    supersedes: ColumnType<string | null, string | null | undefined, string | null>;
    notice_ends_at: NullableTs;
    revocation_reason: ColumnType<string | null, string | null | undefined, string | null>;
  };
};

export type EdgeDb = Kysely<Database & EdgeTables>;

/** The executor with the edge-security tables attached (a transaction stays that transaction). */
export function withEdge(db: Executor): EdgeDb {
  return (db as Kysely<Database>).withTables<EdgeTables>();
}
