import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataDirLockedError, LOCK_FILE, lockDataDir } from './data-dir-lock';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'billgate-lock-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const lockOf = (pid: number, purpose = 'the billgate gateway') =>
  writeFileSync(
    join(dir, LOCK_FILE),
    JSON.stringify({ pid, host: hostname(), since: '2026-12-06T10:00:00.000Z', purpose }),
  );

describe('lockDataDir', () => {
  it('writes the lock with this process and removes it on release', () => {
    const release = lockDataDir(dir, 'billgate migrate');
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'))).toMatchObject({
      pid: process.pid,
      purpose: 'billgate migrate',
    });
    release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it('refuses while another live process holds it, naming it and what to do', () => {
    const other = spawn('sleep', ['30']);
    try {
      lockOf(other.pid as number);
      let error: unknown;
      try {
        lockDataDir(dir, 'billgate audit verify');
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(DataDirLockedError);
      expect((error as Error).message).toContain(
        `DATA_DIR ${dir} is in use by the billgate gateway (pid ${other.pid}`,
      );
      expect((error as Error).message).toContain('Stop that process first');
      // Refused: the holder's lock is left as it was.
      expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: other.pid });
    } finally {
      other.kill();
    }
  });

  it('takes over a stale lock whose process is gone', () => {
    const gone = spawnSync(process.execPath, ['-e', '0']).pid;
    lockOf(gone);
    const release = lockDataDir(dir, 'billgate migrate');
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid });
    release();
  });

  it('respects a lock from another host (a shared disk): its process cannot be checked from here', () => {
    writeFileSync(
      join(dir, LOCK_FILE),
      JSON.stringify({ pid: 1, host: 'elsewhere', since: 'x', purpose: 'p' }),
    );
    expect(() => lockDataDir(dir, 'billgate migrate')).toThrow(DataDirLockedError);
  });

  it('a second open in the same process shares the lock', () => {
    const first = lockDataDir(dir, 'the billgate gateway');
    const second = lockDataDir(dir, 'billgate audit verify');
    second();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true);
    first();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });
});
