import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { request } from 'undici';
import { TcpProxy } from '../test/support/tcp-proxy';
import {
  PENDING_RESOLUTION_REQUIRED,
  checkAcknowledged,
  checkCoreBanking,
  checkLedger,
  checkNoDuplicates,
  checkNothingInFlight,
  checkPendingResolved,
  checkThroughApi,
  retryUnanswered,
} from './faults/invariants';
import { Load, send, type Exchange } from './faults/load';
import { Postgres, Ports, gatewayNode, redisServer, simulatorsProcess, type Managed } from './faults/servers';

/**
 * The fault suite (issue 10): two gateway nodes on one PostgreSQL 15 (fsync on) and Redis, the
 * simulators in processes of their own, load from several clients with unique keys; faults one at a
 * time, and after each the invariants, in SQL and through the API. Prints a table (BENCHMARKS.md).
 *
 *   npm run faults                 every fault (about 5 minutes)
 *   npm run faults -- --short      node kill -9, PostgreSQL restart, Redis killed (CI)
 *   npm run faults -- --only postgres-sigstop,db-latency
 *
 * FAULTS_DIR keeps the servers' files and the request journal (a temp dir otherwise, removed after);
 * FAULTS_PORT_BASE=20500 puts every listener on 20500 and up instead of free ports.
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A node must serve again within this long after a fault heals, without a hand restart. */
const RECOVERY_LIMIT_MS = 30_000;
/** How long after the load stops a payment may still be in flight (the lease is 10 s, the sweep 2 s). */
const IN_FLIGHT_WINDOW_MS = 30_000;
/** How long PENDING payments get to reach their final state (biller window 10 s, inquiries every 1-5 s). */
const PENDING_WINDOW_MS = 45_000;
const CORE_BANKING_INITIAL = 100_000_000_000n;

interface Node {
  readonly name: string;
  readonly url: string;
  readonly process: Managed;
}

interface Ctx {
  readonly pg: Postgres;
  readonly redis: Managed;
  readonly billerSim: Managed;
  readonly dbProxy: TcpProxy;
  readonly coreBankingProxy: TcpProxy;
  readonly nodes: readonly Node[];
  readonly load: Load;
  readonly openDb: () => Promise<pg.Client>;
  notes: string[];
}

interface Fault {
  readonly name: string;
  readonly describe: string;
  readonly holdMs: number;
  inject(ctx: Ctx): Promise<void>;
  heal(ctx: Ctx): Promise<void>;
}

/** After kill -9 of node A: how long until every key it had in flight is answered through node B. */
let timeToAnswer: Promise<string> | undefined;

function measureTimeToAnswer(ctx: Ctx, killedAt: number): Promise<string> {
  const victim = ctx.nodes[0]!.name;
  const survivor = ctx.nodes[1]!;
  const open = ctx.load.exchanges.filter((x) => x.node === victim && x.answeredAt === 0);
  return (async () => {
    if (open.length === 0) return 'no request was in flight on the killed node';
    await sleep(200); // let the load record the reset connections
    let lastAnswer = 0;
    let conflicts = 0;
    await Promise.all(
      open.map(async (x) => {
        for (;;) {
          const res = await send(survivor.url, x.partner, x.key, x.body);
          if (res.status === 409) conflicts += 1;
          if (res.status !== 409 && res.status !== 0 && res.status < 500) {
            lastAnswer = Math.max(lastAnswer, Date.now());
            return;
          }
          if (Date.now() - killedAt > 120_000) return;
          await sleep(250);
        }
      }),
    );
    return `${open.length} request(s) in flight on the killed node answered through the other within ${((lastAnswer - killedAt) / 1000).toFixed(1)} s of kill -9 (${conflicts} × 409 meanwhile)`;
  })();
}

