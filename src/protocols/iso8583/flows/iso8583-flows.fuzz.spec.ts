import { createLogger } from '../../../infrastructure/logging/logger';
import type { BillPayPipeline } from '../../../pipeline/bill-pay.pipeline';
import type { ReversalService } from '../../../pipeline/reversal.service';
import { pack, unpack, unpackPartial } from '../codec/message';
import { listDialects, loadDialect } from '../dialects';
import { BILL_PAYMENT_0200, ECHO_0800 } from '../testing/fixtures';
import { Iso8583Flows } from './iso8583-flows';
import { prng } from '../testing/prng';

/*
 * The flows on mutated frames, per dialect: whatever a partner sends, handle() answers (a message the
 * partner can match by STAN) or asks for the connection to be closed — it never throws, never leaves a
 * rejection unhandled and never answers with bytes the partner could not decode. The pipeline below
 * is a stand-in that approves everything: this is about the protocol layer, not the payment.
 */
const ITERATIONS = 20_000;

const approving = {
  pay: (cmd: {
    id: string;
    billType: string;
    billReference: string;
    amountMinor: bigint;
    currency: string;
  }) =>
    Promise.resolve({
      kind: 'processed',
      result: {
        paymentId: cmd.id,
        status: 'APPROVED',
        reasonCode: 'APPROVED',
        billerReceipt: 'R-1',
        billType: cmd.billType,
        billReference: cmd.billReference,
        amountMinor: cmd.amountMinor,
        currency: cmd.currency,
        payerType: 'mfs-user',
        partnerReference: 'x',
        createdAt: new Date(),
        route: null,
      },
    }),
} as unknown as BillPayPipeline;

const noOriginal = {
  reverse: () =>
    Promise.resolve({
      kind: 'processed',
      result: { status: 'ORIGINAL_NOT_FOUND', originalPaymentId: null, billerReversal: 'not-needed' },
    }),
} as unknown as ReversalService;

describe.each(listDialects())('fuzz %s: Iso8583Flows.handle', (name) => {
  const dialect = loadDialect(name);
  const flows = new Iso8583Flows({
    lane: { id: 'fuzz' },
    dialect,
    pipeline: approving,
    reversals: noOriginal,
    resolvePartner: () =>
      Promise.resolve({ id: 'demo-mfs', name: 'MFS', kind: 'mfs', payerTypes: ['mfs-user'], status: 'live' }),
    isKnownBillType: () => Promise.resolve(true),
    cardTokenSecret: 'fuzz-card-token-secret',
    log: createLogger('silent'),
  });
  const seeds = [pack(dialect.spec, BILL_PAYMENT_0200), pack(dialect.spec, ECHO_0800)];

  it(`answers or closes on ${ITERATIONS.toLocaleString('en-US')} mutated messages, never throws`, async () => {
    const rnd = prng(0x0210 + name.length);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const seen = { answered: 0, closed: 0, formatErrors: 0 };
    try {
      for (let it = 0; it < ITERATIONS; it++) {
        const payload = Buffer.from(seeds[rnd() % seeds.length]!);
        const n = 1 + (rnd() % 3);
        let b = payload;
        for (let k = 0; k < n; k++) {
          const i = rnd() % b.length;
          switch (rnd() % 3) {
            case 0:
              b[i] = b[i]! ^ (1 << (rnd() % 8));
              break;
            case 1:
              b[i] = rnd() & 0xff;
              break;
            default:
              b = b.subarray(0, i);
          }
          if (b.length === 0) break;
        }
        let answer;
        try {
          answer = await flows.handle(b, { remoteAddress: '127.0.0.1' });
        } catch (error) {
          throw new Error(`iteration ${it}: handle threw ${String(error)} for ${b.toString('hex')}`);
        }
        if (answer === undefined) continue;
        if ('close' in answer) {
          seen.closed += 1;
          continue;
        }
        // An answer must be a message the partner can decode and match: a response MTI, a 39, and the
        // request's STAN whenever the request carried one.
        const reply = unpack(dialect.spec, answer.reply);
        expect(reply.mti).toMatch(/^[0-9]{2}[13579][0-9]$/);
        expect(reply.fields.has(39)).toBe(true);
        const request = unpackPartial(dialect.spec, b)?.fields ?? unpack(dialect.spec, b).fields;
        expect(reply.fields.get(11)).toEqual(request.get(11));
        seen.answered += 1;
        if (reply.fields.get(39) === '30') seen.formatErrors += 1;
      }
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
    // The run must reach all three outcomes, or it proves little.
    expect(seen.answered).toBeGreaterThan(0);
    expect(seen.closed).toBeGreaterThan(0);
    expect(seen.formatErrors).toBeGreaterThan(0);
  });
});
