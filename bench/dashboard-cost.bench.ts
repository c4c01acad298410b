/*
 * What the ops dashboard costs the gateway: POST /bill/pay throughput with and without N live Today
 * pages open (each a server-sent events client of /dashboard/live, as a browser tab is), in one run,
 * rounds alternating so drift (the machine's load, the payments table growing) falls on both sides.
 *
 *   npm run bench -- dashboard-cost [--pages 10] [--rounds 6] [--seconds 8] [--concurrency 32]
 *   DATABASE_URL=postgres://... REDIS_URL=redis://... npm run bench -- dashboard-cost
 *
 * The gateway runs as its own process (dist/main.js, demo data), the simulators in theirs. The pages
 * are opened before a "with" round and closed after it; each must receive live updates during the
 * round, or the run fails (a page that is not live costs nothing and proves nothing). Besides the
 * overall ratio, the median of the rounds' pairwise ratios (each "with" round against the "without"
 * round next to it) is printed: on a shared machine it is the steadier of the two.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { Agent, Pool, request } from 'undici';
import { describeOutcomes, runClosedLoop, type ClosedLoopResult } from './lib/closed-loop';
import { startGatewayProcess } from './lib/gateway-process';
import { arg, fmt } from './lib/stats';

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** CPU time (user + system) a process has used so far, in ms; 0 once it is gone. */
function cpuMs(pid: number): number {
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/**
 * CPU used on the gateway's behalf: its own process (with PGlite, the database runs in it) and, on
 * PostgreSQL, the server processes serving its database. On a shared machine CPU per payment is a
 * far steadier measure of what the pages cost than throughput, which other work moves by tens of %.
 */
async function cpuSampler(
  gatewayPid: number,
  databaseUrl: string | undefined,
): Promise<{
  sample: () => Promise<Map<number, number>>;
  close: () => Promise<void>;
}> {
  const name = databaseUrl === undefined ? undefined : new URL(databaseUrl).pathname.slice(1);
  const admin =
    databaseUrl === undefined || process.env.DATABASE_URL === undefined
      ? undefined
      : new pg.Client({ connectionString: process.env.DATABASE_URL });
  await admin?.connect();
  return {
    sample: async () => {
      const pids = [gatewayPid];
      if (admin !== undefined && name !== undefined) {
        const r = await admin.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1', [
          name,
        ]);
        pids.push(...r.rows.map((x) => x.pid));
      }
      return new Map(pids.map((pid) => [pid, cpuMs(pid)]));
    },
    close: async () => {
      await admin?.end();
    },
  };
}

/** CPU used between two samples by the processes present at both. */
function cpuBetween(before: Map<number, number>, after: Map<number, number>): number {
  let ms = 0;
  for (const [pid, end] of after) {
    const start = before.get(pid);
    if (start !== undefined && end >= start) ms += end - start;
  }
  return ms;
}

interface LivePage {
  readonly events: () => number;
  close(): Promise<void>;
}

/** A Today page as the browser keeps it: one long-lived /dashboard/live stream, counting updates. */
async function openLivePage(url: string, cookie: string, dispatcher: Agent): Promise<LivePage> {
  const res = await request(`${url}/dashboard/live`, { headers: { cookie }, dispatcher });
  if (res.statusCode !== 200) throw new Error(`live page refused: ${res.statusCode}`);
  let events = 0;
  let tail = '';
  const reading = (async () => {
    try {
      for await (const chunk of res.body) {
        const text = tail + (chunk as Buffer).toString('utf8');
        events += text.split('event: traffic').length - 1;
        tail = text.slice(-16);
      }
    } catch {
      // Closed by us.
    }
  })();
  return {
    events: () => events,
    close: async () => {
      res.body.destroy();
      await reading;
    },
  };
}

