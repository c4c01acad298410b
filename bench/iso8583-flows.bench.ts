/**
 * The CPU cost of the ISO 8583 translator around the pipeline: Iso8583Flows.handle on a typical 0200
 * (unpack, checks, the shared intake step, pack the 0210), one message at a time, against a stand-in
 * pipeline that approves at once. No database, no network: what the protocol layer itself costs.
 *
 * Run: `npm run bench -- iso8583-flows [seconds per round, default 1]` (prefix `taskset -c 0` to pin
 * it to one core where taskset exists). Median of 7 rounds after a warm-up round.
 */
import { approvingPipeline } from '../src/pipeline/testing/approving-pipeline';
import { createLogger } from '../src/infrastructure/logging/logger';
import type { ReversalService } from '../src/pipeline/reversal.service';
import { loadDialect, pack } from '../src/protocols/iso8583';
import { Iso8583Flows } from '../src/protocols/iso8583/flows/iso8583-flows';
import { BILL_PAYMENT_0200 } from '../src/protocols/iso8583/testing/fixtures';

const ROUNDS = 7;
const roundSeconds = Number(process.argv[2] ?? '1');

const approving = approvingPipeline('mfs-user');

async function main(): Promise<void> {
  const dialect = loadDialect('ascii87');
  const partner = {
    id: 'demo-mfs',
    name: 'MFS',
    kind: 'mfs',
    payerTypes: ['mfs-user'],
    status: 'live',
  } as const;
  const flows = new Iso8583Flows({
    lane: { id: 'bench' },
    dialect,
    pipeline: approving,
    reversals: {} as ReversalService,
    resolvePartner: () => Promise.resolve(partner),
    isKnownBillType: () => Promise.resolve(true),
    cardTokenSecret: 'bench-card-token-secret',
    log: createLogger('silent'),
  });
  const frame = pack(dialect.spec, BILL_PAYMENT_0200);
  const peer = { remoteAddress: '127.0.0.1' };
  const first = await flows.handle(frame, peer);
  if (first === undefined || !('reply' in first)) throw new Error('no 0210');

  const round = async (): Promise<number> => {
    const deadline = process.hrtime.bigint() + BigInt(Math.round(roundSeconds * 1e9));
    const start = process.hrtime.bigint();
    let n = 0;
    let now = start;
    do {
      for (let i = 0; i < 100; i++) await flows.handle(frame, peer);
      n += 100;
      now = process.hrtime.bigint();
    } while (now < deadline);
    return (n * 1e9) / Number(now - start);
  };
  await round();
  const rates: number[] = [];
  for (let r = 0; r < ROUNDS; r++) rates.push(await round());
  rates.sort((a, b) => a - b);
  const median = rates[Math.floor(ROUNDS / 2)]!;
  console.log(
    `Iso8583Flows.handle, 0200 of ${frame.length} bytes → 0210, stand-in pipeline: ` +
      `${Math.round(median).toLocaleString('en-US')} messages/s (median of ${ROUNDS}; ` +
      `${Math.round(rates[0]!).toLocaleString('en-US')}–${Math.round(rates[ROUNDS - 1]!).toLocaleString('en-US')})`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
