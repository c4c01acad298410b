/**
 * Pack/unpack throughput of a typical bill-payment 0200 (fields 2,3,4,7,11,12,13,32,37,41,42,48,49,102)
 * with this codec and with iso_8583 2.6.7, in the same process, on one core.
 *
 * Run: `npm run bench -- iso8583-codec [seconds per round, default 0.5]` (prefix `taskset -c 0` to pin
 * it to one core where taskset exists).
 */
import Iso8583 from 'iso_8583';

import { type FieldValueInput, loadDialect, pack, unpack } from '../src/protocols/iso8583';
import { BILL_PAYMENT_0200 } from '../src/protocols/iso8583/testing/fixtures';

const ROUNDS = 9;
const roundSeconds = Number(process.argv[2] ?? '0.5');

const TLV_48 = '01011ELECTRICITY02012ACC-00123456';

// The tests' typical 0200 (181 bytes) with the 8-digit field 32 this benchmark has always measured.
const ours = new Map<number, FieldValueInput>([
  ...(BILL_PAYMENT_0200.fields as Map<number, FieldValueInput>),
  [32, '12345678'],
]);

const theirs: Record<string, string> = { '0': '0200' };
for (const [n, v] of ours) theirs[String(n)] = n === 48 ? TLV_48 : (v as string);

let sink = 0;

/** Runs `op` in batches for `seconds`; returns operations per second. */
function measure(op: () => number, seconds: number): number {
  const deadline = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
  const start = process.hrtime.bigint();
  let n = 0;
  let now = start;
  do {
    for (let i = 0; i < 200; i++) sink += op();
    n += 200;
    now = process.hrtime.bigint();
  } while (now < deadline);
  return (n * 1e9) / Number(now - start);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

function bench(name: string, op: () => number): number {
  measure(op, 1); // warm-up: let V8 optimise before counting
  const rates: number[] = [];
  for (let r = 0; r < ROUNDS; r++) rates.push(measure(op, roundSeconds));
  const m = median(rates);
  const spread = ((Math.max(...rates) - Math.min(...rates)) / m) * 100;
  console.error(
    `  ${name.padEnd(34)} median ${Math.round(m).toLocaleString('en-US').padStart(10)} msg/s  (spread ${spread.toFixed(0)}%)`,
  );
  return m;
}

function main(): void {
  const { spec } = loadDialect('ascii87');
  const ourBytes = pack(spec, { mti: '0200', fields: ours });
  const raw = new Iso8583(theirs).getRawMessage();
  if (!Buffer.isBuffer(raw)) throw new Error(`iso_8583 refused the bench message: ${raw.error}`);
  // Field 102 forces a secondary bitmap, which iso_8583 always emits, so both must give the same bytes.
  if (!raw.equals(ourBytes)) throw new Error('ours and iso_8583 disagree on the bench message bytes');

  console.error(
    `node ${process.version}, ${ourBytes.length}-byte 0200, ${ROUNDS} rounds of ${roundSeconds}s after 1s warm-up`,
  );
  const results = {
    packOurs: bench('pack   ours (ascii87)', () => pack(spec, { mti: '0200', fields: ours }).length),
    packTheirs: bench('pack   iso_8583', () => {
      const b = new Iso8583(theirs).getRawMessage();
      return Buffer.isBuffer(b) ? b.length : 0;
    }),
    unpackOurs: bench('unpack ours (ascii87)', () => unpack(spec, ourBytes).fields.size),
    unpackTheirs: bench('unpack iso_8583', () => {
      const j = new Iso8583().getIsoJSON(raw, { lenHeader: false });
      return 'error' in j ? 0 : 1;
    }),
  };
  const extra: Record<string, number> = {};
  for (const d of ['iso87binary', 'ebcdic87']) {
    const s = loadDialect(d).spec;
    const b = pack(s, { mti: '0200', fields: ours });
    extra[`pack ${d}`] = bench(`pack   ours (${d})`, () => pack(s, { mti: '0200', fields: ours }).length);
    extra[`unpack ${d}`] = bench(`unpack ours (${d})`, () => unpack(s, b).fields.size);
  }

  const fmt = (x: number): string => Math.round(x).toLocaleString('en-US').padStart(10);
  const row = (op: string, ours: number, theirs?: number): string =>
    `| ${op.padEnd(22)} | ${fmt(ours)} | ${theirs === undefined ? '         -' : fmt(theirs)} | ${
      theirs === undefined ? '    -' : `${(ours / theirs).toFixed(1)}x`.padStart(5)
    } |`;
  console.log('');
  console.log(`| ${'op (typical 0200)'.padEnd(22)} | ours msg/s | iso_8583   | ratio |`);
  console.log(`|${'-'.repeat(24)}|-----------:|-----------:|------:|`);
  console.log(row('pack ascii87', results.packOurs, results.packTheirs));
  console.log(row('unpack ascii87', results.unpackOurs, results.unpackTheirs));
  for (const [k, v] of Object.entries(extra)) console.log(row(k, v));
  if (sink === 42) console.log('');
}

main();
