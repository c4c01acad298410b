import type { AppConfig } from '../config/config';
import type { Db } from '../domain/db';
import { SealedSecrets } from '../domain/secrets/sealed-secrets';
import type { Logger } from '../infrastructure/logging/logger';
import { kekFileIsShared, loadKeyEncryptionKeys } from '../infrastructure/secrets/key-encryption-keys';
import { SecretSealer } from '../infrastructure/secrets/secret-sealer';

/** This process's key-encryption keys (see key-encryption-keys.ts); `create`: the gateway may write a dev key. */
export function secretSealerOf(
  config: AppConfig,
  opts: { readonly create: boolean; readonly log?: Logger },
): SecretSealer {
  const keys = loadKeyEncryptionKeys(
    {
      production: config.nodeEnv === 'production',
      dataDir: config.dataDir,
      kek: config.secretsKek.value,
      kekFile: config.secretsKek.file,
    },
    {
      createDevelopmentKey: opts.create,
      onCreated: (path) =>
        opts.log?.warn(
          { path },
          'development key-encryption key created (set SECRETS_KEK outside development)',
        ),
    },
  );
  if (config.secretsKek.file !== undefined && kekFileIsShared(config.secretsKek.file)) {
    opts.log?.warn(
      { path: config.secretsKek.file },
      'SECRETS_KEK_FILE is readable by other users: chmod 600 it',
    );
  }
  return new SecretSealer(keys);
}

/**
 * At start-up, before anything reads a secret: every stored secret must open with this node's KEKs
 * (else the start fails, saying which key is missing or wrong), and rows left in plaintext by a
 * version before sealing are sealed now, with their audit entry.
 */
export async function prepareSealedSecrets(
  db: Db,
  sealer: SecretSealer,
  o: { readonly nodeId: string; readonly log: Logger },
): Promise<void> {
  const secrets = new SealedSecrets(db, sealer);
  const { sealed } = await secrets.verify();
  const upgrade = await secrets.sealPlaintext(`system:${o.nodeId}`);
  if (upgrade.resealed > 0) {
    o.log.warn({ sealed: upgrade.resealed, kid: sealer.activeKid }, 'plaintext stored secrets sealed');
  }
  const elsewhere = Object.values(upgrade.after).flatMap((c) =>
    Object.entries(c.byKid).filter(([kid]) => kid !== sealer.activeKid),
  );
  const stale = elsewhere.reduce((n, [, count]) => n + count, 0);
  o.log.info(
    { activeKid: sealer.activeKid, opened: sealed, underOtherKeys: stale },
    stale > 0
      ? 'stored secrets open; some are sealed under an older KEK: run `billgate secrets rewrap`'
      : 'stored secrets open with this node’s key-encryption keys',
  );
}
