import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, chmodSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { freePort } from '../lib/gateway-process';

/**
 * The real servers of the fault suite, each started and stopped by the suite itself so that CI can
 * run it from a clean machine: a PostgreSQL 15 of its own (fsync on, the default a bank runs), a
 * Redis, the simulators (biller and core banking in separate processes, so killing the biller keeps
 * core banking's own ledger) and the gateway nodes. Everything listens on 127.0.0.1.
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Ports: FAULTS_PORT_BASE=20500 uses 20500, 20501, ... (a hand-run range); otherwise any free port. */
export class Ports {
  private next: number | undefined;
  constructor(base: string | undefined) {
    this.next = base === undefined ? undefined : Number(base);
  }
  async take(): Promise<number> {
    if (this.next === undefined) return freePort();
    return this.next++;
  }
}

function findPgBin(): string {
  if (process.env.PGBIN !== undefined) return process.env.PGBIN;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(a) - Number(b)) : [];
  const latest = versions.at(-1);
  if (latest === undefined) throw new Error('PostgreSQL not found: set PGBIN to its bin directory');
  return join(root, latest, 'bin');
}

const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** initdb and postgres refuse to run as root: as root, run them as the postgres user. */
function pgCommand(bin: string, args: string[]): [string, string[]] {
  return asRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
}

