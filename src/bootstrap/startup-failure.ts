import { portSetting, type AppConfig } from '../config/config';
import { DataDirLockedError } from '../infrastructure/database/data-dir-lock';

/**
 * A start-up failure the operator can fix by configuration, said in one line that names the
 * setting; undefined for anything else (a real fault, whose stack trace is worth printing).
 */
export function describeStartupFailure(error: unknown, config: AppConfig): string | undefined {
  if (error instanceof DataDirLockedError) return error.message;
  const e = error as { code?: unknown; port?: unknown; address?: unknown } | null;
  if (e === null || typeof e !== 'object' || e.code !== 'EADDRINUSE' || typeof e.port !== 'number') {
    return undefined;
  }
  const setting = portSetting(config, e.port) ?? "the lane's listener.port in BILLGATE_CONFIG";
  return `port ${e.port} on ${String(e.address)} is already in use: set ${setting} to a free port (0 picks one)`;
}
