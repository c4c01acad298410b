import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './schema';
import { SerialPGliteDialect, type PGliteInstance } from './pglite-dialect';

export type DatabaseKind = 'pglite' | 'postgres';

export interface DatabaseHandle {
  readonly db: Kysely<Database>;
  readonly kind: DatabaseKind;
  close(): Promise<void>;
}

const INT8_OID = 20;

function typeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
  if (oid === INT8_OID) return (value: string) => BigInt(value);
  return pg.types.getTypeParser(oid, format) as (value: string) => unknown;
}

export interface DatabaseOptions {
  /** postgres:// URL; when absent, the embedded PGlite in dataDir is used. */
  readonly url: string | undefined;
  readonly dataDir: string;
  readonly poolSize: number;
  /** Told when an idle pooled connection fails (the pool recovers by itself). */
  readonly onIdleError?: (error: Error) => void;
}

/**
 * One entry point for both engines, speaking the same SQL. int8 columns come back as bigint on
 * both so money never passes through Number.
 */
export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  if (options.url !== undefined) {
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize,
      // A payment that waits this long for a connection has already failed its partner; fail it
      // visibly instead of hanging on a dead server's TCP connect timeout (minutes).
      connectionTimeoutMillis: 10_000,
      types: { getTypeParser: typeParser as typeof pg.types.getTypeParser },
    });
    // An idle pooled connection that the server drops (restart, failover, an administrator) emits
    // 'error' on the pool; unhandled, that event would crash the process. The pool replaces the
    // connection on next use, so it is only reported.
    pool.on('error', (error) => options.onIdleError?.(error));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, kind: 'postgres', close: () => db.destroy() };
  }

  // Imported lazily: a production node on PostgreSQL never loads the WASM engine.
  const { PGlite, types } = await import('@electric-sql/pglite');
  const dir = resolve(options.dataDir, 'pglite');
  mkdirSync(dir, { recursive: true });
  const pglite = await PGlite.create(dir, {
    parsers: { [types.INT8]: (value: string) => BigInt(value) },
  });
  const db = new Kysely<Database>({ dialect: new SerialPGliteDialect(pglite as unknown as PGliteInstance) });
  return {
    db,
    kind: 'pglite',
    close: async () => {
      await db.destroy();
      if (!pglite.closed) await pglite.close();
    },
  };
}
