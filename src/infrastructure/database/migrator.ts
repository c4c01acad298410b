import type { Kysely } from 'kysely';
import { Migrator, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely';
import * as foundation from './migrations/20261123000000-foundation';
import * as routingAudit from './migrations/20261123010000-routing-audit';
import * as edgeSecurity from './migrations/20261123020000-edge-security';
import * as coreBankingRefunds from './migrations/20261124000000-core-banking-refunds';
import * as opsAudit from './migrations/20261202090000-ops-audit';
import * as jobs from './migrations/20261202110000-jobs';
import * as earlyReversals from './migrations/20261202130000-early-reversals';
import * as gatewayNodes from './migrations/20261202100000-gateway-nodes';
import * as webhooks from './migrations/20261202120000-webhooks';
import * as opsUsers from './migrations/20261202180000-ops-users';
import * as agentNetwork from './migrations/20261202160000-agent-network';
import * as certificationReports from './migrations/20261202170000-certification-reports';
import * as paymentOutcomes from './migrations/20261206100000-payment-outcomes';
import * as billerAdmin from './migrations/20261206170000-biller-admin';
import * as reconciliation from './migrations/20261206120000-reconciliation';
import * as sealedSecrets from './migrations/20261206195000-sealed-secrets';
import * as dashboardAgentIndexes from './migrations/20261206171000-dashboard-agent-indexes';
import * as dashboardWebhookIndexes from './migrations/20261206172000-dashboard-webhook-indexes';
import * as uetrClaims from './migrations/20261206200000-uetr-claims';
import * as refundJobs from './migrations/20261206220000-refund-jobs';
import * as reconBulkPaths from './migrations/20261206230000-recon-bulk-paths';
import * as uetrClaimsBackfill from './migrations/20261206235000-uetr-claims-backfill';
import * as webhookDeliveryJobs from './migrations/20261207010000-webhook-delivery-jobs';

/**
 * Migrations are listed here in order rather than discovered on disk, so the compiled bundle and
 * the test runner see exactly the same set. Kysely's Migrator holds a PostgreSQL advisory lock while
 * it runs, so several nodes starting at once migrate exactly once.
 */
const MIGRATIONS: Record<string, Migration> = {
  '20261123000000-foundation': foundation,
  '20261123010000-routing-audit': routingAudit,
  '20261123020000-edge-security': edgeSecurity,
  '20261124000000-core-banking-refunds': coreBankingRefunds,
  '20261202090000-ops-audit': opsAudit,
  '20261202110000-jobs': jobs,
  '20261202130000-early-reversals': earlyReversals,
  '20261202100000-gateway-nodes': gatewayNodes,
  '20261202120000-webhooks': webhooks,
  '20261202180000-ops-users': opsUsers,
  '20261202160000-agent-network': agentNetwork,
  '20261202170000-certification-reports': certificationReports,
  '20261206100000-payment-outcomes': paymentOutcomes,
  '20261206170000-biller-admin': billerAdmin,
  '20261206120000-reconciliation': reconciliation,
  '20261206195000-sealed-secrets': sealedSecrets,
  '20261206171000-dashboard-agent-indexes': dashboardAgentIndexes,
  '20261206172000-dashboard-webhook-indexes': dashboardWebhookIndexes,
  '20261206200000-uetr-claims': uetrClaims,
  '20261206220000-refund-jobs': refundJobs,
  '20261206230000-recon-bulk-paths': reconBulkPaths,
  '20261206235000-uetr-claims-backfill': uetrClaimsBackfill,
  '20261207010000-webhook-delivery-jobs': webhookDeliveryJobs,
};

class StaticMigrationProvider implements MigrationProvider {
  getMigrations(): Promise<Record<string, Migration>> {
    return Promise.resolve(MIGRATIONS);
  }
}

function migrator(db: Kysely<unknown>): Migrator {
  return new Migrator({
    db,
    provider: new StaticMigrationProvider(),
    migrationTableName: 'schema_migrations',
    migrationLockTableName: 'schema_migrations_lock',
  });
}

function unwrap(result: MigrationResultSet): string[] {
  if (result.error !== undefined) {
    const failed = result.results?.find((r) => r.status === 'Error');
    const cause = result.error instanceof Error ? result.error.message : JSON.stringify(result.error);
    throw new Error(`migration ${failed?.migrationName ?? '(unknown)'} failed: ${cause}`, {
      cause: result.error,
    });
  }
  return (result.results ?? []).map((r) => `${r.direction} ${r.migrationName}`);
}

export async function migrateToLatest(db: Kysely<unknown>): Promise<string[]> {
  return unwrap(await migrator(db).migrateToLatest());
}

export async function migrateDown(db: Kysely<unknown>): Promise<string[]> {
  return unwrap(await migrator(db).migrateDown());
}