const FAULTS: Fault[] = [
  {
    name: 'node-kill-9',
    describe: 'kill -9 of node A under load, restarted 3 s later',
    holdMs: 3_000,
    inject: async (ctx) => {
      // Besides the load, a few payments the biller answers slowly, so that some keys are surely
      // claimed and in flight on node A when it dies.
      const victim = ctx.nodes[0]!;
      const refs = Array.from({ length: 4 }, (_, i) => `slow-${Date.now()}-${i}`);
      for (const [i, ref] of refs.entries()) {
        const body = { ...probeBody(), billReference: `SLOW-${i}`, partnerReference: ref };
        const x = ctx.load.track(victim.name, 'demo-mfs', body);
        void send(victim.url, 'demo-mfs', x.key, body).then((res) => ctx.load.answered(x, res));
      }
      await untilPosted(ctx, refs);
      const at = Date.now();
      victim.process.kill9();
      timeToAnswer = measureTimeToAnswer(ctx, at);
    },
    heal: async (ctx) => {
      await ctx.nodes[0]!.process.start();
      if (timeToAnswer !== undefined) ctx.notes.push(await timeToAnswer);
    },
  },
  {
    name: 'postgres-restart',
    describe: 'pg_ctl restart -m fast under load',
    holdMs: 0,
    inject: (ctx) => ctx.pg.restart(),
    heal: () => Promise.resolve(),
  },
  {
    name: 'postgres-sigstop',
    describe: 'every PostgreSQL process SIGSTOPped for 10 s',
    holdMs: 10_000,
    inject: (ctx) => Promise.resolve(ctx.pg.signalAll('SIGSTOP')),
    heal: (ctx) => Promise.resolve(ctx.pg.signalAll('SIGCONT')),
  },
  {
    name: 'redis-killed',
    describe: 'kill -9 of Redis, restarted 5 s later',
    holdMs: 5_000,
    inject: (ctx) => Promise.resolve(ctx.redis.kill9()),
    heal: async (ctx) => {
      await ctx.redis.start();
    },
  },
  {
    name: 'biller-killed',
    describe: 'kill -9 of the biller simulator, restarted 3 s later',
    holdMs: 3_000,
    inject: (ctx) => Promise.resolve(ctx.billerSim.kill9()),
    heal: async (ctx) => {
      await ctx.billerSim.start();
    },
  },
  {
    name: 'core-banking-slow',
    describe: 'core banking answers 2 s late (timeout 5 s) for 8 s',
    holdMs: 8_000,
    inject: (ctx) => Promise.resolve(void (ctx.coreBankingProxy.latencyMs = 2_000)),
    heal: (ctx) => Promise.resolve(void (ctx.coreBankingProxy.latencyMs = 0)),
  },
  {
    name: 'db-latency',
    describe: '50 ms added each way on the database connection for 8 s',
    holdMs: 8_000,
    inject: (ctx) => Promise.resolve(void (ctx.dbProxy.latencyMs = 50)),
    heal: (ctx) => Promise.resolve(void (ctx.dbProxy.latencyMs = 0)),
  },
];
const SHORT = ['node-kill-9', 'postgres-restart', 'redis-killed'];

interface Row {
  fault: string;
  requests: number;
  acknowledged: number;
  lost: number;
  duplicated: number;
  errorsDuringFault: number;
  recoveryMs: number;
  retried: number;
  pending: number;
  problems: string[];
  notes: string[];
}

async function waitServing(nodes: readonly Node[], since: number): Promise<number> {
  for (;;) {
    let all = true;
    for (const n of nodes) {
      const ready = await request(`${n.url}/health/ready`, { headersTimeout: 2_000 })
        .then(async (r) => {
          await r.body.dump();
          return r.statusCode === 200;
        })
        .catch(() => false);
      const paid =
        ready && (await send(n.url, 'demo-mfs', `probe-${Date.now()}-${n.name}`, probeBody())).status === 201;
      all &&= paid;
    }
    if (all) return Date.now() - since;
    if (Date.now() - since > RECOVERY_LIMIT_MS * 2) return Date.now() - since;
    await sleep(200);
  }
}

function probeBody(): Record<string, unknown> {
  return {
    billType: 'ELECTRICITY',
    billReference: 'PROBE-1',
    amount: '1.00',
    currency: 'BDT',
    payer: { wallet: '01700000000' },
    partnerReference: 'probe',
  };
}

/** Waits until the payments of these partner references are posted (claimed, the biller being asked). */
async function untilPosted(ctx: Ctx, refs: readonly string[]): Promise<void> {
  const db = await ctx.openDb();
  try {
    for (let i = 0; i < 200; i++) {
      const { rows } = await db.query<{ n: string }>(
        `select count(*)::text as n from payments where partner_reference = any($1::text[]) and status = 'POSTED'`,
        [refs],
      );
      if (Number(rows[0]?.n ?? 0) > 0) return;
      await sleep(10);
    }
  } finally {
    await db.end().catch(() => undefined);
  }
}

async function until(what: () => Promise<string[]>, withinMs: number): Promise<string[]> {
  const deadline = Date.now() + withinMs;
  let problems = await what();
  while (problems.length > 0 && Date.now() < deadline) {
    await sleep(500);
    problems = await what();
  }
  return problems;
}

async function runFault(fault: Fault, ctx: Ctx, openDb: () => Promise<pg.Client>): Promise<Row> {
  ctx.notes = [];
  const first = ctx.load.exchanges.length;
  ctx.load.fault = fault.name;
  ctx.load.start();
  await sleep(2_000);
  const injectedAt = Date.now();
  await fault.inject(ctx);
  await sleep(fault.holdMs);
  await fault.heal(ctx);
  const healedAt = Date.now();
  // Probed from the moment the fault heals, while the load goes on.
  const serving = waitServing(ctx.nodes, healedAt);
  await sleep(3_000);
  await ctx.load.stop();
  const recoveryMs = await serving;

  // A connection of its own per fault, opened after it healed (a restart cuts the earlier one).
  const db = await openDb();
  try {
    return await checkFault(fault, ctx, db, ctx.load.exchanges.slice(first), {
      injectedAt,
      healedAt,
      recoveryMs,
    });
  } finally {
    await db.end().catch(() => undefined);
  }
}

