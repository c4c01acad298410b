/**
 * ISO 20022 lane throughput on one core: receive (hostile screen, parse, XSD-validate AppHdr + Document,
 * read, business checks) + map to instructions of a typical pacs.008 (the golden CBPR+-style request:
 * Envelope, AppHdr, 2 transactions, 3.8 KB), and building the pacs.002 answer (AppHdr + Document text).
 *
 * Run (from the repository root; tsx/ts-node are not installed, so compile first):
 *
 *   npx tsc -p tsconfig.json --outDir /tmp/bench-out-iso20022 --incremental false && \
 *     NODE_PATH=$PWD/node_modules taskset -c 0 node /tmp/bench-out-iso20022/bench/iso20022-parse.bench.js
 *
 * (Its own outDir, so it never races another lane's bench compiled into /tmp/bench-out.) tsc prints
 * errors of other folders if they have any; it still emits. NODE_PATH lets the compiled copy find
 * libxml2-wasm (through the fallback loader, which prints Node's experimental-feature warning); the
 * schemas and fixtures are found from the working directory (src/protocols/iso20022/schemas).
 * `taskset -c 0` pins the process to one core (drop it where taskset is missing).
 * Optional argument: number of measured messages per case (default 20000).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { answerPayments } from '../src/protocols/iso20022/answers';
import { Iso20022Engine } from '../src/protocols/iso20022/engine';
import { toInstructions } from '../src/protocols/iso20022/instructions';
import { resolveSchemaDir } from '../src/protocols/iso20022/schema-dir';

const N = Number(process.argv[2] ?? '20000');
const WARMUP = Math.min(2000, N);
const clock = { now: (): Date => new Date('2026-05-14T03:31:00.000Z') };

interface Stats {
  readonly perSecond: number;
  readonly p50us: number;
  readonly p99us: number;
  readonly maxUs: number;
}

function measure(run: () => void): Stats {
  for (let i = 0; i < WARMUP; i += 1) run();
  const samples = new Float64Array(N);
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i += 1) {
    const t0 = process.hrtime.bigint();
    run();
    samples[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  const totalSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  samples.sort();
  const at = (q: number): number => samples[Math.min(N - 1, Math.floor(q * N))] ?? NaN;
  return { perSecond: N / totalSeconds, p50us: at(0.5), p99us: at(0.99), maxUs: samples[N - 1] ?? NaN };
}

function report(name: string, s: Stats): void {
  console.log(
    `${name.padEnd(44)} ${Math.round(s.perSecond).toString().padStart(7)} msg/s   p50 ${s.p50us.toFixed(0).padStart(5)} µs   p99 ${s.p99us
      .toFixed(0)
      .padStart(5)} µs   max ${s.maxUs.toFixed(0)} µs`,
  );
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const engine = await Iso20022Engine.create();
  console.log(`engine create (load libxml2-wasm, compile 9 XSDs): ${(performance.now() - t0).toFixed(0)} ms`);

  const fixtures = path.join(resolveSchemaDir(), '..', 'fixtures');
  const enveloped = fs.readFileSync(path.join(fixtures, 'pacs008-bill-payments.xml'));
  const text = enveloped.toString('utf8');
  const bare = Buffer.from(
    text.slice(text.indexOf('<Document'), text.indexOf('</Document>') + '</Document>'.length),
  );
  const lookups = {
    billTypeByCreditor: (id: string): string | undefined => (id === 'WASA-DHAKA' ? 'WATER' : undefined),
  };

  const first = engine.receive(enveloped);
  if (!first.ok) throw new Error(JSON.stringify(first.failure));
  const received = first.message;

  console.log(
    `messages per case: ${N} (after ${WARMUP} warm-up), ${enveloped.length} B enveloped, ${bare.length} B bare`,
  );
  report(
    'receive + map, pacs.008 Envelope+AppHdr',
    measure(() => {
      const r = engine.receive(enveloped);
      if (!r.ok) throw new Error('unexpected failure');
      toInstructions(r.message, lookups);
    }),
  );
  report(
    'receive + map, pacs.008 bare Document',
    measure(() => {
      const r = engine.receive(bare);
      if (!r.ok) throw new Error('unexpected failure');
      toInstructions(r.message, lookups);
    }),
  );
  report(
    'build pacs.002 answer (AppHdr + Document)',
    measure(() => {
      answerPayments(received, ['APPROVED', 'INSUFFICIENT_FUNDS'], { msgId: 'BLGT-ANS-0001', clock });
    }),
  );
  report(
    'build pacs.002 + validate it',
    measure(() => {
      const xml = answerPayments(received, ['APPROVED', 'INSUFFICIENT_FUNDS'], {
        msgId: 'BLGT-ANS-0001',
        clock,
      }).xml;
      if (!engine.receive(xml).ok) throw new Error('built answer is invalid');
    }),
  );
  console.log(`rss ${(process.memoryUsage().rss / 1024 / 1024).toFixed(0)} MB`);
  engine.dispose();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
