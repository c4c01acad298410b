import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './schema';
import { SerialPGliteDialect, type PGliteInstance } from './pglite-dialect';
import { lockDataDir } from './data-dir-lock';
import { pgCopyIn, pgliteCopyIn, registerCopyIn } from './copy-in';

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
  /** Told when a pooled connection fails, idle or checked out (the pool recovers by itself). */
  readonly onConnectionError?: (error: Error) => void;
  /**
   * Sent to PostgreSQL as the session setting `billgate.node_id` on every connection, so rows a
   * node writes can name it by a column default (see the gateway-nodes migration).
   */
  readonly nodeId?: string;
  /** Who opens the embedded database, named in DATA_DIR's lock for anyone refused by it. */
  readonly purpose?: string;
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
      ...(options.nodeId !== undefined ? { options: `-c billgate.node_id=${options.nodeId}` } : {}),
      types: { getTypeParser: typeParser as typeof pg.types.getTypeParser },
    });
    // A connection the server drops (restart, failover, pg_terminate_backend) emits 'error': on the
    // pool while idle, on the client itself while checked out between two queries (a transaction
    // waiting on the next statement). Unhandled, either event kills the process (issue 10: both
    // nodes exited within 40 ms of a PostgreSQL restart). The query that was running fails on its
    // own; a broken client is not queryable, so the pool discards it on release and connects afresh.
    pool.on('error', (error) => options.onConnectionError?.(error));
    pool.on('connect', (client) => client.on('error', (error) => options.onConnectionError?.(error)));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    registerCopyIn(db, pgCopyIn(pool));
    return { db, kind: 'postgres', close: () => db.destroy() };
  }

  // One process at a time on the embedded database: refused while another live one holds it.
  const release = lockDataDir(options.dataDir, options.purpose ?? 'a billgate process');
  // Imported lazily: a production node on PostgreSQL never loads the WASM engine.
  const { PGlite, types } = await import('@electric-sql/pglite');
  const dir = resolve(options.dataDir, 'pglite');
  mkdirSync(dir, { recursive: true });
  let pglite;
  try {
    pglite = await PGlite.create(dir, {
      parsers: { [types.INT8]: (value: string) => BigInt(value) },
    });
  } catch (error) {
    release();
    throw error;
  }
  // One session for the whole process: the node's setting is made once (see nodeId above).
  if (options.nodeId !== undefined) {
    await pglite.query(`select set_config('billgate.node_id', $1, false)`, [options.nodeId]);
  }
  const db = new Kysely<Database>({ dialect: new SerialPGliteDialect(pglite as unknown as PGliteInstance) });
  registerCopyIn(db, pgliteCopyIn(pglite as unknown as PGliteInstance));
  return {
    db,
    kind: 'pglite',
    close: async () => {
      try {
        await db.destroy();
        if (!pglite.closed) await pglite.close();
      } finally {
        release();
      }
    },
  };
}
