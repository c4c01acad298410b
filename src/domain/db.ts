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
