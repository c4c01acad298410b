import { certifyCommand, CERTIFY_USAGE } from '../certification/certify-cli';
import { gatewayJwks, gatewayReportSigner } from '../certification/gateway-keys';
import { secretSealerOf } from '../bootstrap/secrets';
import { loadConfig } from '../config/config';
import { openDatabase } from '../infrastructure/database/database';
import type { SecretSealer } from '../infrastructure/secrets/secret-sealer';
import type { CliCommand } from './cli-command';

/** Runs `fn` on the gateway's database (DATABASE_URL or DATA_DIR) with its KEKs, closed afterwards. */
async function withDatabase<T>(
  fn: (db: Parameters<typeof gatewayJwks>[0], sealer: SecretSealer) => Promise<T>,
): Promise<T> {
  const config = loadConfig();
  const sealer = secretSealerOf(config, { create: false });
  const handle = await openDatabase({
    url: config.databaseUrl,
    dataDir: config.dataDir,
    poolSize: 2,
    purpose: 'billgate certify',
  });
  try {
    return await fn(handle.db, sealer);
  } finally {
    await handle.close();
  }
}

/** `billgate certify`: play a suite against a gateway, write the (signed) report, verify one. */
export const certifyCliCommand: CliCommand = {
  name: 'certify',
  usage: CERTIFY_USAGE,
  run: (args) =>
    certifyCommand(args, {
      signer: () => withDatabase((db, sealer) => gatewayReportSigner(db, sealer, new Date())),
      jwks: () => withDatabase((db, sealer) => gatewayJwks(db, sealer, new Date())),
    }),
};
