/*
 * ISO 20022 end to end: POST /iso20022/pacs.008 (one bill payment per message, the demo bank's
 * customer 1001000000001) → pacs.002, against the running gateway (a separate process), many
 * concurrent clients over keep-alive connections. Then parse + validate + map alone, in process.
 *
 *   npm run bench -- iso20022-e2e [--concurrency 64] [--seconds 15] [--map-iterations 5000] [--uetr on]
 *
 * --uetr on gives every payment a fresh UETR (its key is then the UETR, claimed across partners).
 *   DATABASE_URL=postgres://... REDIS_URL=redis://... npm run bench -- iso20022-e2e
 *
 * The gateway, the simulators (biller, core banking; their own process unless
 * BENCH_SIMULATORS=in-process), the database and this load generator all share the same cores, so
 * the figures are a floor for a real deployment.
 */
import { randomUUID } from 'node:crypto';
import { Pool } from 'undici';
import { Iso20022Engine, toInstructions } from '../src/protocols/iso20022';
import { startGatewayProcess } from './lib/gateway-process';
import { arg, fmt, summarise } from './lib/stats';
import { describeOutcomes, runClosedLoop } from './lib/closed-loop';

const PURPOSES = ['ELEC', 'WTER', 'GASB'] as const;

function pacs008(n: number, run: string, uetr?: string): string {
  const id = `${run}-${n}`;
  const uetrElement = uetr === undefined ? '' : `<UETR>${uetr}</UETR>`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08"><FIToFICstmrCdtTrf>
<GrpHdr><MsgId>BENCH-${id}</MsgId><CreDtTm>2026-05-14T09:30:00+06:00</CreDtTm><NbOfTxs>1</NbOfTxs>
<IntrBkSttlmDt>2026-05-14</IntrBkSttlmDt><SttlmInf><SttlmMtd>CLRG</SttlmMtd></SttlmInf></GrpHdr>
<CdtTrfTxInf><PmtId><InstrId>I-${id}</InstrId><EndToEndId>E-${id}</EndToEndId>${uetrElement}</PmtId>
<IntrBkSttlmAmt Ccy="BDT">10.00</IntrBkSttlmAmt><ChrgBr>SLEV</ChrgBr><Dbtr><Nm>Bench customer</Nm></Dbtr>
<DbtrAcct><Id><Othr><Id>1001000000001</Id></Othr></Id></DbtrAcct>
<DbtrAgt><FinInstnId><BICFI>PRTNBDDHXXX</BICFI></FinInstnId></DbtrAgt>
<CdtrAgt><FinInstnId><BICFI>BLGTBDDHXXX</BICFI></FinInstnId></CdtrAgt>
<Cdtr><Nm>Biller</Nm></Cdtr><Purp><Cd>${PURPOSES[n % 3]}</Cd></Purp>
<RmtInf><Strd><CdtrRefInf><Ref>BENCH-${n}</Ref></CdtrRefInf></Strd></RmtInf></CdtTrfTxInf>
</FIToFICstmrCdtTrf></Document>
`;
}

async function mapAlone(iterations: number): Promise<void> {
  const engine = await Iso20022Engine.create();
  const bodies = Array.from({ length: 100 }, (_, i) => Buffer.from(pacs008(i, 'MAP')));
  for (let i = 0; i < 500; i += 1) toInstructions(mustReceive(engine, bodies[i % 100]!));
  const samples: bigint[] = [];
  const started = process.hrtime.bigint();
  for (let i = 0; i < iterations; i += 1) {
    const t0 = process.hrtime.bigint();
    toInstructions(mustReceive(engine, bodies[i % 100]!));
    samples.push(process.hrtime.bigint() - t0);
  }
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  const s = summarise(samples);
  console.log(
    `parse + validate + map (engine.receive + toInstructions), one pacs.008 of ${bodies[0]!.length} bytes`,
  );
  console.log(
    `  ${s.count} messages, ${fmt(s.count / elapsed, 0)} messages/s on one core, p50 ${fmt(s.p50Ms, 3)} ms, p99 ${fmt(s.p99Ms, 3)} ms`,
  );
  engine.dispose();
}

function mustReceive(engine: Iso20022Engine, body: Buffer): Parameters<typeof toInstructions>[0] {
  const r = engine.receive(body);
  if (!r.ok) throw new Error(`bench message refused: ${JSON.stringify(r.failure)}`);
  return r.message;
}

async function main(): Promise<void> {
  const concurrency = Number(arg('concurrency', '64'));
  const seconds = Number(arg('seconds', '15'));
  const warmupSeconds = Number(arg('warmup', '3'));
  const mapIterations = Number(arg('map-iterations', '5000'));
  const withUetr = arg('uetr', 'off') === 'on';
  const engine =
    process.env.DATABASE_URL !== undefined ? 'PostgreSQL + Redis' : 'embedded (PGlite + in-process cache)';

  await mapAlone(mapIterations);

  const gw = await startGatewayProcess({});
  const pool = new Pool(gw.url, { connections: concurrency, pipelining: 1, keepAliveTimeout: 30_000 });
  const run = `R${Date.now().toString(36)}`;
  const result = await runClosedLoop({
    concurrency,
    warmupSeconds,
    seconds,
    send: async (n) => {
      const res = await pool.request({
        path: '/iso20022/pacs.008',
        method: 'POST',
        headers: { authorization: 'Bearer demo-key-demo-bank', 'content-type': 'application/xml' },
        body: pacs008(n, run, withUetr ? randomUUID() : undefined),
      });
      const text = await res.body.text();
      return res.statusCode === 200
        ? (/<TxSts>(\w+)<\/TxSts>/.exec(text)?.[1] ?? 'no TxSts')
        : `HTTP ${res.statusCode}`;
    },
  });
  const s = result.summary;

  console.log(
    `POST /iso20022/pacs.008 → pacs.002 on ${engine}, ${concurrency} concurrent clients, ${seconds} s${withUetr ? ', each with a UETR' : ''}`,
  );
  console.log(
    `  ${s.count} messages, ${fmt(result.perSecond, 0)} messages/s, p50 ${fmt(s.p50Ms)} ms, p90 ${fmt(s.p90Ms)} ms, p99 ${fmt(s.p99Ms)} ms, max ${fmt(s.maxMs)} ms`,
  );
  console.log(`  outcomes (TxSts): ${describeOutcomes(result.outcomes)}`);
  await pool.close();
  await gw.stop();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
