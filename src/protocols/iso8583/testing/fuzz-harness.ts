import { approvingPipeline } from '../../../pipeline/testing/approving-pipeline';
import fc from 'fast-check';

import { createLogger } from '../../../infrastructure/logging/logger';
import type { ReversalService } from '../../../pipeline/reversal.service';
import type { FieldValueInput } from '../codec/field';
import {
  type FieldSpan,
  type IsoMessageInput,
  type MessageSpec,
  pack,
  unpack,
  unpackInto,
  unpackPartial,
} from '../codec/message';
import { type Dialect, loadDialect } from '../dialects';
import { FramingError, Iso8583Error } from '../errors';
import { Iso8583Flows } from '../flows/iso8583-flows';
import { encodeFrame, FrameDecoder, type FrameDecoderOptions, type Tpdu } from '../framing/framing';
import { messageArb } from './arbitraries';
import { BILL_PAYMENT_0200, ECHO_0800 } from './fixtures';
import { prng } from './prng';

/**
 * The ISO 8583 fuzz targets shared by `npm run fuzz` (bench/fuzz.bench.ts, a million frames per
 * dialect) and the unit spec that replays the saved cases (fuzz-corpus.spec.ts). Test-only code.
 *
 * Every input is a pure function of (seed, iteration): a case found in a run of hours is regenerated
 * from its two numbers, without replaying the run. Each target's check throws FuzzFailure when its
 * oracle is broken and returns the outcome's name otherwise.
 *
 *   codec  FrameDecoder + unpack: only Iso8583Error or FramingError may be thrown, and a frame that
 *          unpacks must pack back to exactly its bytes (nothing skipped, truncated or shifted).
 *   flows  Iso8583Flows.handle, the lane's protocol layer over a pipeline that approves everything:
 *          every frame is answered (a response MTI, a field 39, the request's STAN) or the
 *          connection closed; never thrown, never silent.
 */

export { FuzzFailure, iterationSeed } from '../../fuzzing';
import { FuzzFailure, iterationSeed } from '../../fuzzing';

export type Iso8583FuzzTargetName = 'iso8583-codec' | 'iso8583-flows';

interface Seed {
  readonly payload: Buffer;
  readonly prefixBytes: readonly number[];
}

type Mutation = (b: Buffer, seed: Seed, rnd: () => number) => Buffer;

