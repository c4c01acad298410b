import fc from 'fast-check';

import { type FieldSpan, type MessageSpec, pack, unpack, unpackInto } from '../codec/message';
import { listDialects, loadDialect } from '../dialects';
import { FramingError, Iso8583Error } from '../errors';
import { encodeFrame, FrameDecoder, type FrameDecoderOptions, type Tpdu } from '../framing/framing';
import { messageArb } from './arbitraries';
import { BILL_PAYMENT_0200, ECHO_0800 } from './fixtures';
import { prng } from './prng';

/**
 * Mutation fuzzing of FrameDecoder + unpack, per dialect: bit flips, byte overwrites, truncations,
 * insertions, deletions, length-prefix and header corruption, and wholly random frames. Deterministic
 * (seeded PRNG) so a failure reproduces; the iteration number is in the failure message.
 *
 * Oracle: the only exceptions allowed are Iso8583Error and FramingError; a frame that unpacks must pack
 * back to exactly its bytes (so nothing was skipped, truncated or shifted); no iteration may take long.
 */
const ITERATIONS = 100_000;
const MAX_FRAME = 2048;
const SLOW_ITERATION_MS = 250;

interface Seed {
  readonly payload: Buffer;
  readonly prefixBytes: readonly number[];
}

function seedsFor(spec: MessageSpec): Seed[] {
  const generated = fc.sample(messageArb(spec, { maxVariable: 24 }), { numRuns: 60, seed: 8583 });
  const messages = [BILL_PAYMENT_0200, ECHO_0800, ...generated];
  return messages.map((m) => {
    const payload = pack(spec, m);
    const spans: FieldSpan[] = [];
    unpackInto(spec, payload, spans);
    const prefixBytes = spans.flatMap((s) =>
      Array.from({ length: s.dataStart - s.start }, (_, i) => s.start + i),
    );
    return { payload, prefixBytes };
  });
}

type Mutation = (b: Buffer, seed: Seed, rnd: () => number) => Buffer;

const MUTATIONS: Mutation[] = [
  // bit flip
  (b, _s, r) => {
    if (b.length === 0) return b;
    const i = r() % b.length;
    b[i] = b[i]! ^ (1 << (r() % 8));
    return b;
  },
  // byte overwrite
  (b, _s, r) => {
    if (b.length > 0) b[r() % b.length] = r() & 0xff;
    return b;
  },
  // truncation
  (b, _s, r) => b.subarray(0, r() % (b.length + 1)),
  // insertion of 1..8 random bytes
  (b, _s, r) => {
    const at = r() % (b.length + 1);
    const ins = Buffer.from(Array.from({ length: 1 + (r() % 8) }, () => r() & 0xff));
    return Buffer.concat([b.subarray(0, at), ins, b.subarray(at)]);
  },
  // deletion of 1..8 bytes
  (b, _s, r) => {
    if (b.length === 0) return b;
    const at = r() % b.length;
    return Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + (r() % 8))]);
  },
  // length-prefix corruption: a prefix byte of some variable field set to a nearby or random value
  (b, s, r) => {
    if (s.prefixBytes.length === 0) return b;
    const i = s.prefixBytes[r() % s.prefixBytes.length]!;
    if (i < b.length) b[i] = r() % 2 === 0 ? (b[i]! + (r() % 5) - 2) & 0xff : r() & 0xff;
    return b;
  },
  // bitmap bit flip (fields appear or vanish)
  (b, _s, r) => {
    const i = 2 + (r() % 16);
    if (i < b.length) b[i] = b[i]! ^ (1 << (r() % 8));
    return b;
  },
];

function frameFor(
  payload: Buffer,
  opts: FrameDecoderOptions,
  tpdu: Tpdu | undefined,
  r: () => number,
): Buffer {
  const frame = encodeFrame(payload, { header: opts.header, tpdu });
  const choice = r() % 16;
  // Corrupt the frame header or the TPDU now and then.
  if (choice === 0) frame[r() % Math.min(frame.length, opts.header === 'binary2' ? 2 : 4)] = r() & 0xff;
  if (choice === 1 && tpdu !== undefined) frame[(opts.header === 'binary2' ? 2 : 4) + (r() % 5)] = r() & 0xff;
  return frame;
}

describe.each(listDialects())('fuzz %s: FrameDecoder + unpack', (name) => {
  const { spec, conventions } = loadDialect(name);
  const opts: FrameDecoderOptions = {
    header: conventions.framing.lengthHeader,
    tpdu: conventions.framing.tpdu,
    maxFrameSize: MAX_FRAME,
  };
  const tpdu: Tpdu | undefined = opts.tpdu === true ? { destination: 3, source: 0x120 } : undefined;

  it(`survives ${ITERATIONS.toLocaleString('en-US')} mutated and random frames`, () => {
    const seeds = seedsFor(spec);
    const rnd = prng(0x8583 + name.length);
    const outcomes = new Map<string, number>();
    const count = (k: string): void => void outcomes.set(k, (outcomes.get(k) ?? 0) + 1);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    let slowest = 0;

    try {
      for (let it = 0; it < ITERATIONS; it++) {
        const started = performance.now();
        let payload: Buffer;
        const seed = seeds[rnd() % seeds.length]!;
        if (rnd() % 20 === 0) {
          payload = Buffer.from(Array.from({ length: rnd() % 300 }, () => rnd() & 0xff));
        } else {
          payload = Buffer.from(seed.payload);
          const n = 1 + (rnd() % 3);
          for (let k = 0; k < n; k++) payload = MUTATIONS[rnd() % MUTATIONS.length]!(payload, seed, rnd);
        }
        const frame = frameFor(payload, opts, tpdu, rnd);
        const decoder = new FrameDecoder(opts);
        try {
          const cut = rnd() % (frame.length + 1);
          const frames = [...decoder.push(frame.subarray(0, cut)), ...decoder.push(frame.subarray(cut))];
          for (const f of frames) {
            const m = unpack(spec, f.payload);
            // Accepted: every byte must be accounted for, so re-packing gives the same bytes.
            const again = pack(spec, m);
            if (!again.equals(f.payload)) {
              throw new Error(
                `iteration ${it}: accepted frame does not re-pack to its bytes: ${f.payload.toString('hex')}`,
              );
            }
            count('accepted');
          }
        } catch (err: unknown) {
          if (err instanceof Iso8583Error) count(err.kind);
          else if (err instanceof FramingError) count(`framing:${err.kind}`);
          else
            throw new Error(`iteration ${it}: unexpected ${String(err)} for frame ${frame.toString('hex')}`);
        }
        slowest = Math.max(slowest, performance.now() - started);
      }
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }

    expect(unhandled).toEqual([]);
    expect(slowest).toBeLessThan(SLOW_ITERATION_MS);
    // The fuzz must actually reach the strict paths, not bounce off the framing layer.
    const expected = [
      'accepted',
      'TRUNCATED',
      'BAD_CONTENT',
      'BAD_LENGTH_PREFIX',
      'UNKNOWN_FIELD',
      'TRAILING_BYTES',
      'BAD_MTI',
    ];
    expect(expected.filter((k) => (outcomes.get(k) ?? 0) === 0)).toEqual([]);
    if (process.env.FUZZ_STATS) console.log(name, Object.fromEntries(outcomes));
    expect([...outcomes.keys()].some((k) => k.startsWith('framing:'))).toBe(true);
  });
});
