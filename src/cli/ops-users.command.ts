import { loadConfig } from '../config/config';
import { OPS_ROLES, OpsUserError, OpsUsers, type OpsRole } from '../domain/ops-users/ops-users';
import { openDatabase } from '../infrastructure/database/database';
import type { CliCommand } from './cli-command';

const USAGE =
  'ops-users add <username> --role viewer|operator [--name "Full Name"]   dashboard user; password from BILLGATE_OPS_PASSWORD';

/**
 * `billgate ops-users add`: creates a dashboard user. The password comes from the environment, never
 * from the command line (which other users of the machine can read in the process list).
 */
export const opsUsersCommand: CliCommand = {
  name: 'ops-users',
  usage: USAGE,
  run: async (args) => {
    const [verb, username, ...rest] = args;
    if (verb !== 'add' || username === undefined) return { code: 64, output: `usage: billgate ${USAGE}` };
    let role: string | undefined;
    let name: string | undefined;
    for (let i = 0; i < rest.length; i += 1) {
      if (rest[i] === '--role') role = rest[++i];
      else if (rest[i] === '--name') name = rest[++i];
      else
        return {
          code: 64,
          output: `billgate ops-users: unknown option ${rest[i]}\nusage: billgate ${USAGE}`,
        };
    }
    if (role === undefined || !(OPS_ROLES as readonly string[]).includes(role)) {
      return { code: 64, output: `billgate ops-users: --role must be one of ${OPS_ROLES.join(', ')}` };
    }
    const password = process.env.BILLGATE_OPS_PASSWORD;
    if (password === undefined || password === '') {
      return { code: 64, output: 'billgate ops-users: set BILLGATE_OPS_PASSWORD to the new user’s password' };
    }
    const config = loadConfig();
    const handle = await openDatabase({
      url: config.databaseUrl,
      dataDir: config.dataDir,
      poolSize: 2,
      purpose: 'billgate ops-users',
    });
    try {
      const user = await new OpsUsers().create(handle.db, {
        username,
        displayName: name ?? username,
        role: role as OpsRole,
        password,
      });
      return { code: 0, output: `ops user ${user.username} (${user.role}) ready` };
    } catch (error) {
      if (error instanceof OpsUserError) return { code: 65, output: `billgate ops-users: ${error.message}` };
      throw error;
    } finally {
      await handle.close();
    }
  },
};
