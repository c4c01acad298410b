import { sql } from 'kysely';
import type { Executor } from '../../src/domain/db';
import { DECLARED_COLUMNS } from '../../src/infrastructure/database/schema-columns';
import { openTestDatabase } from '../support/database';

/*
 * The row types of schema.ts against a database migrated to the latest version: every table the
 * migrations create is declared, with exactly its columns and their nullability. DECLARED_COLUMNS is
 * the runtime mirror of schema.ts (the compiler keeps the two equal), so a migration that adds,
 * drops or changes a column fails here until schema.ts says the same.
 */

/** Kysely's own bookkeeping tables, not ours. */
const MIGRATOR_TABLES = new Set(['schema_migrations', 'schema_migrations_lock']);

type Columns = Map<string, Map<string, boolean>>;

async function migratedColumns(db: Executor): Promise<Columns> {
  const { rows } = await sql<{ table_name: string; column_name: string; is_nullable: string }>`
    select c.table_name, c.column_name, c.is_nullable
    from information_schema.columns c
    join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
    where c.table_schema = current_schema() and t.table_type = 'BASE TABLE'
    order by c.table_name, c.ordinal_position`.execute(db);
  const tables: Columns = new Map();
  for (const r of rows) {
    if (MIGRATOR_TABLES.has(r.table_name)) continue;
    const columns = tables.get(r.table_name) ?? new Map<string, boolean>();
    columns.set(r.column_name, r.is_nullable === 'YES');
    tables.set(r.table_name, columns);
  }
  return tables;
}

function declaredColumns(): Columns {
  return new Map(
    Object.entries(DECLARED_COLUMNS).map(([table, columns]) => [
      table,
      new Map(Object.entries(columns as Record<string, boolean>)),
    ]),
  );
}

/** Every disagreement, one line each, so a failure says what to declare. */
function differences(declared: Columns, migrated: Columns): string[] {
  const out: string[] = [];
  const nullity = (nullable: boolean): string => (nullable ? 'nullable' : 'not null');
  for (const [table, columns] of migrated) {
    const mine = declared.get(table);
    if (mine === undefined) {
      out.push(`table ${table} is not declared in schema.ts`);
      continue;
    }
    for (const [column, nullable] of columns) {
      const said = mine.get(column);
      if (said === undefined)
        out.push(`${table}.${column} (${nullity(nullable)}) is not declared in schema.ts`);
      else if (said !== nullable) {
        out.push(`${table}.${column} is ${nullity(nullable)} but schema.ts says ${nullity(said)}`);
      }
    }
    for (const column of mine.keys()) {
      if (!columns.has(column))
        out.push(`${table}.${column} is declared in schema.ts but no migration creates it`);
    }
  }
  for (const table of declared.keys()) {
    if (!migrated.has(table)) out.push(`table ${table} is declared in schema.ts but no migration creates it`);
  }
  return out;
}

let h: Awaited<ReturnType<typeof openTestDatabase>>;
beforeAll(async () => {
  h = await openTestDatabase();
});
afterAll(async () => {
  await h?.dispose();
});

describe('schema.ts against the migrated database', () => {
  it('declares every table with exactly its columns and their nullability', async () => {
    const migrated = await migratedColumns(h.db);
    expect(migrated.size).toBeGreaterThan(30);
    expect(differences(declaredColumns(), migrated)).toEqual([]);
  });

  it('names a column a migration added without declaring it, and a declared column no migration made', async () => {
    // The same comparison, after DDL the schema does not know (rolled back: the database is shared).
    const found = await h.db
      .transaction()
      .execute(async (tx) => {
        await sql`alter table bill_types add column undeclared text`.execute(tx);
        await sql`alter table bill_types alter column name drop not null`.execute(tx);
        await sql`alter table ops_users drop column disabled_at`.execute(tx);
        await sql`create table undeclared_table (id int primary key)`.execute(tx);
        const seen = differences(declaredColumns(), await migratedColumns(tx));
        throw Object.assign(new Error('roll back'), { seen });
      })
      .catch((error: unknown) => (error as { seen?: string[] }).seen);
    expect(found?.sort()).toEqual(
      [
        'bill_types.undeclared (nullable) is not declared in schema.ts',
        'bill_types.name is nullable but schema.ts says not null',
        'ops_users.disabled_at is declared in schema.ts but no migration creates it',
        'table undeclared_table is not declared in schema.ts',
      ].sort(),
    );
    expect(differences(declaredColumns(), await migratedColumns(h.db))).toEqual([]);
  });
});
