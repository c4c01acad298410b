import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Two processes on one embedded database corrupt it. While a gateway runs on DATA_DIR, the CLI
 * commands that open the database refuse with a message saying what to do (exit 75), and so does a
 * second gateway; once it has stopped, they run. Always on PGlite: that is what the lock protects.
 */
let dataDir: string;
const env = (): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH ?? '',
  NODE_NO_WARNINGS: '1',
  NODE_ENV: 'test',
  DATA_DIR: dataDir,
  CERTS_DIR: join(dataDir, 'certs'),
  HTTP_PORT: '0',
  MTLS_PORT: '0',
  ISO8583_PORT: '0',
  BILLER_SIMULATOR_PORT: '0',
  CORE_BANKING_SIMULATOR_PORT: '0',
  LOG_LEVEL: 'warn',
});

function run(entry: string, ...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const c = spawn(process.execPath, ['test/support/ts-child.cjs', entry, ...args], {
    env: env(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  c.stdout.on('data', (d: Buffer) => (out += d.toString()));
  c.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve) => c.on('close', (code) => resolve({ code, out, err })));
}

function startGateway(): Promise<ChildProcess> {
  const c = spawn(process.execPath, ['test/support/ts-child.cjs', 'src/main.ts'], {
    env: env(),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    c.once('exit', (code) => reject(new Error(`gateway exited (${code}): ${out}`)));
    c.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('billgate is running')) {
        c.removeAllListeners('exit');
        resolve(c);
      }
    });
  });
}

let gateway: ChildProcess | undefined;
beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'billgate-lock-e2e-'));
});
afterAll(() => {
  if (gateway !== undefined && gateway.exitCode === null) gateway.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

it('CLI commands and a second gateway refuse while a gateway holds DATA_DIR, and run once it stops', async () => {
  gateway = await startGateway();
  expect(existsSync(join(dataDir, 'billgate.lock'))).toBe(true);

  const verify = await run('src/cli/main.ts', 'audit', 'verify');
  expect(verify.code).toBe(75);
  expect(verify.err).toContain(`DATA_DIR ${dataDir} is in use by the billgate gateway (pid ${gateway.pid}`);
  expect(verify.err).toContain('Stop that process first');
  expect(verify.err).not.toMatch(/\n\s+at /); // a message, not a stack trace

  const migrate = await run('src/cli/main.ts', 'migrate');
  expect(migrate.code).toBe(75);
  expect(migrate.err).toContain('is in use by the billgate gateway');

  const second = await run('src/main.ts');
  expect(second.code).toBe(75);
  expect(second.err).toContain(`billgate: DATA_DIR ${dataDir} is in use by the billgate gateway`);

  const exited = new Promise((r) => gateway?.once('exit', r));
  gateway.kill('SIGTERM');
  await exited;
  expect(existsSync(join(dataDir, 'billgate.lock'))).toBe(false);

  const after = await run('src/cli/main.ts', 'audit', 'verify');
  expect(after.code).toBe(0);
  expect(after.out).toMatch(/intact/i);
  const migrated = await run('src/cli/main.ts', 'migrate');
  expect(migrated).toMatchObject({ code: 0, out: 'database is up to date\n' });
}, 90_000);

it('a lock left by a gateway killed with SIGKILL does not stop the next start', async () => {
  gateway = await startGateway();
  const exited = new Promise((r) => gateway?.once('exit', r));
  gateway.kill('SIGKILL');
  await exited;
  expect(existsSync(join(dataDir, 'billgate.lock'))).toBe(true);
  const verify = await run('src/cli/main.ts', 'audit', 'verify');
  expect(verify.code).toBe(0);
}, 90_000);
