import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sql, type Kysely } from 'kysely';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { PGliteInstance } from './pglite-dialect';

/**
 * Bulk load into one table inside the caller's transaction, from chunks of PostgreSQL COPY text
 * format (tab-separated columns, `\N` for null, backslash escapes, one row per line). COPY is how
 * PostgreSQL takes millions of rows: no statement per batch, no array parameters to build, parse
 * and unnest. Each chunk must end on a row boundary.
 */
export type CopyIn = (
  // Any Kysely of the database: the root (autocommit) or a transaction of it.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any schema: the table is named
  tx: Kysely<any>,
  table: string,
  columns: readonly string[],
  chunks: AsyncIterable<string>,
) => Promise<void>;

const copiers = new WeakMap<object, CopyIn>();

/** The bulk loader of a database opened by openDatabase; undefined for any other Kysely. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any schema
export function copyInOf(db: Kysely<any>): CopyIn | undefined {
  return copiers.get(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any schema
export function registerCopyIn(db: Kysely<any>, copy: CopyIn): void {
  copiers.set(db, copy);
}

function target(table: string, columns: readonly string[]): string {
  const id = (name: string) => `"${name.replaceAll('"', '""')}"`;
  return `${id(table)} (${columns.map(id).join(', ')})`;
}

/**
 * PostgreSQL (pg-copy-streams): `COPY … FROM STDIN` streamed over the very connection that runs the
 * caller's transaction. Kysely does not hand out its pooled client, so the pool's clients are known
 * by their backend process id, which the transaction asks the server for.
 */
export function pgCopyIn(pool: pg.Pool): CopyIn {
  const clients = new Map<number, pg.PoolClient>();
  const pid = (client: pg.PoolClient) => (client as unknown as { processID: number | null }).processID;
  pool.on('connect', (client) => {
    const id = pid(client);
    if (id !== null) clients.set(id, client);
  });
  pool.on('remove', (client) => {
    const id = pid(client);
    if (id !== null && clients.get(id) === client) clients.delete(id);
  });
  return async (tx, table, columns, chunks) => {
    const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(tx);
    const client = clients.get(rows[0]!.pid);
    // Behind a connection pooler (PgBouncer) the server's backend id is not the one the client was
    // given, so the connection cannot be found: the rows go in by statements on the transaction instead.
    if (client === undefined) return insertCopyText(tx, table, columns, chunks);
    // A failing source destroys the COPY stream, which sends CopyFail: the statement (and so the
    // caller's transaction) fails, and nothing of the chunks stays.
    await pipeline(
      Readable.from(chunks),
      client.query(copyFrom(`copy ${target(table, columns)} from stdin`)),
    );
  };
}

/**
 * PGlite: `COPY … FROM '/dev/blob'`, one statement per chunk (PGlite takes a COPY's input as one
 * Blob, so chunks keep memory bounded). PGlite is one session held by the caller's transaction,
 * so the statements run inside it.
 */
export function pgliteCopyIn(pglite: PGliteInstance): CopyIn {
  return async (_tx, table, columns, chunks) => {
    const statement = `copy ${target(table, columns)} from '/dev/blob'`;
    for await (const chunk of chunks) {
      if (chunk.length > 0) await pglite.query(statement, [], { blob: new Blob([chunk]) });
    }
  };
}

/** A value in COPY text format: backslash, tab and line breaks escaped; null is \N. */
export function copyText(value: string | null): string {
  if (value === null) return '\\N';
  return /[\\\t\n\r]/.test(value)
    ? value.replace(/[\\\t\n\r]/g, (c) =>
        c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
      )
    : value;
}

/**
 * COPY text rows back as column → value objects (null for \N): the input of the statement fallback.
 * Only the escapes copyText writes are expected; any other backslash sequence keeps its character.
 */
export function parseCopyText(chunk: string, columns: readonly string[]): Record<string, string | null>[] {
  const rows: Record<string, string | null>[] = [];
  for (const line of chunk.split('\n')) {
    if (line === '') continue;
    const fields = line.split('\t');
    if (fields.length !== columns.length) {
      throw new Error(`COPY text: ${fields.length} fields in a row of ${columns.length} columns`);
    }
    const row: Record<string, string | null> = {};
    columns.forEach((column, i) => {
      const f = fields[i] as string;
      row[column] =
        f === '\\N'
          ? null
          : f.replace(/\\(.)/g, (_m, c: string) =>
              c === 't' ? '\t' : c === 'n' ? '\n' : c === 'r' ? '\r' : c,
            );
    });
    rows.push(row);
  }
  return rows;
}

/**
 * The same rows by INSERT statements inside the caller's transaction, a chunk at a time: values are
 * converted by each column's own type input (json_populate_recordset), exactly as COPY converts them.
 */
export async function insertCopyText(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any schema: the table is named
  tx: Kysely<any>,
  table: string,
  columns: readonly string[],
  chunks: AsyncIterable<string>,
): Promise<void> {
  const id = (name: string) => `"${name.replaceAll('"', '""')}"`;
  const list = columns.map(id).join(', ');
  for await (const chunk of chunks) {
    const rows = parseCopyText(chunk, columns);
    if (rows.length === 0) continue;
    await sql`insert into ${sql.raw(target(table, columns))}
      select ${sql.raw(list)} from json_populate_recordset(null::${sql.raw(id(table))}, ${JSON.stringify(rows)}::json)`.execute(
      tx,
    );
  }
}