async function checkFault(
  fault: Fault,
  ctx: Ctx,
  db: pg.Client,
  mine: readonly Exchange[],
  t: { injectedAt: number; healedAt: number; recoveryMs: number },
): Promise<Row> {
  const { injectedAt, healedAt, recoveryMs } = t;
  const errorsDuringFault = mine.filter(
    (x) =>
      x.sentAt >= injectedAt - 1_000 && x.sentAt <= healedAt + 3_000 && (x.status === 0 || x.status >= 500),
  ).length;
  const retry = await retryUnanswered(ctx.nodes, mine, 60_000);
  const problems = [...retry.problems];
  problems.push(...(await until(() => checkNothingInFlight(db), IN_FLIGHT_WINDOW_MS)));
  const acknowledged = await checkAcknowledged(db, mine);
  problems.push(...acknowledged);
  const dups = await checkNoDuplicates(db);
  problems.push(...dups.problems);
  problems.push(...(await checkLedger(db)));
  // Refunds owed after a decline are retried by the sweep; give them its window to land.
  problems.push(
    ...(await until(() => checkCoreBanking(db, coreBankingDirect, CORE_BANKING_INITIAL), 15_000)),
  );
  problems.push(...(await checkThroughApi(ctx.nodes[1]!.url, mine)));
  // Resolution asks the biller and core banking on a short schedule here (RESOLUTION_RETRY_SCHEDULE,
  // the billers' status window): every PENDING payment must have its final state within this window.
  if (PENDING_RESOLUTION_REQUIRED)
    problems.push(...(await until(() => checkPendingResolved(db), PENDING_WINDOW_MS)));
  if (recoveryMs > RECOVERY_LIMIT_MS) problems.push(`nodes serving again only after ${recoveryMs} ms`);
  for (const n of ctx.nodes) {
    problems.push(...n.process.unexpectedExits.splice(0));
  }
  const pending = await db.query<{ n: string }>(
    `select count(*)::text as n from payments where status = 'PENDING' and idempotency_key = any($1::text[])`,
    [mine.map((x) => x.key)],
  );
  return {
    fault: fault.name,
    requests: mine.length,
    acknowledged: mine.filter((x) => x.status === 201).length,
    lost: acknowledged.length,
    duplicated: dups.duplicated,
    errorsDuringFault,
    recoveryMs,
    retried: retry.retried,
    pending: Number(pending.rows[0]?.n ?? 0),
    problems,
    notes: ctx.notes,
  };
}

