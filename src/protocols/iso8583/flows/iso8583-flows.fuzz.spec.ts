import { listDialects } from '../dialects';
import { checkFlows, fuzzFlows, iso8583FuzzContext, payloadFor } from '../testing/fuzz-harness';

/*
 * The flows on mutated messages, per dialect: whatever a partner sends, handle() answers (a message the
 * partner can match by STAN) or asks for the connection to be closed — it never throws, never leaves a
 * rejection unhandled and never answers with bytes the partner could not decode. The pipeline below
 * is a stand-in that approves everything: this is about the protocol layer, not the payment. The
 * inputs and the oracle are those of `npm run fuzz` (testing/fuzz-harness.ts), at a fixed seed and a
 * unit spec's size; the nightly-sized run goes to a million per dialect.
 */
const ITERATIONS = 20_000;

describe.each(listDialects())('fuzz %s: Iso8583Flows.handle', (name) => {
  const ctx = iso8583FuzzContext(name);
  const flows = fuzzFlows(ctx.dialect);

  it(`answers or closes on ${ITERATIONS.toLocaleString('en-US')} mutated messages, never throws`, async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const seen: Record<string, number> = {};
    const seed = 0x0210 + name.length;
    try {
      for (let it = 0; it < ITERATIONS; it++) {
        const payload = payloadFor(ctx, seed, it);
        let outcome: string;
        try {
          outcome = await checkFlows(flows, ctx.dialect.spec, payload);
        } catch (error) {
          throw new Error(`seed ${seed} iteration ${it}: ${String(error)} for ${payload.toString('hex')}`);
        }
        seen[outcome] = (seen[outcome] ?? 0) + 1;
      }
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
    // The run must reach all three outcomes, or it proves little.
    expect(seen.answered).toBeGreaterThan(0);
    expect(seen.closed).toBeGreaterThan(0);
    expect(seen['format-error']).toBeGreaterThan(0);
  });
});
