import { loadConfig } from '../config/config';
import { auditVerifyCommand } from '../domain/routing/audit-cli';
import { openDatabase } from '../infrastructure/database/database';
import type { CliCommand } from './cli-command';

/** `billgate audit verify`: is the routing audit chain intact, and where does it break if not. */
export const auditCommand: CliCommand = {
  name: 'audit',
  usage: 'audit verify          check the routing audit hash chain (exit 1 if broken)',
  run: async (args) => {
    if (args[0] !== 'verify') return { code: 64, output: 'usage: billgate audit verify' };
    const config = loadConfig();
    const handle = await openDatabase({
      url: config.databaseUrl,
      dataDir: config.dataDir,
      poolSize: 2,
      purpose: 'billgate audit verify',
    });
    try {
      const lines: string[] = [];
      const code = await auditVerifyCommand(handle.db, {
        stdout: (l) => lines.push(l),
        stderr: (l) => lines.push(l),
      });
      return { code, output: lines.join('\n') };
    } finally {
      await handle.close();
    }
  },
};
