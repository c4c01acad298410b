import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../infrastructure/database/schema';

/** What repositories run on: the database or a transaction of it. */
export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;
export type Executor = Db | Tx;

/** PostgreSQL's SQLSTATE for a unique violation, shared by PGlite. */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === '23505';
}

/**
 * An error that belongs to the values written (SQLSTATE class 22, data exception, or 23, integrity
 * constraint violation), not to the connection or the server: running the other rows of the same
 * statement again without it will succeed.
 */
export function isDataError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null || !('code' in error)) return false;
  const code = error.code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}

/**
 * An error of the connection or the server, not of the statement: the same statement may succeed
 * once the database is back (SQLSTATE class 08 connection exception, 57P admin or crash shutdown,
 * 53 insufficient resources, 40 serialization failure or deadlock; or a socket-level failure of the
 * client, which carries no SQLSTATE). Whether the statement committed is unknown when it fails so.
 */
export function isTransientDatabaseError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = 'code' in error ? error.code : undefined;
  if (typeof code === 'string') {
    if (/^(08|57P|53|40)/.test(code)) return true;
    if (/^E(CONNREFUSED|CONNRESET|PIPE|TIMEDOUT|HOSTUNREACH|NETUNREACH)$/.test(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code)) return false;
  }
  const message = 'message' in error && typeof error.message === 'string' ? error.message : '';
  return /Connection terminated|connection error|not queryable|timeout exceeded when trying to connect|Connection ended|ECONNREFUSED|ECONNRESET/i.test(
    message,
  );
}
