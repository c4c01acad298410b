import { userInfo } from 'node:os';
import { secretSealerOf } from '../bootstrap/secrets';
import { loadConfig } from '../config/config';
import { SealedSecrets, type SealedSecretsStatus } from '../domain/secrets/sealed-secrets';
import { openDatabase } from '../infrastructure/database/database';
import { newKeyEncryptionKeyLine, SecretsKeyError } from '../infrastructure/secrets/key-encryption-keys';
import type { CliCommand } from './cli-command';

const USAGE = [
  'secrets status             which key-encryption key (KEK) each stored secret is sealed under',
  '  secrets rewrap [--reason "…"]   re-seal every stored secret under the active KEK (the first of SECRETS_KEK)',
  '  secrets new-kek [--kid id]      print a new KEK line (<kid>:<base64>) for SECRETS_KEK / SECRETS_KEK_FILE',
].join('\n');

function describe(status: SealedSecretsStatus, activeKid: string): string[] {
  const lines: string[] = [];
  const totals = new Map<string, number>();
  for (const c of Object.values(status)) {
    const parts = Object.entries(c.byKid).map(([kid, n]) => {
      totals.set(kid, (totals.get(kid) ?? 0) + n);
      return `${n} under ${kid}`;
    });
    if (c.plaintext > 0) parts.push(`${c.plaintext} PLAINTEXT`);
    lines.push(`  ${c.table.padEnd(20)} ${parts.length > 0 ? parts.join(', ') : 'none'}`);
  }
  const stale = [...totals].filter(([kid]) => kid !== activeKid);
  lines.push(
    stale.length === 0
      ? `every stored secret is sealed under the active KEK ${activeKid}: any other KEK can be removed`
      : `still sealed under other KEKs: ${stale.map(([kid, n]) => `${kid} (${n})`).join(', ')}; run \`billgate secrets rewrap\``,
  );
  return lines;
}

/**
 * `billgate secrets`: the KEK rotation's operator side. Uses the gateway's own configuration
 * (DATABASE_URL or DATA_DIR, SECRETS_KEK / SECRETS_KEK_FILE or the development key in DATA_DIR).
 * Prints counts and key ids only, never a secret.
 */
export const secretsCommand: CliCommand = {
  name: 'secrets',
  usage: USAGE,
  run: async (args) => {
    const [verb, ...rest] = args;
    const option = (name: string): string | undefined => {
      const i = rest.indexOf(name);
      return i < 0 ? undefined : rest[i + 1];
    };
    if (verb === 'new-kek') {
      try {
        return { code: 0, output: newKeyEncryptionKeyLine(option('--kid')) };
      } catch (error) {
        if (error instanceof SecretsKeyError)
          return { code: 64, output: `billgate secrets: ${error.message}` };
        throw error;
      }
    }
    if (verb !== 'status' && verb !== 'rewrap') return { code: 64, output: `usage: billgate ${USAGE}` };
    const config = loadConfig();
    let sealer;
    try {
      sealer = secretSealerOf(config, { create: false });
    } catch (error) {
      if (error instanceof SecretsKeyError) return { code: 78, output: `billgate secrets: ${error.message}` };
      throw error;
    }
    const handle = await openDatabase({
      url: config.databaseUrl,
      dataDir: config.dataDir,
      poolSize: 2,
      purpose: `billgate secrets ${verb}`,
    });
    try {
      const secrets = new SealedSecrets(handle.db, sealer);
      if (verb === 'status') {
        return {
          code: 0,
          output: [
            `active KEK: ${sealer.activeKid}`,
            ...describe(await secrets.status(), sealer.activeKid),
          ].join('\n'),
        };
      }
      const reason = option('--reason') ?? 'key-encryption key rotation';
      const result = await secrets.rewrap(`cli:${userInfo().username}`, reason);
      return {
        code: 0,
        output: [
          `re-sealed ${result.resealed} stored secret(s) under ${sealer.activeKid}`,
          ...describe(result.after, sealer.activeKid),
        ].join('\n'),
      };
    } catch (error) {
      if (error instanceof SecretsKeyError) return { code: 65, output: `billgate secrets: ${error.message}` };
      throw error;
    } finally {
      await handle.close();
    }
  },
};
