import type { Kysely } from 'kysely';
import { runSqlScript } from '../sql-script';

/*
 * Stored secrets sealed at rest (issue 10): token signing keys, partners' webhook secrets and billers'
 * reversal-signing secrets are written as `sealed:v1:<kid>:…` (AES-256-GCM under a key-encryption key,
 * see src/infrastructure/secrets). The database itself refuses a plaintext write from now on.
 *
 * NOT VALID: rows written before this migration are plaintext and are sealed by the gateway on its
 * next start (it holds the KEK; a migration does not), so the constraints check new writes only.
 */

export async function up(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(
    db,
    `
    alter table webhook_secrets add constraint webhook_secrets_sealed
      check (secret like 'sealed:%') not valid;
    alter table biller_secrets add constraint biller_secrets_sealed
      check (secret like 'sealed:%') not valid;
    alter table token_signing_keys add constraint token_signing_keys_sealed
      check (jsonb_typeof(snapshot -> 'sealed') = 'string') not valid;
    `,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(
    db,
    `
    alter table token_signing_keys drop constraint if exists token_signing_keys_sealed;
    alter table biller_secrets drop constraint if exists biller_secrets_sealed;
    alter table webhook_secrets drop constraint if exists webhook_secrets_sealed;
    `,
  );
}