let coreBankingDirect = '';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const onlyArg = args.indexOf('--only');
  const wanted =
    onlyArg >= 0
      ? (args[onlyArg + 1] ?? '').split(',')
      : args.includes('--short')
        ? SHORT
        : FAULTS.map((f) => f.name);
  const faults = FAULTS.filter((f) => wanted.includes(f.name));
  if (faults.length === 0) throw new Error(`no such fault; known: ${FAULTS.map((f) => f.name).join(', ')}`);

  const keep = process.env.FAULTS_DIR !== undefined;
  const dir = process.env.FAULTS_DIR ?? mkdtempSync(join(tmpdir(), 'billgate-faults-'));
  mkdirSync(dir, { recursive: true });
  const ports = new Ports(process.env.FAULTS_PORT_BASE);
  const started = Date.now();
  const log = (line: string): void =>
    void process.stdout.write(`[faults +${((Date.now() - started) / 1000).toFixed(0)}s] ${line}\n`);

  const pgServer = new Postgres(dir, await ports.take());
  const redisPort = await ports.take();
  const redis = redisServer(dir, redisPort);
  const billerPort = await ports.take();
  const coreBankingPort = await ports.take();
  const billerSim = simulatorsProcess(
    'biller-simulator',
    billerPort,
    await ports.take(),
    join(dir, 'biller-book'),
  );
  const coreSim = simulatorsProcess('core-banking-simulator', await ports.take(), coreBankingPort);
  coreBankingDirect = `http://127.0.0.1:${coreBankingPort}`;
  const dbProxy = new TcpProxy('127.0.0.1', pgServer.port);
  const coreBankingProxy = new TcpProxy('127.0.0.1', coreBankingPort);
  const managed: Managed[] = [redis, billerSim, coreSim];
  let failed = false;
  try {
    log(`servers under ${dir}`);
    await pgServer.start();
    const admin = new pg.Client({ connectionString: pgServer.url });
    await admin.connect();
    await admin.query('drop database if exists billgate_faults with (force)');
    await admin.query('create database billgate_faults');
    const fsync = await admin.query<{ fsync: string }>('show fsync');
    await admin.end();
    log(`PostgreSQL on ${pgServer.port} (fsync=${fsync.rows[0]?.fsync})`);
    await redis.start();
    await billerSim.start();
    await coreSim.start();
    await dbProxy.start(await ports.take());
    await coreBankingProxy.start(await ports.take());

    const nodes: Node[] = [];
    for (const name of ['A', 'B']) {
      const http = await ports.take();
      const nodeDir = join(dir, `node-${name}`);
      mkdirSync(nodeDir, { recursive: true });
      const proc = gatewayNode(`node ${name}`, {
        DATABASE_URL: `postgres://postgres@127.0.0.1:${dbProxy.port}/billgate_faults`,
        REDIS_URL: `redis://127.0.0.1:${redisPort}`,
        BILLER_SIMULATOR_URL: `http://127.0.0.1:${billerPort}`,
        CORE_BANKING_URL: `http://127.0.0.1:${coreBankingProxy.port}`,
        SIMULATORS: 'false',
        DEMO_DATA: 'true',
        HTTP_PORT: String(http),
        ISO8583_PORT: String(await ports.take()),
        MTLS_PORT: String(await ports.take()),
        DATA_DIR: nodeDir,
        CERTS_DIR: join(nodeDir, 'certs'),
        DATABASE_POOL_SIZE: '10',
        RESOLUTION_RETRY_SCHEDULE: '1s,2s,5s',
        CORE_BANKING_STATUS_WINDOW_MS: '10000',
      });
      managed.push(proc);
      await proc.start();
      nodes.push({ name, url: `http://127.0.0.1:${http}`, process: proc });
      log(`node ${name} on ${http}`);
    }
    const openDb = async (): Promise<pg.Client> => {
      const c = new pg.Client({
        connectionString: `postgres://postgres@127.0.0.1:${pgServer.port}/billgate_faults`,
      });
      c.on('error', () => undefined); // a fault may cut it; each fault opens its own
      await c.connect();
      return c;
    };

    {
      // The billers' status window, short enough for the suite to see every PENDING payment resolved.
      const c = await openDb();
      await c.query('update biller_endpoints set status_window_ms = 10000');
      await c.end();
    }
    const load = new Load(nodes, Number(process.env.FAULTS_CLIENTS ?? 6), join(dir, 'requests.jsonl'));
    const ctx: Ctx = {
      pg: pgServer,
      redis,
      billerSim,
      dbProxy,
      coreBankingProxy,
      nodes,
      load,
      openDb,
      notes: [],
    };
    const rows: Row[] = [];
    for (const fault of faults) {
      log(`${fault.name}: ${fault.describe}`);
      const row = await runFault(fault, ctx, openDb);
      rows.push(row);
      log(
        `${fault.name}: ${row.requests} requests, ${row.acknowledged} acknowledged, lost ${row.lost}, duplicated ${row.duplicated}, ` +
          `errors during fault ${row.errorsDuringFault}, serving again ${(row.recoveryMs / 1000).toFixed(1)} s, ` +
          `${row.problems.length === 0 ? 'invariants hold' : 'INVARIANTS BROKEN'}`,
      );
      for (const n of row.notes) log(`  ${n}`);
      for (const p of row.problems) log(`  ✗ ${p}`);
    }
    const table = [
      '| fault | requests | acknowledged | lost | duplicated | errors during fault | retried | left PENDING | serving again | invariants |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      ...rows.map(
        (r) =>
          `| ${r.fault} | ${r.requests} | ${r.acknowledged} | ${r.lost} | ${r.duplicated} | ${r.errorsDuringFault} | ${r.retried} | ${r.pending} | ${(r.recoveryMs / 1000).toFixed(1)} s | ${r.problems.length === 0 ? 'hold' : `**${r.problems.length} broken**`} |`,
      ),
    ].join('\n');
    process.stdout.write(`\n${table}\n\n`);
    for (const r of rows) for (const n of r.notes) process.stdout.write(`${r.fault}: ${n}\n`);
    writeFileSync(join(dir, 'report.md'), table + '\n');
    failed = rows.some((r) => r.problems.length > 0);
    process.stdout.write(
      `${failed ? 'FAULT SUITE FAILED' : 'fault suite passed'} in ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
    );
  } finally {
    for (const m of managed.reverse()) await m.stop();
    await dbProxy.stop();
    await coreBankingProxy.stop();
    pgServer.signalAll('SIGCONT');
    pgServer.stop();
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
  if (failed) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(
    `fault suite could not run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(2);
});
