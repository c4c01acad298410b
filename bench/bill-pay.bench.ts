/*
 * POST /bill/pay end to end against the running gateway (a separate process, as deployed), with
 * unique idempotency keys and many concurrent clients over keep-alive connections.
 *
 *   npm run bench -- bill-pay [--concurrency 64] [--seconds 15]
 *   DATABASE_URL=postgres://... REDIS_URL=redis://... npm run bench -- bill-pay
 *
 * The gateway, the simulators (biller, core banking; their own process unless
 * BENCH_SIMULATORS=in-process), PostgreSQL, Redis and this load generator all share the same 2 cores,
 * so the figures are a floor for a real deployment, not a ceiling.
 */
import { randomUUID } from 'node:crypto';
import { Pool } from 'undici';
import { arg, fmt } from './lib/stats';
import { describeOutcomes, runClosedLoop } from './lib/closed-loop';
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

  const result = await runClosedLoop({
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
  const s = result.summary;

  console.log(`POST /bill/pay on ${engine}, ${concurrency} concurrent clients, ${seconds} s`);
  console.log(
    `  ${s.count} payments, ${fmt(result.perSecond, 0)} payments/s, p50 ${fmt(s.p50Ms)} ms, p90 ${fmt(s.p90Ms)} ms, p99 ${fmt(s.p99Ms)} ms, max ${fmt(s.maxMs)} ms`,
  );
  console.log(`  outcomes: ${describeOutcomes(result.outcomes)}`);
  await pool.close();
  await gw.stop();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