const MUTATIONS: readonly Mutation[] = [
  // bit flip
  (b, _s, r) => {
    if (b.length === 0) return b;
    const i = r() % b.length;
    b[i] = b[i]! ^ (1 << (r() % 8));
    return b;
  },
  // byte overwrite, sometimes with a digit or a space (content class errors rather than noise)
  (b, _s, r) => {
    if (b.length === 0) return b;
    const pick = r() % 4;
    b[r() % b.length] = pick === 0 ? 0x30 + (r() % 10) : pick === 1 ? 0x20 : r() & 0xff;
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
  // a length prefix of a variable field set to a nearby, extreme or random value
  (b, s, r) => {
    if (s.prefixBytes.length === 0) return b;
    const i = s.prefixBytes[r() % s.prefixBytes.length]!;
    if (i >= b.length) return b;
    const pick = r() % 4;
    b[i] = pick === 0 ? (b[i]! + (r() % 5) - 2) & 0xff : pick === 1 ? 0x39 : pick === 2 ? 0xff : r() & 0xff;
    return b;
  },
  // bitmap bit flip (fields appear or vanish, a secondary bitmap comes and goes)
  (b, _s, r) => {
    const i = 2 + (r() % 16);
    if (i < b.length) b[i] = b[i]! ^ (1 << (r() % 8));
    return b;
  },
  // a run of bytes repeated (a field read twice, a long tail)
  (b, _s, r) => {
    if (b.length === 0) return b;
    const at = r() % b.length;
    const run = b.subarray(at, at + 1 + (r() % 32));
    return Buffer.concat([b.subarray(0, at), run, run, b.subarray(at)]);
  },
];

export interface Iso8583FuzzContext {
  readonly dialect: Dialect;
  readonly seeds: readonly Seed[];
  /** Well-formed requests of every kind the flows answer: what value-level mutations start from. */
  readonly requests: readonly Request[];
  readonly framing: FrameDecoderOptions;
  readonly tpdu: Tpdu | undefined;
}

const MAX_FRAME = 2048;

/** The dialect and its seed messages: the two fixtures and 60 generated from the spec (fixed seed). */
export function iso8583FuzzContext(dialectName: string): Iso8583FuzzContext {
  const dialect = loadDialect(dialectName);
  const { spec, conventions } = dialect;
  const generated = fc.sample(messageArb(spec, { maxVariable: 24 }), { numRuns: 60, seed: 8583 });
  const requests = requestsFor(dialect);
  // Half the bases are requests the flows act on (a payment, reversals, network management), half
  // messages generated from the spec (every field the dialect defines, in any combination).
  const messages = [
    ...requests,
    ...requests,
    ...requests,
    ...requests,
    ...requests,
    ...requests,
    ...requests,
  ];
  const seeds = [...messages.slice(0, 56), BILL_PAYMENT_0200, ECHO_0800, ...generated].map((m) => {
    const payload = pack(spec, m);
    const spans: FieldSpan[] = [];
    unpackInto(spec, payload, spans);
    const prefixBytes = spans.flatMap((s) =>
      Array.from({ length: s.dataStart - s.start }, (_, i) => s.start + i),
    );
    return { payload, prefixBytes };
  });
  const framing: FrameDecoderOptions = {
    header: conventions.framing.lengthHeader,
    tpdu: conventions.framing.tpdu,
    maxFrameSize: MAX_FRAME,
  };
  const tpdu = framing.tpdu === true ? { destination: 3, source: 0x120 } : undefined;
  return { dialect, seeds, requests, framing, tpdu };
}

interface Request {
  readonly mti: string;
  readonly fields: ReadonlyMap<number, FieldValueInput>;
}

function fieldsOf(m: IsoMessageInput): ReadonlyMap<number, FieldValueInput> {
  return m.fields instanceof Map
    ? m.fields
    : new Map(Object.entries(m.fields).map(([k, v]) => [Number(k), v as FieldValueInput] as const));
}

/** A bill payment, its repeat, a reversal and its advices, and the three network management codes. */
function requestsFor(dialect: Dialect): Request[] {
  const pay = fieldsOf(BILL_PAYMENT_0200);
  const f = (n: number): FieldValueInput => pay.get(n)!;
  const reversal = new Map<number, FieldValueInput>(
    [2, 3, 4, 7, 11, 12, 13, 32, 37, 41, 42, 49, 102].map((n) => [n, f(n)] as const),
  );
  reversal.set(11, '123457');
  // Original data elements: MTI, STAN, transmission time, acquirer and forwarder (n 42).
  // The fixture's STAN 123456 and transmission time 0605123456.
  reversal.set(90, `0200${'123456'}${'0605123456'}${'12345'.padStart(11, '0')}${'0'.repeat(11)}`);
  const nm = dialect.conventions.networkManagement;
  const network = (code: string): Request => ({
    mti: '0800',
    fields: new Map<number, FieldValueInput>([
      [7, '0605123456'],
      [11, '000002'],
      [70, code],
    ]),
  });
  return [
    { mti: '0200', fields: pay },
    { mti: '0201', fields: pay },
    { mti: '0400', fields: reversal },
    { mti: '0420', fields: reversal },
    { mti: '0421', fields: reversal },
    network(nm.signOn),
    network(nm.signOff),
    network(nm.echo),
  ];
}

const DIGIT_VALUES = ['0', '9', '000000000000', '999999999999', '-1', ' ', ''];

/** A value for field `n` that the codec may or may not accept: right class, wrong class, edge lengths. */
function randomValue(spec: MessageSpec, n: number, rnd: () => number): FieldValueInput | undefined {
  const def = spec.field(n);
  if (def === undefined) return undefined;
  const length = def.lengthType === 'fixed' ? def.length : rnd() % (def.length + 2);
  if (def.class === 'b') return Buffer.from(Array.from({ length }, () => rnd() & 0xff));
  if (def.subfields !== undefined) {
    const tags = Object.keys(def.subfields.tags);
    return new Map(
      tags
        .filter(() => rnd() % 2 === 0)
        .map((t) => [t, pick(rnd, ['ELECTRICITY', 'WATER', 'X', '', 'ACC-1'])]),
    );
  }
  const kind = rnd() % 4;
  if (kind === 0) return pick(rnd, DIGIT_VALUES);
  const chars = kind === 1 ? '0123456789' : kind === 2 ? 'ABCXYZ 09-' : '\u00e9\u0000~{}';
  return Array.from({ length }, () => chars[rnd() % chars.length]).join('');
}

const pick = <T>(rnd: () => number, xs: readonly T[]): T => xs[rnd() % xs.length]!;

/**
 * A well-formed request with fields removed, added or given another value, then packed: what reaches
 * the flows' own checks (required fields, processing code, amount, currency, bill type, reversal
 * data) rather than the codec's. Undefined when the codec refuses to pack what was made.
 */
function mutatedRequest(ctx: Iso8583FuzzContext, rnd: () => number): Buffer | undefined {
  const base = pick(rnd, ctx.requests);
  const fields = new Map(base.fields);
  const numbers = ctx.dialect.spec.fieldNumbers();
  let mti = base.mti;
  const n = 1 + (rnd() % 3);
  for (let k = 0; k < n; k++) {
    switch (rnd() % 4) {
      case 0:
        fields.delete(pick(rnd, [...fields.keys()]));
        break;
      case 1: {
        const field = pick(rnd, numbers);
        const v = randomValue(ctx.dialect.spec, field, rnd);
        if (v !== undefined) fields.set(field, v);
        break;
      }
      case 2: {
        const field = pick(rnd, [...fields.keys()]);
        const v = randomValue(ctx.dialect.spec, field, rnd);
        if (v !== undefined) fields.set(field, v);
        break;
      }
      default:
        mti = pick(rnd, [
          '0100',
          '0200',
          '0201',
          '0220',
          '0400',
          '0401',
          '0420',
          '0800',
          '0810',
          '0210',
          '9999',
        ]);
    }
  }
  try {
    return pack(ctx.dialect.spec, { mti, fields });
  } catch {
    return undefined;
  }
}

/**
 * The message bytes of iteration `i`: a mutated seed message, a well-formed request with fields
 * changed (1 in 3), or random bytes (1 in 20).
 */
export function payloadFor(ctx: Iso8583FuzzContext, seed: number, i: number): Buffer {
  const rnd = prng(iterationSeed(seed, i));
  if (rnd() % 20 === 0) return Buffer.from(Array.from({ length: rnd() % 300 }, () => rnd() & 0xff));
  if (rnd() % 3 === 0) {
    const request = mutatedRequest(ctx, rnd);
    if (request !== undefined) return request;
  }
  const base = ctx.seeds[rnd() % ctx.seeds.length]!;
  let payload = Buffer.from(base.payload);
  const n = 1 + (rnd() % 3);
  for (let k = 0; k < n; k++) payload = Buffer.from(MUTATIONS[rnd() % MUTATIONS.length]!(payload, base, rnd));
  return payload;
}

/**
 * The wire bytes of iteration `i` for the codec target: the payload framed, with the length header or
 * the TPDU corrupted now and then, and where the frame is split across two socket reads.
 */
export function frameFor(ctx: Iso8583FuzzContext, seed: number, i: number): { frame: Buffer; cut: number } {
  const payload = payloadFor(ctx, seed, i);
  const rnd = prng(iterationSeed(seed ^ 0x5a5a5a5a, i));
  const frame = encodeFrame(payload, { header: ctx.framing.header, tpdu: ctx.tpdu });
  const headerBytes = ctx.framing.header === 'binary2' ? 2 : 4;
  const choice = rnd() % 16;
  if (choice === 0) frame[rnd() % Math.min(frame.length, headerBytes)] = rnd() & 0xff;
  if (choice === 1 && ctx.tpdu !== undefined) frame[headerBytes + (rnd() % 5)] = rnd() & 0xff;
  return { frame, cut: rnd() % (frame.length + 1) };
}

/** The codec oracle on one frame (split at `cut`); returns the outcome's name. */
export function checkCodec(ctx: Iso8583FuzzContext, frame: Buffer, cut: number): string {
  const { spec } = ctx.dialect;
  const decoder = new FrameDecoder(ctx.framing);
  let outcome = 'incomplete';
  try {
    const frames = [...decoder.push(frame.subarray(0, cut)), ...decoder.push(frame.subarray(cut))];
    for (const f of frames) {
      const m = unpack(spec, f.payload);
      const again = pack(spec, m);
      if (!again.equals(f.payload)) {
        throw new FuzzFailure(`accepted frame does not pack back to its bytes: ${f.payload.toString('hex')}`);
      }
      outcome = 'accepted';
    }
  } catch (err: unknown) {
    if (err instanceof FuzzFailure) throw err;
    if (err instanceof Iso8583Error) return err.kind;
    if (err instanceof FramingError) return `framing:${err.kind}`;
    throw new FuzzFailure(`unexpected ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
  }
  return outcome;
}

// ---- flows -----------------------------------------------------------------------------------------

const approving = approvingPipeline('mfs-user');

const noOriginal = {
  reverse: () =>
    Promise.resolve({
      kind: 'processed',
      result: { status: 'ORIGINAL_NOT_FOUND', originalPaymentId: null, billerReversal: 'not-needed' },
    }),
} as unknown as ReversalService;

/**
 * The lane's flows over stand-ins for what lies behind them (a pipeline that approves everything, a
 * reversal service that knows no original, one live partner): the protocol layer, not the payment.
 */
export function fuzzFlows(dialect: Dialect): Iso8583Flows {
  return new Iso8583Flows({
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
}

/** The flows oracle on one message: answered (matchable) or closed, never thrown or silent. */
export async function checkFlows(flows: Iso8583Flows, spec: MessageSpec, payload: Buffer): Promise<string> {
  let answer;
  try {
    answer = await flows.handle(Buffer.from(payload), { remoteAddress: '127.0.0.1' });
  } catch (err) {
    throw new FuzzFailure(
      `handle threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`,
    );
  }
  if (answer === undefined) throw new FuzzFailure('neither answered nor closed');
  if ('close' in answer) return 'closed';
  let reply;
  try {
    reply = unpack(spec, answer.reply);
  } catch (err) {
    throw new FuzzFailure(
      `answer the partner cannot decode: ${String(err)} (${answer.reply.toString('hex')})`,
    );
  }
  if (!/^[0-9]{2}[13579][0-9]$/.test(reply.mti))
    throw new FuzzFailure(`answer MTI ${reply.mti} is no response`);
  if (!reply.fields.has(39)) throw new FuzzFailure('answer without field 39');
  let requestStan: unknown;
  try {
    requestStan = (unpackPartial(spec, payload)?.fields ?? unpack(spec, payload).fields).get(11);
  } catch {
    requestStan = undefined;
  }
  if (requestStan !== undefined && reply.fields.get(11) !== requestStan) {
    throw new FuzzFailure(
      `answer STAN ${JSON.stringify(reply.fields.get(11))} is not the request's ${JSON.stringify(requestStan)}`,
    );
  }
  return reply.fields.get(39) === '30' ? 'format-error' : 'answered';
}
