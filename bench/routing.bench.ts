/**
 * Routing lookups and flips (issue 3):
 *   - lookup latency p50/p99 on a cache hit: the in-process cache (embedded default), the node's
 *     local copy with Redis configured, and a Redis hit (local copy dropped before each lookup);
 *   - lookup latency on a SQL miss (RoutingRulesReader.findRoute): PGlite, and PostgreSQL if set;
 *   - the time from an ops flip (PATCH over HTTP on node A) to its visibility on node B
 *     (needs DATABASE_URL and REDIS_URL; skipped otherwise).
 *
 * Run (from the repository root; tsx/ts-node are not installed, so compile first):
 *
 *   npx tsc -p tsconfig.json --outDir /tmp/bench-out --incremental false ; \
 *     ln -sfn $PWD/node_modules /tmp/bench-out/node_modules && node /tmp/bench-out/bench/routing.bench.js
 *
 *   # with real servers (the PostgreSQL, Redis and second-node figures need them):
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379 \
 *     node /tmp/bench-out/bench/routing.bench.js
 *
 * tsc prints errors of other folders if they have any; it still emits. The node_modules link is
 * needed because PGlite is loaded with import(), which ignores NODE_PATH. Options: --hits N (default
 * 100000), --misses N (default 2000), --flips N (default 30).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { startGateway, type Gateway } from '../src/bootstrap/gateway';
import { loadConfig } from '../src/config/config';
import type { RouteKey } from '../src/domain/routing/route';
import { RoutingRulesReader } from '../src/domain/routing/routing-rules.repository';
import { createLogger } from '../src/infrastructure/logging/logger';
import { newKeyEncryptionKeyLine } from '../src/infrastructure/secrets/key-encryption-keys';
import { createScratchDatabase } from '../test/support/scratch-database';
import { arg } from './lib/stats';

const HITS = Number(arg('hits', '100000'));
const MISSES = Number(arg('misses', '2000'));
const FLIPS = Number(arg('flips', '30'));
const KEY: RouteKey = { billType: 'ELECTRICITY', payerType: 'mfs-user', partnerId: 'demo-mfs' };

function percentiles(samplesNs: bigint[]): { p50: string; p99: string; n: number } {
  const us = samplesNs.map((s) => Number(s) / 1000).sort((a, b) => a - b);
  const at = (q: number): number => us[Math.min(us.length - 1, Math.floor(q * us.length))] ?? 0;
  const f = (v: number): string => (v < 10 ? v.toFixed(2) : v.toFixed(0));
  return { p50: `${f(at(0.5))} µs`, p99: `${f(at(0.99))} µs`, n: us.length };
}

async function time(n: number, op: () => Promise<unknown>, before?: () => void): Promise<bigint[]> {
  for (let i = 0; i < Math.min(1000, n); i += 1) {
    before?.();
    await op();
  }
  const samples: bigint[] = [];
  for (let i = 0; i < n; i += 1) {
    before?.();
    const t0 = process.hrtime.bigint();
    await op();
    samples.push(process.hrtime.bigint() - t0);
  }
  return samples;
}

interface Node {
  gateway: Gateway;
  dispose(): Promise<void>;
}

async function startNode(env: Record<string, string>, sharedDataDir?: string): Promise<Node> {
  const dataDir = sharedDataDir ?? mkdtempSync(join(tmpdir(), 'billgate-routing-bench-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    HTTP_PORT: '0',
    ISO8583_PORT: '0',
    MTLS_PORT: '0',
    BILLER_SIMULATOR_PORT: '0',
    CORE_BANKING_SIMULATOR_PORT: '0',
    LOG_LEVEL: 'silent',
    DEMO_DATA: 'true',
    SIMULATORS: 'true',
    ...env,
  });
  const gateway = await startGateway(config, { logger: createLogger('silent') });
  return {
    gateway,
    dispose: async () => {
      await gateway.close();
      if (sharedDataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function row(label: string, r: { p50: string; p99: string; n: number }): void {
  console.log(`${label.padEnd(58)} p50 ${r.p50.padStart(10)}   p99 ${r.p99.padStart(10)}   (n=${r.n})`);
}

async function main(): Promise<void> {
  console.log(`node ${process.version}, ${new Date().toISOString()}`);

  // 1. the embedded default: PGlite + in-process cache
  {
    const node = await startNode({});
    const routes = node.gateway.services.routes;
    row('cache hit, in-process (embedded default)', percentiles(await time(HITS, () => routes.resolve(KEY))));
    const reader = new RoutingRulesReader(node.gateway.services.database.db);
    row('SQL miss, PGlite (findRoute)', percentiles(await time(MISSES, () => reader.findRoute(KEY))));
    await node.dispose();
  }

  const databaseUrl = process.env.DATABASE_URL;
  const redisUrl = process.env.REDIS_URL;

  if (databaseUrl !== undefined) {
    const db = await createScratchDatabase(databaseUrl, 'billgate_bench');
    const node = await startNode({ DATABASE_URL: db.url });
    const reader = new RoutingRulesReader(node.gateway.services.database.db);
    row(
      'SQL miss, PostgreSQL over TCP (findRoute)',
      percentiles(await time(MISSES, () => reader.findRoute(KEY))),
    );
    await node.dispose();
    await db.drop();
  } else {
    console.log('SQL miss, PostgreSQL: skipped (DATABASE_URL not set)');
  }

  if (redisUrl !== undefined) {
    const prefix = `bench-${randomBytes(4).toString('hex')}:`;
    const node = await startNode({ REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix });
    const routes = node.gateway.services.routes;
    row(
      'cache hit, local copy with Redis configured',
      percentiles(await time(HITS, () => routes.resolve(KEY))),
    );
    row(
      'cache hit, Redis (local copy dropped before each lookup)',
      percentiles(
        await time(
          Math.min(HITS, 10_000),
          () => routes.resolve(KEY),
          () => routes.markSharedRecovered(),
        ),
      ),
    );
    await node.dispose();
  } else {
    console.log('cache hit, Redis: skipped (REDIS_URL not set)');
  }

  if (databaseUrl !== undefined && redisUrl !== undefined) {
    const db = await createScratchDatabase(databaseUrl, 'billgate_bench');
    const prefix = `bench-${randomBytes(4).toString('hex')}:`;
    // Two nodes on one database share its key-encryption key, as production nodes do.
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: prefix,
      SECRETS_KEK: newKeyEncryptionKeyLine('bench'),
    };
    const a = await startNode(env);
    const b = await startNode(env);
    const adb = a.gateway.services.database.db;
    await sql`insert into biller_endpoints (id, biller_name, bill_type, url, timeout_ms)
              values ('bench-alt', 'bench alternative', 'ELECTRICITY', 'http://127.0.0.1:1', 1500)`.execute(
      adb,
    );
    await sql`insert into ledger_accounts (id, kind, owner_id, currency)
              values ('settlement:bench-alt:BDT', 'settlement', 'ELECTRICITY', 'BDT')`.execute(adb);
    const rule = (
      await a.gateway.services.routing.list({ billType: 'ELECTRICITY', partnerId: 'demo-mfs' })
    ).find((r) => r.payerType === 'mfs-user');
    if (rule === undefined) throw new Error('no demo rule');
    const targets = [
      { billerEndpoint: 'bench-alt', settlementAccount: 'settlement:bench-alt:BDT' },
      { billerEndpoint: 'sim-electricity', settlementAccount: 'settlement:ELECTRICITY:BDT' },
    ];
    const fromRequest: bigint[] = [];
    const fromAnswer: bigint[] = [];
    for (let i = 0; i < FLIPS; i += 1) {
      await b.gateway.services.routes.resolve(KEY); // node B holds the route in its local copy
      const target = targets[i % 2]!;
      const t0 = process.hrtime.bigint();
      const res = await fetch(`${a.gateway.httpUrl}/ops/routing/rules/${rule.id}`, {
        method: 'PATCH',
        headers: { authorization: 'Bearer demo-key-ops', 'content-type': 'application/json' },
        body: JSON.stringify({ ...target, reason: `bench flip ${i}` }),
      });
      const answered = process.hrtime.bigint();
      if (res.status !== 200) throw new Error(`flip refused: ${res.status} ${await res.text()}`);
      const version = ((await res.json()) as { version: number }).version;
      for (;;) {
        const seen = await b.gateway.services.routes.resolve(KEY);
        if (seen?.version === version) break;
        if (process.hrtime.bigint() - t0 > 5_000_000_000n)
          throw new Error('flip not visible on node B in 5 s');
        // a local hit resolves in microtasks only: yield so node B's pub/sub socket can be read
        await new Promise((r) => setImmediate(r));
      }
      const visible = process.hrtime.bigint();
      fromRequest.push(visible - t0);
      fromAnswer.push(visible > answered ? visible - answered : 0n);
      await new Promise((r) => setTimeout(r, 50));
    }
    row('flip → visible on node B, from the PATCH request', percentiles(fromRequest));
    row('flip → visible on node B, after the PATCH answer', percentiles(fromAnswer));
    await b.dispose();
    await a.dispose();
    await db.drop();
  } else {
    console.log('flip → second node: skipped (needs DATABASE_URL and REDIS_URL)');
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
