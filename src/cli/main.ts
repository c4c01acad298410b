#!/usr/bin/env node
import 'reflect-metadata';
import { loadConfig } from '../config/config';
import { openDatabase } from '../infrastructure/database/database';
import { migrateDown, migrateToLatest } from '../infrastructure/database/migrator';
import { DataDirLockedError } from '../infrastructure/database/data-dir-lock';
import { CLI_COMMANDS, type CliCommand } from './commands';

/**
 * `billgate <command>`: operational commands that share the gateway's configuration (DATABASE_URL,
 * DATA_DIR...). Each prints its result and exits non-zero on failure.
 */
const BUILTIN: CliCommand[] = [
  {
    name: 'migrate',
    usage: 'migrate [--down]    apply every pending migration (or roll the last one back)',
    run: async (args) => {
      const config = loadConfig();
      const handle = await openDatabase({
        url: config.databaseUrl,
        dataDir: config.dataDir,
        poolSize: 2,
        purpose: 'billgate migrate',
      });
      try {
        const done = args.includes('--down')
          ? await migrateDown(handle.db as never)
          : await migrateToLatest(handle.db as never);
        return { code: 0, output: done.length > 0 ? done.join('\n') : 'database is up to date' };
      } finally {
        await handle.close();
      }
    },
  },
];

async function main(argv: string[]): Promise<number> {
  const commands = [...BUILTIN, ...CLI_COMMANDS];
  const [name, ...rest] = argv;
  const command = commands.find((c) => c.name === name);
  if (command === undefined) {
    const usage = `usage: billgate <command>\n\n${commands.map((c) => `  ${c.usage}`).join('\n')}\n`;
    if (name === 'help' || name === '--help' || name === '-h') {
      process.stdout.write(usage);
      return 0;
    }
    // EX_USAGE (sysexits.h): no command, or one billgate does not have.
    process.stderr.write(name === undefined ? usage : `billgate: unknown command ${name}\n\n${usage}`);
    return 64;
  }
  const { code, output } = await command.run(rest);
  (code === 0 ? process.stdout : process.stderr).write(output.endsWith('\n') ? output : `${output}\n`);
  return code;
}

main(process.argv.slice(2))
  .then((code) => process.exit(code))
  .catch((error: unknown) => {
    process.stderr.write(`billgate: ${error instanceof Error ? error.message : String(error)}\n`);
    // EX_TEMPFAIL: another process holds DATA_DIR; the same command works once it has stopped.
    process.exit(error instanceof DataDirLockedError ? 75 : 1);
  });
