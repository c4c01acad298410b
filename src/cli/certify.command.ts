import { certifyCommand, CERTIFY_USAGE } from '../certification/certify-cli';
import { gatewayJwks, gatewayReportSigner } from '../certification/gateway-keys';
import { loadConfig } from '../config/config';
import { openDatabase } from '../infrastructure/database/database';
import type { CliCommand } from './cli-command';

/** Runs `fn` on the gateway's database (DATABASE_URL or DATA_DIR), closed afterwards. */
async function withDatabase<T>(fn: (db: Parameters<typeof gatewayJwks>[0]) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const handle = await openDatabase({
    url: config.databaseUrl,
    dataDir: config.dataDir,
    poolSize: 2,
    purpose: 'billgate certify',
  });
  try {
    return await fn(handle.db);
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
      signer: () => withDatabase((db) => gatewayReportSigner(db, new Date())),
      jwks: () => withDatabase((db) => gatewayJwks(db, new Date())),
    }),
};
