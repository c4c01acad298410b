import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createScratchDatabase } from '../../test/support/scratch-database';
import { parseSimulatorsListeningLine } from '../../src/simulators/simulators';

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
  /** The simulators' own process (`billgate simulators`); undefined with BENCH_SIMULATORS=in-process. */
  readonly simulators: ChildProcess | undefined;
  /** The database the gateway uses on PostgreSQL (its own scratch database unless BENCH_DATABASE=shared). */
  readonly databaseUrl: string | undefined;
  stop(): Promise<void>;
}

/**
 * Resolves with what `ready` finds in the process's stdout; rejects if the process exits first. The
 * rest of its stdout is drained and dropped.
 */
function waitForOutput<T>(
  child: ChildProcess,
  name: string,
  ready: (out: string) => T | undefined,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let out = '';
    let found: T | undefined;
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void =>
      reject(new Error(`${name} exited with ${code ?? signal ?? '?'}: ${out}`));
    child.once('exit', onExit);
    child.stdout?.on('data', (d: Buffer) => {
      if (found !== undefined) return;
      out += d.toString();
      found = ready(out);
      if (found !== undefined) {
        child.off('exit', onExit);
        resolve(found);
      }
    });
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/**
 * Starts the biller and core-banking simulators as their own process (dist/cli/main.js simulators,
 * any free ports), as parties outside the bank are, so that the gateway's event loop serves only the
 * gateway's own traffic.
 */
async function startSimulatorsProcess(): Promise<{
  child: ChildProcess;
  billerUrl: string;
  coreBankingUrl: string;
}> {
  const child = spawn(
    process.execPath,
    ['dist/cli/main.js', 'simulators', '--biller-port', '0', '--core-banking-port', '0'],
    { env: { ...process.env, NODE_ENV: 'development' }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    const urls = await waitForOutput(child, 'simulators', parseSimulatorsListeningLine);
    return { child, ...urls };
  } catch (error) {
    await stopChild(child);
    throw error;
  }
}

/**
 * Starts the built gateway (dist/main.js) as its own process, as an operator would, with demo data.
 * The simulators run in a process of their own (`billgate simulators`) and the demo points at them;
 * BENCH_SIMULATORS=in-process runs them inside the gateway process instead (SIMULATORS=true), as
 * before.
 */
export async function startGatewayProcess(env: Record<string, string>): Promise<RunningGateway> {
  const mode = process.env.BENCH_SIMULATORS ?? 'process';
  if (mode !== 'process' && mode !== 'in-process') {
    throw new Error(`BENCH_SIMULATORS must be "process" (the default) or "in-process", not "${mode}"`);
  }
  const simulators = mode === 'process' ? await startSimulatorsProcess() : undefined;
  const simulatorsEnv: Record<string, string> =
    simulators !== undefined
      ? {
          SIMULATORS: 'false',
          BILLER_SIMULATOR_URL: simulators.billerUrl,
          CORE_BANKING_URL: simulators.coreBankingUrl,
        }
      : {
          SIMULATORS: 'true',
          BILLER_SIMULATOR_PORT: String(await freePort()),
          CORE_BANKING_SIMULATOR_PORT: String(await freePort()),
        };

  const dataDir = mkdtempSync(join(tmpdir(), 'billgate-bench-'));
  // Each run on PostgreSQL gets a database of its own, as a fresh deployment would: a shared one grows
  // by every earlier run's payments (a million rows after a day of runs) and drifts the figures.
  // BENCH_DATABASE=shared uses DATABASE_URL as it is.
  const scratch =
    process.env.DATABASE_URL !== undefined && process.env.BENCH_DATABASE !== 'shared'
      ? await createScratchDatabase(process.env.DATABASE_URL, 'billgate_bench')
      : undefined;
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
      DEMO_DATA: 'true',
      ...(scratch !== undefined ? { DATABASE_URL: scratch.url } : {}),
      ...simulatorsEnv,
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // Should the benchmark die without stop(), take the child processes with it.
  const killAll = (): void => {
    child.kill('SIGTERM');
    simulators?.child.kill('SIGTERM');
  };
  process.once('exit', killAll);
  const stop = async (): Promise<void> => {
    process.off('exit', killAll);
    await stopChild(child);
    if (simulators !== undefined) await stopChild(simulators.child);
    rmSync(dataDir, { recursive: true, force: true });
    await scratch?.drop();
  };
  try {
    await waitForOutput(child, 'gateway', (out) => (out.includes('billgate is running') ? true : undefined));
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url: `http://127.0.0.1:${http}`,
    ports: { http, iso8583 },
    child,
    simulators: simulators?.child,
    databaseUrl: scratch?.url ?? process.env.DATABASE_URL,
    stop,
  };
}
