import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';

/** The file a process holds in DATA_DIR while it has the embedded database open. */
export const LOCK_FILE = 'billgate.lock';

interface LockContent {
  readonly pid: number;
  readonly host: string;
  readonly since: string;
  readonly purpose: string;
}

/** Another live process has the embedded database open: two on one PGlite directory corrupt it. */
export class DataDirLockedError extends Error {
  readonly code = 'DATA_DIR_LOCKED';
  constructor(
    readonly dataDir: string,
    readonly holder: LockContent,
  ) {
    super(
      `DATA_DIR ${dataDir} is in use by ${holder.purpose} (pid ${holder.pid} on ${holder.host}, since ${holder.since}): ` +
        'two processes on one embedded database would corrupt it. Stop that process first ' +
        '(or, for the gateway, use its HTTP API: GET /ops/audit/verify; it migrates at start-up), ' +
        `or point DATA_DIR elsewhere. If no such process runs, delete ${join(dataDir, LOCK_FILE)}.`,
    );
    this.name = 'DataDirLockedError';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else; ESRCH: no such process (a stale lock).
    return (error as { code?: unknown }).code === 'EPERM';
  }
}

function read(path: string): LockContent | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockContent>;
    if (typeof parsed.pid !== 'number') return undefined;
    return {
      pid: parsed.pid,
      host: String(parsed.host ?? '?'),
      since: String(parsed.since ?? '?'),
      purpose: String(parsed.purpose ?? 'another billgate process'),
    };
  } catch {
    return undefined;
  }
}

/**
 * Takes DATA_DIR's lock for this process (gateway or CLI command), refusing while another live
 * process on this host holds it; a lock whose process is gone (killed, crashed) is taken over.
 * Returns the release function. A second open within the same process shares the lock.
 */
export function lockDataDir(dataDir: string, purpose: string): () => void {
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, LOCK_FILE);
  const content: LockContent = {
    pid: process.pid,
    host: hostname(),
    since: new Date().toISOString(),
    purpose,
  };
  for (let attempt = 0; attempt < 3; attempt += 1) {
    let fd: number;
    try {
      fd = openSync(path, 'wx');
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'EEXIST') throw error;
      const holder = read(path);
      if (holder?.pid === process.pid) return () => undefined;
      // Only a process on this host can be checked; a lock from elsewhere (shared disk) is respected.
      if (holder !== undefined && (holder.host !== hostname() || alive(holder.pid))) {
        throw new DataDirLockedError(dataDir, holder);
      }
      rmSync(path, { force: true });
      continue;
    }
    try {
      writeSync(fd, JSON.stringify(content));
    } finally {
      closeSync(fd);
    }
    return () => {
      if (read(path)?.pid === process.pid) rmSync(path, { force: true });
    };
  }
  throw new Error(`could not take ${path}`);
}
