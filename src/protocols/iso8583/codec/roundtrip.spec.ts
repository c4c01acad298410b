import fc from 'fast-check';

import { listDialects, loadDialect } from '../dialects';
import { fieldValueArb, messageArb } from '../testing/arbitraries';
import { type FieldValueInput } from './field';
import { pack, unpack } from './message';

describe.each(listDialects())('%s round trip (property)', (name) => {
  const { spec } = loadDialect(name);

  it('unpack(pack(m)) is m, and pack(unpack(bytes)) is bytes', () => {
    fc.assert(
      fc.property(messageArb(spec), (m) => {
        const bytes = pack(spec, m);
        const back = unpack(spec, bytes);
        expect(back.mti).toBe(m.mti);
        expect(back.fields).toEqual(m.fields);
        expect(pack(spec, back).equals(bytes)).toBe(true);
        // The secondary bitmap is there exactly when a field above 64 is.
        const anyHigh = [...m.fields.keys()].some((n) => n > 64);
        const bitmapByte = bytes[spec.mtiBytes]!;
        expect((bitmapByte & 0x80) !== 0).toBe(anyHigh);
      }),
      { numRuns: 400 },
    );
  });

  it('short values of padded fixed fields pack to the padded wire value', () => {
    const padded = spec.fieldNumbers().filter((n) => spec.field(n)?.padding !== undefined);
    const arb = fc.constantFrom(...padded).chain((n) => {
      const def = spec.field(n)!;
      return fieldValueArb({ ...def, padding: undefined, lengthType: 'LL', prefix: 'ascii', minLength: 0 })
        .filter((v) => typeof v === 'string' && v.length <= def.length)
        .map((v) => [n, v as string] as const);
    });
    fc.assert(
      fc.property(arb, ([n, short]) => {
        const def = spec.field(n)!;
        const fields = new Map<number, FieldValueInput>([[n, short]]);
        const back = unpack(spec, pack(spec, { mti: '0200', fields }));
        const pad = def.padding!;
        const expected =
          pad.side === 'left' ? short.padStart(def.length, pad.char) : short.padEnd(def.length, pad.char);
        expect(back.fields.get(n)).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('never accepts a value longer than its field: refused, not truncated', () => {
    // A TLV field's length is that of its sub-elements; their limits are covered in message.spec.ts.
    const plain = spec.fieldNumbers().filter((n) => spec.field(n)?.subfields === undefined);
    const arb = fc.tuple(fc.constantFrom(...plain), fc.integer({ min: 1, max: 5 }));
    fc.assert(
      fc.property(arb, ([n, extra]) => {
        const def = spec.field(n)!;
        const len = def.length + extra;
        const value = def.class === 'b' ? Buffer.alloc(len) : '1'.repeat(len);
        const fields = new Map<number, FieldValueInput>([[n, value]]);
        expect(() => pack(spec, { mti: '0200', fields })).toThrow(/^OVERSIZE: field /);
      }),
      { numRuns: 200 },
    );
  });
});
