import { createHash, randomBytes } from 'node:crypto';
import type { Executor } from '../db';
import { hashPassword, verifyPassword } from './passwords';

export type OpsRole = 'viewer' | 'operator';
export const OPS_ROLES: readonly OpsRole[] = ['viewer', 'operator'];

export interface OpsUser {
  readonly username: string;
  readonly displayName: string;
  readonly role: OpsRole;
}

export interface OpsSession {
  readonly user: OpsUser;
  readonly csrfToken: string;
  readonly expiresAt: Date;
}

/** What a role may do: a viewer reads; only an operator changes anything. */
export function mayChange(role: OpsRole): boolean {
  return role === 'operator';
}

/** The actor written to audit chains for a dashboard user (API keys write `ops:<name>`). */
export function actorOf(user: OpsUser): string {
  return `ops-user:${user.username}`;
}

export class OpsUserError extends Error {}

const SESSION_HOURS = 8;

function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function isRole(value: string): value is OpsRole {
  return (OPS_ROLES as readonly string[]).includes(value);
}

/**
 * Ops users and their sign-in sessions. A session token is 32 random bytes given to the browser once
 * (in an HttpOnly cookie) and stored only as its hash; each session has its own CSRF token.
 */
export class OpsUsers {
  constructor(private readonly now: () => Date = () => new Date()) {}

  async create(
    db: Executor,
    user: { username: string; displayName: string; role: OpsRole; password: string },
  ): Promise<OpsUser> {
    if (!/^[a-z0-9][a-z0-9._-]{1,62}$/.test(user.username)) {
      throw new OpsUserError('a username is 2-63 characters: lower-case letters, digits, ".", "_" or "-"');
    }
    if (user.password.length < 12) throw new OpsUserError('a password has at least 12 characters');
    await db
      .insertInto('ops_users')
      .values({
        username: user.username,
        display_name: user.displayName,
        role: user.role,
        password_hash: await hashPassword(user.password),
      })
      .onConflict((oc) => oc.column('username').doNothing())
      .execute();
    return { username: user.username, displayName: user.displayName, role: user.role };
  }

  /** Signs a user in: a new session, or undefined for an unknown user, a wrong password or a disabled one. */
  async signIn(
    db: Executor,
    username: string,
    password: string,
  ): Promise<{ token: string; session: OpsSession } | undefined> {
    const row = await db
      .selectFrom('ops_users')
      .select(['username', 'display_name', 'role', 'password_hash', 'disabled_at'])
      .where('username', '=', username)
      .executeTakeFirst();
    // The hash is computed even for an unknown user, so timing does not tell which usernames exist.
    const ok = await verifyPassword(password, row?.password_hash ?? DUMMY_HASH);
    if (row === undefined || !ok || row.disabled_at !== null || !isRole(row.role)) return undefined;
    const token = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(24).toString('base64url');
    const now = this.now();
    const expiresAt = new Date(now.getTime() + SESSION_HOURS * 3_600_000);
    await db
      .insertInto('ops_sessions')
      .values({
        token_hash: tokenHash(token),
        username,
        csrf_token: csrfToken,
        created_at: now,
        expires_at: expiresAt,
      })
      .execute();
    return {
      token,
      session: { user: { username, displayName: row.display_name, role: row.role }, csrfToken, expiresAt },
    };
  }

  async session(db: Executor, token: string): Promise<OpsSession | undefined> {
    const row = await db
      .selectFrom('ops_sessions as s')
      .innerJoin('ops_users as u', 'u.username', 's.username')
      .select([
        'u.username',
        'u.display_name',
        'u.role',
        'u.disabled_at',
        's.csrf_token',
        's.expires_at',
        's.revoked_at',
      ])
      .where('s.token_hash', '=', tokenHash(token))
      .executeTakeFirst();
    if (row === undefined || row.revoked_at !== null || row.disabled_at !== null) return undefined;
    if (row.expires_at.getTime() <= this.now().getTime() || !isRole(row.role)) return undefined;
    return {
      user: { username: row.username, displayName: row.display_name, role: row.role },
      csrfToken: row.csrf_token,
      expiresAt: row.expires_at,
    };
  }

  async signOut(db: Executor, token: string): Promise<void> {
    await db
      .updateTable('ops_sessions')
      .set({ revoked_at: this.now() })
      .where('token_hash', '=', tokenHash(token))
      .where('revoked_at', 'is', null)
      .execute();
  }
}

// A valid hash of a random password nobody knows, checked against when the username is unknown.
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$zKoT0fM5tqg6g0l8z0ov3mJ9v6Q8y5n1QnGq2wz3b6E';