function run(bin: string, args: string[]): string {
  const [cmd, argv] = pgCommand(bin, args);
  return execFileSync(cmd, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export class Postgres {
  private readonly bin = findPgBin();
  readonly dataDir: string;

  constructor(
    dir: string,
    readonly port: number,
    /** The data directory's name under `dir` (a standby has its own). */
    name = 'pg',
  ) {
    this.dataDir = join(dir, name);
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  async start(): Promise<void> {
    if (!existsSync(join(this.dataDir, 'PG_VERSION'))) {
      rmSync(this.dataDir, { recursive: true, force: true });
      mkdirSync(this.dataDir, { recursive: true });
      // mkdtemp makes the suite's directory 0700 for its (root) owner: the postgres user that initdb
      // runs as must be able to reach its data directory inside it.
      if (asRoot) chmodSync(dirname(this.dataDir), 0o755);
      chmodSync(this.dataDir, 0o700);
      if (asRoot) execFileSync('chown', ['postgres:postgres', this.dataDir]);
      run(join(this.bin, 'initdb'), [
        '-D',
        this.dataDir,
        '-U',
        'postgres',
        '-A',
        'trust',
        '-E',
        'UTF8',
        '--locale=C.UTF-8',
      ]);
    }
    this.ctl(['start', '-w', '-t', '60', '-l', join(this.dataDir, 'server.log'), '-o', this.options()]);
    await this.waitReady();
  }

  /**
   * A streaming replica of `primary` on `port`: `pg_basebackup -R` (which writes primary_conninfo and
   * standby.signal), then started as a hot standby. The primary is then made to wait for it on every
   * commit (synchronous_standby_names), as a bank running a standby for failover does: an
   * asynchronous standby loses whatever the primary acknowledged in its last moments.
   */
  static async standbyOf(primary: Postgres, dir: string, port: number): Promise<Postgres> {
    const standby = new Postgres(dir, port, 'pg-standby');
    rmSync(standby.dataDir, { recursive: true, force: true });
    mkdirSync(standby.dataDir, { recursive: true });
    chmodSync(standby.dataDir, 0o700);
    if (asRoot) execFileSync('chown', ['postgres:postgres', standby.dataDir]);
    run(join(standby.bin, 'pg_basebackup'), [
      '-h',
      '127.0.0.1',
      '-p',
      String(primary.port),
      '-U',
      'postgres',
      '-D',
      standby.dataDir,
      '-R',
      '-X',
      'stream',
      '-c',
      'fast',
    ]);
    await standby.start();
    primary.sql(`alter system set synchronous_standby_names = '*'`);
    primary.sql('select pg_reload_conf()');
    for (let i = 0; i < 200; i++) {
      if (primary.sql(`select count(*) from pg_stat_replication where sync_state = 'sync'`) === '1') {
        return standby;
      }
      await sleep(100);
    }
    throw new Error('the standby did not become a synchronous replica');
  }

  /** `pg_ctl promote`: the standby becomes a primary, accepting writes when this returns. */
  async promote(): Promise<void> {
    this.ctl(['promote', '-w', '-t', '60']);
    for (let i = 0; i < 200; i++) {
      if (this.sql('select pg_is_in_recovery()') === 'f') return;
      await sleep(100);
    }
    throw new Error('the promoted standby is still in recovery');
  }

  /** One statement through psql, its single value back (the suite's own administration). */
  sql(statement: string): string {
    return run(join(this.bin, 'psql'), [
      '-h',
      '127.0.0.1',
      '-p',
      String(this.port),
      '-U',
      'postgres',
      '-d',
      'postgres',
      '-XAtq',
      '-c',
      statement,
    ]).trim();
  }

  /** `pg_ctl restart -m fast`: what the reliability team did under load. */
  async restart(): Promise<void> {
    this.ctl([
      'restart',
      '-m',
      'fast',
      '-w',
      '-t',
      '60',
      '-l',
      join(this.dataDir, 'server.log'),
      '-o',
      this.options(),
    ]);
    await this.waitReady();
  }

  stop(): void {
    try {
      this.ctl(['stop', '-m', 'immediate', '-w']);
    } catch {
      /* already stopped */
    }
  }

  /** Every process of the cluster: the postmaster and its children (a SIGSTOP must reach all of them). */
  pids(): number[] {
    const pidFile = join(this.dataDir, 'postmaster.pid');
    if (!existsSync(pidFile)) return [];
    const postmaster = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    const children: number[] = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const status = readFileSync(`/proc/${entry}/status`, 'utf8');
        const ppid = /^PPid:\s+(\d+)/m.exec(status)?.[1];
        if (Number(ppid) === postmaster) children.push(Number(entry));
      } catch {
        /* gone meanwhile */
      }
    }
    return [postmaster, ...children];
  }

  signalAll(signal: NodeJS.Signals): void {
    for (const pid of this.pids()) {
      try {
        process.kill(pid, signal);
      } catch {
        /* gone meanwhile */
      }
    }
  }

  private options(): string {
    // fsync stays on (the default); enough connections for two nodes' pools and the suite.
    return `-c listen_addresses=127.0.0.1 -p ${this.port} -k ${this.dataDir} -c max_connections=200`;
  }

  private ctl(args: string[]): void {
    run(join(this.bin, 'pg_ctl'), ['-D', this.dataDir, ...args]);
  }

  private async waitReady(): Promise<void> {
    for (let i = 0; i < 100; i++) {
      try {
        run(join(this.bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(this.port), '-q']);
        return;
      } catch {
        await sleep(100);
      }
    }
    throw new Error('PostgreSQL did not become ready');
  }
}

/** A child process the suite owns, restartable on the same command line. */
export class Managed {
  child: ChildProcess | undefined;
  private output = '';

  constructor(
    readonly name: string,
    private readonly command: string,
    private readonly args: string[],
    private readonly env: Record<string, string>,
    private readonly readyLine: RegExp,
    /** Where everything the process writes is kept (across its restarts), for a failed run's post-mortem. */
    private readonly logFile?: string,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Exits the suite saw that it did not ask for (a node dying on a fault is a failed invariant). */
  readonly unexpectedExits: string[] = [];
  private expectingExit = false;

  async start(): Promise<string> {
    this.output = '';
    this.expectingExit = false;
    const child = spawn(this.command, this.args, {
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.on('exit', (code, signal) => {
      if (!this.expectingExit) this.unexpectedExits.push(`${this.name} exited ${code ?? signal ?? '?'}`);
    });
    const collect = (d: Buffer): void => {
      this.output = (this.output + d.toString()).slice(-20_000);
      if (this.logFile !== undefined) appendFileSync(this.logFile, d);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const started = Date.now();
    while (!this.readyLine.test(this.output)) {
      if (!this.alive) throw new Error(`${this.name} exited while starting:\n${this.output}`);
      if (Date.now() - started > 60_000) throw new Error(`${this.name} did not start:\n${this.output}`);
      await sleep(50);
    }
    return this.output;
  }

  /** kill -9: no drain, no goodbye. */
  kill9(): void {
    this.expectingExit = true;
    this.child?.kill('SIGKILL');
  }

  async stop(): Promise<void> {
    if (!this.alive) return;
    this.expectingExit = true;
    const exited = new Promise((r) => this.child?.once('exit', r));
    this.child?.kill('SIGTERM');
    await Promise.race([exited, sleep(10_000)]);
    if (this.alive) this.child?.kill('SIGKILL');
  }

  tail(): string {
    return this.output.slice(-3_000);
  }
}

export function redisServer(dir: string, port: number): Managed {
  const bin = process.env.REDIS_SERVER_BIN ?? 'redis-server';
  mkdirSync(join(dir, 'redis'), { recursive: true });
  return new Managed(
    'redis',
    bin,
    [
      '--bind',
      '127.0.0.1',
      '--port',
      String(port),
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      join(dir, 'redis'),
    ],
    {},
    /Ready to accept connections/,
  );
}

/** `billgate simulators` on fixed ports, so a restart comes back where the gateway expects it. */
export function simulatorsProcess(
  name: string,
  billerPort: number,
  coreBankingPort: number,
  stateDir?: string,
): Managed {
  return new Managed(
    name,
    process.execPath,
    [
      'dist/cli/main.js',
      'simulators',
      '--biller-port',
      String(billerPort),
      '--core-banking-port',
      String(coreBankingPort),
    ],
    // With a state dir the biller keeps its book of paid bills across a kill, as a real biller would.
    { NODE_ENV: 'development', ...(stateDir !== undefined ? { BILLER_SIMULATOR_STATE_DIR: stateDir } : {}) },
    /simulators listening/,
  );
}

export function gatewayNode(name: string, env: Record<string, string>, logFile?: string): Managed {
  return new Managed(
    name,
    process.execPath,
    ['dist/main.js'],
    { NODE_ENV: 'development', LOG_LEVEL: 'warn', ...env },
    /billgate is running/,
    logFile,
  );
}
