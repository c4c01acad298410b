import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Key-encryption keys (KEKs): the keys stored secrets are sealed under (see SecretSealer).
 *
 * They come from SECRETS_KEK (the value itself) or SECRETS_KEK_FILE (a file holding it), written as
 * one or more `<kid>:<base64 of 32 bytes>` separated by commas or new lines (`#` starts a comment in
 * a file). The FIRST is the active key: new secrets are sealed under it. The others only open what
 * was sealed under them, which is what lets a KEK be rotated without downtime:
 *
 *   1. list the new key second on every node (every node can now open what it will seal);
 *   2. move it first on every node (new writes use it);
 *   3. `billgate secrets rewrap` re-seals the old rows under it;
 *   4. once `billgate secrets status` shows nothing left under the old key, drop it.
 *
 * With neither set and NODE_ENV not production, a development KEK is generated into
 * DATA_DIR/secrets-kek on the first start (like the development PKI under certs/); production refuses
 * to start without one (see config.ts). Errors name the setting and the kid, never key material.
 */

export const KEK_BYTES = 32;
const KID = /^[A-Za-z0-9._-]{1,64}$/;
export const DEV_KEK_FILE = 'secrets-kek';

export interface KeyEncryptionKey {
  readonly kid: string;
  readonly key: Buffer;
}

export interface KeyEncryptionKeys {
  /** New secrets are sealed under this one. */
  readonly active: KeyEncryptionKey;
  /** Every key by kid, the active one included. */
  readonly byKid: ReadonlyMap<string, KeyEncryptionKey>;
  /** Where they came from, for messages: `SECRETS_KEK`, `SECRETS_KEK_FILE (path)` or the dev file. */
  readonly source: string;
}

/** A key-encryption key problem the operator fixes by configuration; the message says which. */
export class SecretsKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretsKeyError';
  }
}

/** Parses `kid:base64[,kid:base64...]`; `what` names the setting in errors. */
export function parseKeyEncryptionKeys(text: string, what: string): KeyEncryptionKeys {
  const entries = text
    .split('\n')
    .map((line) => line.replace(/#.*$/, ''))
    .join(',')
    .split(/[,\s]+/)
    .filter((e) => e !== '');
  if (entries.length === 0) throw new SecretsKeyError(`${what}: holds no key (expected <kid>:<base64 key>)`);
  const byKid = new Map<string, KeyEncryptionKey>();
  const keys: KeyEncryptionKey[] = [];
  entries.forEach((entry, i) => {
    const colon = entry.indexOf(':');
    const kid = colon < 0 ? '' : entry.slice(0, colon);
    const material = colon < 0 ? '' : entry.slice(colon + 1);
    if (!KID.test(kid)) {
      throw new SecretsKeyError(
        `${what}: entry ${i + 1} is not <kid>:<base64 key> with a kid of letters, digits, '.', '_' or '-'`,
      );
    }
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(material)) {
      throw new SecretsKeyError(`${what}: key ${kid} is not base64`);
    }
    const key = Buffer.from(
      material,
      material.includes('-') || material.includes('_') ? 'base64url' : 'base64',
    );
    if (key.length !== KEK_BYTES) {
      throw new SecretsKeyError(
        `${what}: key ${kid} is ${key.length} bytes; a KEK is ${KEK_BYTES} random bytes`,
      );
    }
    if (byKid.has(kid)) throw new SecretsKeyError(`${what}: kid ${kid} is listed twice`);
    const kek = { kid, key };
    byKid.set(kid, kek);
    keys.push(kek);
  });
  const active = keys[0];
  if (active === undefined) throw new SecretsKeyError(`${what}: holds no key`);
  return { active, byKid, source: what };
}

/** A fresh KEK line, `<kid>:<base64>`, for `billgate secrets new-kek` and the development file. */
export function newKeyEncryptionKeyLine(kid?: string): string {
  const id =
    kid ??
    `kek-${new Date().toISOString().slice(0, 10).replaceAll('-', '')}-${randomBytes(3).toString('hex')}`;
  if (!KID.test(id)) throw new SecretsKeyError(`kid ${id}: letters, digits, '.', '_' or '-' (at most 64)`);
  return `${id}:${randomBytes(KEK_BYTES).toString('base64')}`;
}

export interface KekSettings {
  readonly production: boolean;
  readonly dataDir: string;
  /** SECRETS_KEK */
  readonly kek: string | undefined;
  /** SECRETS_KEK_FILE */
  readonly kekFile: string | undefined;
}

/**
 * The KEKs this process uses. `createDevelopmentKey`: with nothing configured outside production,
 * write a development KEK into DATA_DIR when there is none yet (the gateway does; CLI commands only
 * read the one that is there).
 */
export function loadKeyEncryptionKeys(
  s: KekSettings,
  opts: { readonly createDevelopmentKey: boolean; readonly onCreated?: (path: string) => void },
): KeyEncryptionKeys {
  if (s.kek !== undefined && s.kekFile !== undefined) {
    throw new SecretsKeyError('SECRETS_KEK and SECRETS_KEK_FILE are both set: set one');
  }
  if (s.kek !== undefined) return parseKeyEncryptionKeys(s.kek, 'SECRETS_KEK');
  if (s.kekFile !== undefined)
    return parseKeyEncryptionKeys(readKekFile(s.kekFile), `SECRETS_KEK_FILE ${s.kekFile}`);
  if (s.production) {
    throw new SecretsKeyError('SECRETS_KEK: required when NODE_ENV=production (or SECRETS_KEK_FILE)');
  }
  const path = join(s.dataDir, DEV_KEK_FILE);
  if (!existsSync(path)) {
    if (!opts.createDevelopmentKey) {
      throw new SecretsKeyError(
        `no key-encryption key: set SECRETS_KEK or SECRETS_KEK_FILE (no development key at ${path} yet; the gateway creates one on its first start)`,
      );
    }
    writeDevelopmentKey(path);
    opts.onCreated?.(path);
  }
  return parseKeyEncryptionKeys(readKekFile(path), `development key file ${path}`);
}

function readKekFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new SecretsKeyError(`SECRETS_KEK_FILE ${path}: cannot be read (${String(code ?? error)})`);
  }
}

/**
 * Temp file then hard link (mode 0600): a crash never leaves a half-written key for the next start,
 * and of two processes starting on the same DATA_DIR at once the second keeps the first one's key.
 */
function writeDevelopmentKey(path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const body = [
    '# Development key-encryption key, generated on the first start because neither SECRETS_KEK nor',
    '# SECRETS_KEK_FILE was set. It seals the signing keys and webhook secrets stored in this DATA_DIR',
    '# database. Production refuses to start without a KEK of its own.',
    `${newKeyEncryptionKeyLine(`dev-${randomBytes(4).toString('hex')}`)}`,
    '',
  ].join('\n');
  writeFileSync(tmp, body, { mode: 0o600 });
  try {
    chmodSync(tmp, 0o600);
    linkSync(tmp, path);
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'EEXIST') throw error;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** Whether a KEK file can be read by other users of the machine (a warning, not a refusal). */
export function kekFileIsShared(path: string): boolean {
  try {
    return (statSync(path).mode & 0o077) !== 0;
  } catch {
    return false;
  }
}
