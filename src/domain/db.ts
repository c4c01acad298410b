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
