import fc from 'fast-check';
import Iso8583 from 'iso_8583';

import { loadDialect } from '../dialects';
import { type GeneratedMessage, messageArb } from '../testing/arbitraries';
import { type FieldValue } from './field';
import { type MessageSpec, pack, unpack } from './message';

/**
 * Differential test against iso_8583 2.6.7 where the two overlap: ASCII data, ASCII LL/LLL prefixes,
 * binary bitmap. iso_8583 always emits a secondary bitmap, so every generated message carries a field
 * above 64; its ans class lacks '#', '@' and '\', so generated ans values avoid them; it has no padding
 * and refuses empty values, so values are full width and non-empty.
 */
const { spec } = loadDialect('ascii87');

const THEIR_ANS = Array.from({ length: 95 }, (_, i) => String.fromCharCode(0x20 + i)).filter(
  (c) => !'#@\\'.includes(c),
);
const MTIS = ['0100', '0110', '0200', '0210', '0220', '0400', '0410', '0420', '0430', '0800', '0810'];

/** iso_8583 formats for our spec's fields, so both sides validate against the same layout. */
function theirFormats(s: MessageSpec): Record<string, Iso8583FieldFormatLike> {
  const out: Record<string, Iso8583FieldFormatLike> = {};
  for (const n of s.fieldNumbers()) {
    const d = s.field(n)!;
    const lenType = ({ fixed: 'fixed', LL: 'llvar', LLL: 'lllvar', LLLL: 'llllvar' } as const)[d.lengthType];
    // iso_8583 counts a b field in hex characters.
    out[String(n)] = {
      ContentType: d.class,
      Label: d.name,
      LenType: lenType,
      MaxLen: d.class === 'b' ? 2 * d.length : d.length,
    };
  }
  return out;
}
interface Iso8583FieldFormatLike {
  ContentType: string;
  Label: string;
  LenType: 'fixed' | 'llvar' | 'lllvar' | 'llllvar';
  MaxLen: number;
}
const formats = theirFormats(spec);

function toTheirValue(v: FieldValue): string {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('hex');
  return [...v].map(([tag, x]) => tag + String(x.length).padStart(3, '0') + x).join('');
}

function toTheirJson(m: GeneratedMessage): Record<string, string> {
  const json: Record<string, string> = { '0': m.mti };
  for (const [n, v] of m.fields) json[String(n)] = toTheirValue(v);
  return json;
}

const arb = fc
  .tuple(
    fc.constantFrom(...MTIS),
    messageArb(spec, { ansAlphabet: THEIR_ANS, noPadding: true, minVariable: 1, maxVariable: 30 }),
  )
  .map(([mti, m]) => ({ mti, fields: m.fields }))
  .filter((m) => [...m.fields.keys()].some((n) => n > 64));

describe('differential against iso_8583 (ascii87)', () => {
  it('packs to the same bytes', () => {
    fc.assert(
      fc.property(arb, (m) => {
        const theirs = new Iso8583(toTheirJson(m), formats).getRawMessage();
        if (!Buffer.isBuffer(theirs)) throw new Error(`iso_8583 refused a valid message: ${theirs.error}`);
        expect(pack(spec, m).toString('hex')).toBe(theirs.toString('hex'));
      }),
      { numRuns: 300 },
    );
  });

  it('each side decodes the other side’s bytes to the same fields', () => {
    fc.assert(
      fc.property(arb, (m) => {
        const ours = pack(spec, m);
        const decoded = new Iso8583(undefined, formats).getIsoJSON(ours, { lenHeader: false });
        expect(decoded).toEqual(toTheirJson(m));

        const theirs = new Iso8583(toTheirJson(m), formats).getBufferMessage();
        if (!Buffer.isBuffer(theirs)) throw new Error(`iso_8583 refused a valid message: ${theirs.error}`);
        // getBufferMessage adds a 2-byte length header; unpack takes the message only.
        expect(theirs.readUInt16BE(0)).toBe(theirs.length - 2);
        const back = unpack(spec, theirs.subarray(2));
        expect(back.mti).toBe(m.mti);
        expect(back.fields).toEqual(m.fields);
      }),
      { numRuns: 300 },
    );
  });

  it('where iso_8583 differs, it is the one at fault: a primary-only message', () => {
    const m = {
      mti: '0800',
      fields: new Map<number, FieldValue>([
        [7, '0605123456'],
        [11, '000001'],
      ]),
    };
    const ours = pack(spec, m);
    const theirs = new Iso8583(toTheirJson(m), formats).getRawMessage() as Buffer;
    // They set bit 1 and send an empty secondary bitmap; we send 8 bytes fewer and refuse theirs as such.
    expect(theirs.length).toBe(ours.length + 8);
    expect(() => unpack(spec, theirs)).toThrow(/^BAD_BITMAP/);
  });
});
