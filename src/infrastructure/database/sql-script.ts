import { sql, type Kysely } from 'kysely';

/**
 * Splits a SQL script into statements. PGlite's query path (the extended protocol) takes one
 * statement at a time, so migrations are split here rather than relying on the simple protocol.
 * Understands quoted strings, quoted identifiers, dollar-quoted bodies and line comments.
 */
export function splitSqlStatements(script: string): string[] {
  const statements: string[] = [];
  let current = '';
  let i = 0;
  while (i < script.length) {
    const ch = script[i]!;
    if (ch === '-' && script[i + 1] === '-') {
      const end = script.indexOf('\n', i);
      i = end === -1 ? script.length : end + 1;
      current += '\n';
      continue;
    }
    if (ch === "'" || ch === '"') {
      let j = i + 1;
      while (j < script.length) {
        if (script[j] === ch) {
          if (script[j + 1] === ch) j += 2;
          else break;
        } else j += 1;
      }
      current += script.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (ch === '$') {
      const tag = /^\$[A-Za-z_]*\$/.exec(script.slice(i, i + 64))?.[0];
      if (tag !== undefined) {
        const end = script.indexOf(tag, i + tag.length);
        if (end === -1) throw new Error(`unterminated dollar-quoted block ${tag}`);
        current += script.slice(i, end + tag.length);
        i = end + tag.length;
        continue;
      }
    }
    if (ch === ';') {
      if (current.trim() !== '') statements.push(current.trim());
      current = '';
      i += 1;
      continue;
    }
    current += ch;
    i += 1;
  }
  if (current.trim() !== '') statements.push(current.trim());
  return statements;
}

export async function runSqlScript(db: Kysely<unknown>, script: string): Promise<void> {
  for (const statement of splitSqlStatements(script)) {
    await sql.raw(statement).execute(db);
  }
}
