import type { Kysely } from 'kysely';
import { runSqlScript } from '../sql-script';

/*
 * People who run the bank's side from the ops dashboard: each signs in as themselves (never with the
 * ops API key), with a role, and every action they take is attributed to them. Sessions are stored
 * by the hash of their token, so a database reader cannot take one over.
 */

export async function up(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(
    db,
    `
    create table ops_users (
      username text primary key check (username ~ '^[a-z0-9][a-z0-9._-]{1,62}$'),
      display_name text not null,
      role text not null check (role in ('viewer', 'operator')),
      password_hash text not null,
      created_at timestamptz not null default now(),
      disabled_at timestamptz
    );

    create table ops_sessions (
      token_hash char(64) primary key,
      username text not null references ops_users (username),
      csrf_token text not null,
      created_at timestamptz not null,
      expires_at timestamptz not null,
      revoked_at timestamptz
    );
    create index ops_sessions_user on ops_sessions (username);
    `,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(db, `drop table if exists ops_sessions; drop table if exists ops_users;`);
}
