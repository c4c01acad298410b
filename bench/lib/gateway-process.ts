import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface RunningGateway {
  readonly url: string;
  readonly ports: { http: number; iso8583: number };
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts the built gateway (dist/main.js) as its own process, as an operator would, with demo data. */
export async function startGatewayProcess(env: Record<string, string>): Promise<RunningGateway> {
  const dataDir = mkdtempSync(join(tmpdir(), 'billgate-bench-'));
  const http = await freePort();
  const iso8583 = await freePort();
  // BENCH_PROFILE_DIR=<dir> writes a V8 CPU profile of the gateway process there, to see where time goes.
  const profile = process.env.BENCH_PROFILE_DIR;
  const args =
    profile !== undefined ? ['--cpu-prof', `--cpu-prof-dir=${profile}`, 'dist/main.js'] : ['dist/main.js'];
  const child = spawn(process.execPath, args, {
    env: {
      ...process.env,
      NODE_ENV: 'development',
      DATA_DIR: dataDir,
      HTTP_PORT: String(http),
      ISO8583_PORT: String(iso8583),
      MTLS_PORT: String(await freePort()),
      BILLER_SIMULATOR_PORT: String(await freePort()),
      CORE_BANKING_SIMULATOR_PORT: String(await freePort()),
      DEMO_DATA: 'true',
      SIMULATORS: 'true',
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('billgate is running')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`gateway exited with ${code}: ${out}`)));
  });
  return {
    url: `http://127.0.0.1:${http}`,
    ports: { http, iso8583 },
    child,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