async function signIn(url: string): Promise<string> {
  const res = await request(`${url}/dashboard/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'ops.viewer', password: 'viewer-demo-pass' }),
  });
  await res.body.text();
  if (res.statusCode !== 200) throw new Error(`sign-in refused: ${res.statusCode}`);
  return String(res.headers['set-cookie']).split(';')[0]!;
}

async function main(): Promise<void> {
  const pages = Number(arg('pages', '10'));
  const rounds = Number(arg('rounds', '6'));
  const seconds = Number(arg('seconds', '8'));
  const concurrency = Number(arg('concurrency', '32'));
  const engine =
    process.env.DATABASE_URL !== undefined ? 'PostgreSQL + Redis' : 'embedded (PGlite + in-process cache)';
  const gw = await startGatewayProcess({});
  const pool = new Pool(gw.url, { connections: concurrency, pipelining: 1, keepAliveTimeout: 30_000 });
  const sse = new Agent({ connections: pages + 1, bodyTimeout: 0, headersTimeout: 10_000 });
  const cookie = await signIn(gw.url);
  if (gw.child.pid === undefined) throw new Error('the gateway process has no pid');
  const cpu = await cpuSampler(gw.child.pid, gw.databaseUrl);

  const body = (n: number): string =>
    JSON.stringify({
      billType: ['ELECTRICITY', 'WATER', 'GAS'][n % 3],
      billReference: `BENCH-${n}`,
      amount: '10.00',
      currency: 'BDT',
      payer: { wallet: `0171${String(n).padStart(7, '0')}` },
      partnerReference: `dash-${n}`,
    });
  const load = (warmupSeconds: number): Promise<ClosedLoopResult> =>
    runClosedLoop({
      concurrency,
      warmupSeconds,
      seconds,
      send: async (n) => {
        const res = await pool.request({
          path: '/bill/pay',
          method: 'POST',
          headers: {
            authorization: 'Bearer demo-key-demo-mfs',
            'idempotency-key': randomUUID(),
            'content-type': 'application/json',
          },
          body: body(n),
        });
        const text = await res.body.text();
        return res.statusCode === 201
          ? (JSON.parse(text) as { status: string }).status
          : `HTTP ${res.statusCode}`;
      },
    });

  console.log(
    `POST /bill/pay on ${engine}, ${concurrency} concurrent clients, ${rounds} rounds of ${seconds} s each way, ${pages} live Today pages in the "with" rounds`,
  );
  await load(3); // warm-up of the whole path, not recorded
  const totals = { without: { n: 0, s: 0, cpu: 0 }, with: { n: 0, s: 0, cpu: 0 } };
  const pairRatios: number[] = [];
  for (let round = 1; round <= rounds; round += 1) {
    // Alternate which side goes first, so neither always runs on the larger table.
    const order: ('without' | 'with')[] = round % 2 === 1 ? ['without', 'with'] : ['with', 'without'];
    const perSecond: Partial<Record<'without' | 'with', number>> = {};
    for (const side of order) {
      const open =
        side === 'with'
          ? await Promise.all(Array.from({ length: pages }, () => openLivePage(gw.url, cookie, sse)))
          : [];
      const before = await cpu.sample();
      const r = await load(1);
      const used = cpuBetween(before, await cpu.sample());
      const updates = open.map((p) => p.events());
      await Promise.all(open.map((p) => p.close()));
      if (side === 'with' && updates.some((u) => u < 1)) {
        throw new Error(`a live page received too few updates during the round: ${updates.join(', ')}`);
      }
      perSecond[side] = r.perSecond;
      totals[side].n += r.summary.count;
      totals[side].s += seconds;
      totals[side].cpu += used; // over the round and its 1 s warm-up
      console.log(
        `  round ${round} ${side.padEnd(7)} ${fmt(r.perSecond, 0).padStart(6)} payments/s, CPU ${fmt(used / (seconds + 1), 0)} ms/s, p50 ${fmt(r.summary.p50Ms)} ms, p99 ${fmt(r.summary.p99Ms)} ms${
          side === 'with' ? `, updates per page ${Math.min(...updates)}–${Math.max(...updates)}` : ''
        }  (${describeOutcomes(r.outcomes)})`,
      );
    }
    pairRatios.push((perSecond.with ?? 0) / (perSecond.without ?? 1));
  }
  const without = totals.without.n / totals.without.s;
  const sorted = [...pairRatios].sort((a, b) => a - b);
  const median =
    sorted.length % 2 === 1
      ? sorted[(sorted.length - 1) / 2]!
      : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
  const withPages = totals.with.n / totals.with.s;
  console.log(
    `  overall: without ${fmt(without, 0)} payments/s, with ${pages} live pages ${fmt(withPages, 0)} payments/s, ratio ${fmt(withPages / without, 3)} (drop ${fmt((1 - withPages / without) * 100)}%)`,
  );
  console.log(
    `  median of the ${pairRatios.length} pairwise ratios ${fmt(median, 3)} (drop ${fmt((1 - median) * 100)}%); pairs: ${pairRatios.map((x) => fmt(x, 2)).join(' ')}`,
  );
  // The pages' own CPU, measured with no payment load (where nothing else moves it much): the same
  // table, the gateway idle but for its background work, without and with the pages, alternating.
  const idleSeconds = Number(arg('idle-seconds', '10'));
  const idle = { without: 0, with: 0 };
  for (let round = 1; round <= 3; round += 1) {
    for (const side of ['without', 'with'] as const) {
      const open =
        side === 'with'
          ? await Promise.all(Array.from({ length: pages }, () => openLivePage(gw.url, cookie, sse)))
          : [];
      const before = await cpu.sample();
      await new Promise((r) => setTimeout(r, idleSeconds * 1000));
      idle[side] += cpuBetween(before, await cpu.sample());
      await Promise.all(open.map((p) => p.close()));
    }
  }
  const pagesCpuPerSecond = (idle.with - idle.without) / (3 * idleSeconds);
  const loadCpuPerSecond = totals.without.cpu / (totals.without.s + rounds);
  const where =
    gw.databaseUrl === undefined ? 'gateway, PGlite inside it' : 'gateway + its PostgreSQL backends';
  console.log(
    `  CPU (${where}) idle: ${fmt(idle.without / (3 * idleSeconds), 1)} ms/s without pages, ${fmt(idle.with / (3 * idleSeconds), 1)} ms/s with ${pages}: the pages cost ${fmt(pagesCpuPerSecond, 1)} ms of CPU per second`,
  );
  console.log(
    `  under load without pages the gateway used ${fmt(loadCpuPerSecond, 0)} ms of CPU per second: the pages' share ${fmt((pagesCpuPerSecond / loadCpuPerSecond) * 100, 2)}%`,
  );
  await cpu.close();
  await pool.close();
  await sse.close();
  await gw.stop();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
