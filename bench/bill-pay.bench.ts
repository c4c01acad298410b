/*
 * POST /bill/pay end to end against the running gateway (a separate process, as deployed), with
 * unique idempotency keys and many concurrent clients over keep-alive connections.
 *
 *   npm run bench -- bill-pay [--concurrency 64] [--seconds 15]
 *   DATABASE_URL=postgres://... REDIS_URL=redis://... npm run bench -- bill-pay
 *
 * The gateway, its simulators (biller, core banking), PostgreSQL, Redis and this load generator all
 * share the same 2 cores, so the figures are a floor for a real deployment, not a ceiling.
 */
import { randomUUID } from 'node:crypto';
import { Pool } from 'undici';
import { arg, fmt, summarise } from './lib/stats';
import { startGatewayProcess } from './lib/gateway-process';

async function main(): Promise<void> {
  const concurrency = Number(arg('concurrency', '64'));
  const seconds = Number(arg('seconds', '15'));
  const warmupSeconds = Number(arg('warmup', '3'));
  const engine =
    process.env.DATABASE_URL !== undefined ? 'PostgreSQL + Redis' : 'embedded (PGlite + in-process cache)';
  const gw = await startGatewayProcess({});
  const pool = new Pool(gw.url, { connections: concurrency, pipelining: 1, keepAliveTimeout: 30_000 });

  const body = (n: number): string =>
    JSON.stringify({
      billType: ['ELECTRICITY', 'WATER', 'GAS'][n % 3],
      billReference: `BENCH-${n}`,
      amount: '10.00',
      currency: 'BDT',
      payer: { wallet: `0171${String(n).padStart(7, '0')}` },
      partnerReference: `bench-${n}`,
    });

  let n = 0;
  const run = async (
    untilMs: number,
    samples: bigint[] | undefined,
    outcomes: Map<string, number>,
  ): Promise<void> => {
    while (Date.now() < untilMs) {
      n += 1;
      const started = process.hrtime.bigint();
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
      samples?.push(process.hrtime.bigint() - started);
      const status =
        res.statusCode === 201 ? (JSON.parse(text) as { status: string }).status : `HTTP ${res.statusCode}`;
      outcomes.set(status, (outcomes.get(status) ?? 0) + 1);
    }
  };

  await Promise.all(
    Array.from({ length: concurrency }, () => run(Date.now() + warmupSeconds * 1000, undefined, new Map())),
  );
  const samples: bigint[] = [];
  const outcomes = new Map<string, number>();
  const started = Date.now();
  await Promise.all(
    Array.from({ length: concurrency }, () => run(started + seconds * 1000, samples, outcomes)),
  );
  const elapsed = (Date.now() - started) / 1000;
  const s = summarise(samples);

  console.log(`POST /bill/pay on ${engine}, ${concurrency} concurrent clients, ${seconds} s`);
  console.log(
    `  ${s.count} payments, ${fmt(s.count / elapsed, 0)} payments/s, p50 ${fmt(s.p50Ms)} ms, p90 ${fmt(s.p90Ms)} ms, p99 ${fmt(s.p99Ms)} ms, max ${fmt(s.maxMs)} ms`,
  );
  console.log(`  outcomes: ${[...outcomes].map(([k, v]) => `${k}=${v}`).join(' ')}`);
  await pool.close();
  await gw.stop();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
