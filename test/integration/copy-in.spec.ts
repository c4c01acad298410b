import { sql } from 'kysely';
import { copyInOf, copyText, insertCopyText } from '../../src/infrastructure/database/copy-in';
import { openTestDatabase } from '../support/database';

/*
 * Bulk loads on a real database: the COPY path of each engine, and the statement path a connection
 * pooler forces (the COPY connection cannot be found behind PgBouncer), load the same rows, escapes,
 * nulls and types included, inside the caller's transaction.
 */

let h: Awaited<ReturnType<typeof openTestDatabase>>;

beforeAll(async () => {
  h = await openTestDatabase();
  for (const t of ['by_copy', 'by_statements']) {
    await sql`create table ${sql.raw(t)} (id uuid not null, n bigint not null, d date, s text)`.execute(h.db);
  }
});
afterAll(async () => {
  await h?.dispose();
});

const COLUMNS = ['id', 'n', 'd', 's'] as const;
const rows: [string, string, string | null, string | null][] = [
  ['01a24cec-4f12-7d1a-a91b-56307c35a935', '9223372036854775807', '2026-12-06', 'plain'],
  ['01a24cec-4f12-7d1a-a91b-56307c35a936', '-1', null, 'tab\there, line\nbreak, back\\slash, \\N literal'],
  ['01a24cec-4f12-7d1a-a91b-56307c35a937', '0', '2026-02-28', null],
];
/** Chunks as the intake streams them: each ends on a row boundary. */
async function* stream(...parts: string[]): AsyncIterable<string> {
  for (const part of parts) yield await Promise.resolve(part);
}
const line = (r: readonly (string | null)[]): string => `${r.map((v) => copyText(v)).join('\t')}\n`;
const chunks = (): AsyncIterable<string> => stream(line(rows[0]!) + line(rows[1]!), line(rows[2]!));

async function loaded(table: string): Promise<unknown[]> {
  const { rows: got } = await sql<Record<string, unknown>>`
    select id::text, n::text, d::text, s from ${sql.raw(table)} order by id`.execute(h.db);
  return got.map((r) => [r.id, r.n, r.d, r.s]);
}

describe('bulk load', () => {
  it('by COPY and by statements gives the same rows, escapes and nulls as written', async () => {
    const copy = copyInOf(h.db);
    expect(copy).toBeDefined();
    await h.db.transaction().execute((tx) => copy!(tx, 'by_copy', COLUMNS, chunks()));
    await h.db.transaction().execute((tx) => insertCopyText(tx, 'by_statements', COLUMNS, chunks()));
    expect(await loaded('by_copy')).toEqual(rows);
    expect(await loaded('by_statements')).toEqual(rows);
  });

  it("a bad row fails the caller's transaction and leaves nothing of the load", async () => {
    const bad = (): AsyncIterable<string> => stream(line(rows[0]!), 'not-a-uuid\t1\t\\N\t\\N\n');
    await sql`delete from by_statements`.execute(h.db);
    await expect(
      h.db.transaction().execute((tx) => insertCopyText(tx, 'by_statements', COLUMNS, bad())),
    ).rejects.toThrow(/uuid/);
    expect(await loaded('by_statements')).toEqual([]);
    await expect(
      h.db.transaction().execute((tx) => insertCopyText(tx, 'by_statements', COLUMNS, stream('only\ttwo\n'))),
    ).rejects.toThrow('COPY text: 2 fields in a row of 4 columns');
  });
});
