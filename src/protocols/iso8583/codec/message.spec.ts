import { loadDialect } from '../dialects';
import { Iso8583Error } from '../errors';
import { caught } from '../testing/errors';
import { BILL_PAYMENT_0200, ECHO_0800 } from '../testing/fixtures';
import { type FieldValueInput } from './field';
import {
  assertRequiredFields,
  compileSpec,
  type IsoMessageInput,
  pack,
  unpack,
  unpackPartial,
} from './message';
import { getBinary, getSubfields, getText } from './values';

const { spec } = loadDialect('ascii87');
const golden = pack(spec, BILL_PAYMENT_0200);

// Byte layout of the ascii87 golden 0200 (see dialects.spec.ts): MTI 0-3, bitmaps 4-19, field 2 prefix
// 20-21 data 22-37, 3 @38, 4 @44, 7 @56, 11 @66, 12 @72, 13 @78, 32 prefix 82 data 84, 37 @89, 41 @101,
// 42 @109, 48 prefix 124 data 127-159, 49 @160, 102 prefix 163 data 165-177.
const AT = { f2: 20, f3: 38, f4: 44, f37: 89, f41: 101, f48data: 127, f102: 163, end: 178 };

function mutate(edit: (b: Buffer) => void, from: Buffer = golden): Buffer {
  const b = Buffer.from(from);
  edit(b);
  return b;
}

function withFields(
  base: IsoMessageInput,
  changes: Record<number, FieldValueInput | undefined>,
): IsoMessageInput {
  const fields = new Map(base.fields as Map<number, FieldValueInput>);
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) fields.delete(Number(k));
    else fields.set(Number(k), v);
  }
  return { mti: base.mti, fields };
}

function replaceField48(content: string): Buffer {
  // Rebuild the message around a hand-made field 48 (its LLL prefix recomputed) to test TLV parsing.
  const head = golden.subarray(0, 124);
  const tail = golden.subarray(160);
  return Buffer.concat([
    head,
    Buffer.from(String(content.length).padStart(3, '0') + content, 'latin1'),
    tail,
  ]);
}

describe('pack/unpack layout', () => {
  it('emits a secondary bitmap only when a field above 64 is present', () => {
    const primaryOnly = pack(spec, withFields(BILL_PAYMENT_0200, { 102: undefined }));
    expect(primaryOnly.subarray(4, 12).toString('hex')).toBe('7238000108c18000');
    expect(primaryOnly.length).toBe(golden.length - 8 - 15);
    expect(golden[4]! & 0x80).toBe(0x80);
  });

  it('accepts the fields as a plain object keyed by number, as JSON gives them', () => {
    const record: Record<number, FieldValueInput> = {};
    for (const [k, v] of BILL_PAYMENT_0200.fields as Map<number, FieldValueInput>) {
      record[k] = v instanceof Map ? Object.fromEntries(v) : v;
    }
    expect(pack(spec, { mti: '0200', fields: record }).equals(golden)).toBe(true);
  });

  it('orders fields by number whatever order they are given in', () => {
    const reversed = new Map([...(BILL_PAYMENT_0200.fields as Map<number, FieldValueInput>)].reverse());
    expect(pack(spec, { mti: '0200', fields: reversed }).equals(golden)).toBe(true);
  });

  it('pads short fixed values as the spec says, and unpack returns the padded wire value', () => {
    const bytes = pack(spec, withFields(ECHO_0800, { 11: '42', 41: 'T1' }));
    const back = unpack(spec, bytes);
    expect(back.fields.get(11)).toBe('000042');
    expect(back.fields.get(41)).toBe('T1      ');
    expect(pack(spec, back).equals(bytes)).toBe(true);
  });

  it('accepts trailing pad spaces in an an field but not a space inside the value', () => {
    expect(unpack(spec, pack(spec, withFields(BILL_PAYMENT_0200, { 37: 'ABC' }))).fields.get(37)).toBe(
      'ABC         ',
    );
    expect(caught(() => pack(spec, withFields(BILL_PAYMENT_0200, { 37: 'AB C' })))).toMatchObject({
      kind: 'BAD_CONTENT',
      field: 37,
    });
    const inner = mutate((b) => (b[AT.f37 + 4] = 0x20));
    expect(caught(() => unpack(spec, inner))).toMatchObject({
      kind: 'BAD_CONTENT',
      field: 37,
      offset: AT.f37 + 4,
    });
  });

  it('reads text, bytes and sub-elements through typed getters', () => {
    const m = unpack(spec, golden);
    expect(getText(m, 3)).toBe('500000');
    expect(getSubfields(m, 48)?.get('02')).toBe('ACC-00123456');
    expect(getText(m, 90)).toBeUndefined();
    expect(caught(() => getBinary(m, 3))).toMatchObject({ kind: 'BAD_VALUE_TYPE', field: 3 });
  });

  it('copies b fields out of the input buffer', () => {
    const mac = Buffer.from('0102030405060708', 'hex');
    const bytes = pack(spec, withFields(ECHO_0800, { 128: mac }));
    const back = unpack(spec, bytes);
    bytes.fill(0);
    expect(getBinary(back, 128)).toEqual(mac);
  });
});

describe('unpack refuses malformed input with the field and byte offset', () => {
  it.each([
    ['MTI', 3, { kind: 'TRUNCATED', field: 0, offset: 0 }],
    ['primary bitmap', 10, { kind: 'TRUNCATED', field: 1, offset: 4 }],
    ['secondary bitmap', 15, { kind: 'TRUNCATED', field: 1, offset: 12 }],
    [
      'a length prefix',
      AT.f102 + 1,
      { kind: 'TRUNCATED', field: 102, fieldName: 'Account identification 1', offset: AT.f102 },
    ],
    ['a variable field', AT.end - 3, { kind: 'TRUNCATED', field: 102, offset: AT.f102 + 2 }],
    ['a fixed field', AT.f41 + 5, { kind: 'TRUNCATED', field: 41, offset: AT.f41 }],
  ])('TRUNCATED inside %s', (_what, length, expected) => {
    expect(caught(() => unpack(spec, golden.subarray(0, length)))).toMatchObject(expected);
  });

  it('TRUNCATED on an empty buffer', () => {
    expect(caught(() => unpack(spec, Buffer.alloc(0)))).toMatchObject({
      kind: 'TRUNCATED',
      field: 0,
      offset: 0,
    });
  });

  it('BAD_LENGTH_PREFIX for a non-digit prefix and for one above the field maximum', () => {
    expect(
      caught(() =>
        unpack(
          spec,
          mutate((b) => (b[AT.f2] = 0x58)),
        ),
      ),
    ).toMatchObject({
      kind: 'BAD_LENGTH_PREFIX',
      field: 2,
      offset: AT.f2,
    });
    // "20" > 19: refused, rather than reading 4 bytes of field 3 into the PAN and shifting the rest.
    expect(
      caught(() =>
        unpack(
          spec,
          mutate((b) => b.write('20', AT.f2, 'latin1')),
        ),
      ),
    ).toMatchObject({
      kind: 'BAD_LENGTH_PREFIX',
      field: 2,
      offset: AT.f2,
    });
  });

  it('BAD_CONTENT names the offending byte', () => {
    expect(
      caught(() =>
        unpack(
          spec,
          mutate((b) => (b[AT.f3 + 2] = 0x41)),
        ),
      ),
    ).toMatchObject({
      kind: 'BAD_CONTENT',
      field: 3,
      fieldName: 'Processing code',
      offset: AT.f3 + 2,
    });
    expect(
      caught(() =>
        unpack(
          spec,
          mutate((b) => (b[AT.f41 + 7] = 0x85)),
        ),
      ),
    ).toMatchObject({
      kind: 'BAD_CONTENT',
      field: 41,
      offset: AT.f41 + 7,
    });
    expect(
      caught(() =>
        unpack(
          spec,
          mutate((b) => (b[AT.f2 + 2] = 0x3d)),
        ),
      ),
    ).toMatchObject({
      kind: 'BAD_CONTENT',
      field: 2,
      offset: AT.f2 + 2,
    });
  });

  it('UNKNOWN_FIELD when the bitmap names a field the spec lacks', () => {
    // Field 5 is bit 5 of the first bitmap byte.
    expect(
      caught(() =>
        unpack(
          spec,
          mutate((b) => (b[4] = b[4]! | 0x08)),
        ),
      ),
    ).toMatchObject({
      kind: 'UNKNOWN_FIELD',
      field: 5,
      offset: 4,
    });
    // Field 101 sits in the secondary bitmap's fifth byte.
    expect(
      caught(() =>
        unpack(
          spec,
          mutate((b) => (b[16] = b[16]! | 0x08)),
        ),
      ),
    ).toMatchObject({
      kind: 'UNKNOWN_FIELD',
      field: 101,
      offset: 16,
    });
  });

  it('TRAILING_BYTES after the last field', () => {
    const e = caught(() => unpack(spec, Buffer.concat([golden, Buffer.from('X')])));
    expect(e).toMatchObject({ kind: 'TRAILING_BYTES', offset: AT.end, field: 102 });
    expect(e.message).toContain('1 bytes after the last field');
  });

  it('TRAILING_BYTES when the bitmap announces fewer fields than the message holds', () => {
    // 0800 with fields 7 and 11 only; clearing bit 11 leaves field 11's 6 bytes unclaimed after field 7.
    const echo = pack(spec, withFields(ECHO_0800, { 70: undefined }));
    expect(
      caught(() =>
        unpack(
          spec,
          mutate((b) => (b[5] = 0), echo),
        ),
      ),
    ).toMatchObject({
      kind: 'TRAILING_BYTES',
      field: 7,
      offset: 4 + 8 + 10,
    });
  });

  it('a cleared secondary-bitmap bit is caught at the first field, not read as shifted data', () => {
    const noSecondary = mutate((b) => (b[4] = b[4]! & 0x7f));
    expect(caught(() => unpack(spec, noSecondary))).toMatchObject({
      kind: 'BAD_LENGTH_PREFIX',
      field: 2,
      offset: 12,
    });
  });

  it('BAD_MTI for a non-digit MTI', () => {
    expect(
      caught(() =>
        unpack(
          spec,
          mutate((b) => (b[1] = 0x4f)),
        ),
      ),
    ).toMatchObject({ kind: 'BAD_MTI', field: 0, offset: 1 });
  });

  it('BAD_BITMAP for a secondary bitmap that announces nothing', () => {
    const echoNo70 = pack(spec, withFields(ECHO_0800, { 70: undefined }));
    const withEmptySecondary = Buffer.concat([
      echoNo70.subarray(0, 4),
      Buffer.from([echoNo70[4]! | 0x80]),
      echoNo70.subarray(5, 12),
      Buffer.alloc(8),
      echoNo70.subarray(12),
    ]);
    expect(caught(() => unpack(spec, withEmptySecondary))).toMatchObject({
      kind: 'BAD_BITMAP',
      field: 1,
      offset: 4,
    });
  });

  describe('field 48 sub-elements', () => {
    it('unpack the well-formed TLV to a tag map', () => {
      expect(unpack(spec, replaceField48('01003GAS')).fields.get(48)).toEqual(new Map([['01', 'GAS']]));
      expect(unpack(spec, replaceField48('')).fields.get(48)).toEqual(new Map());
    });

    it.each([
      [
        'value cut short',
        '01011ELECTRICITY02012ACC-0012345',
        { kind: 'TRUNCATED', subfield: '02', offset: AT.f48data + 21 },
      ],
      ['length cut short', '01003GAS02', { kind: 'TRUNCATED', subfield: '02', offset: AT.f48data + 10 }],
      ['tag cut short', '01003GAS0', { kind: 'TRUNCATED', offset: AT.f48data + 8 }],
      [
        'bad length digits',
        '010x3GAS',
        { kind: 'BAD_LENGTH_PREFIX', subfield: '01', offset: AT.f48data + 3 },
      ],
      ['unknown tag', '03003GAS', { kind: 'UNKNOWN_SUBFIELD', subfield: '03', offset: AT.f48data }],
      [
        'repeated tag',
        '01003GAS01003GAS',
        { kind: 'UNKNOWN_SUBFIELD', subfield: '01', offset: AT.f48data + 8 },
      ],
      ['non-alphanumeric tag', '0-003GAS', { kind: 'BAD_CONTENT', offset: AT.f48data }],
    ])('%s', (_what, content, expected) => {
      const e = caught(() => unpack(spec, replaceField48(content)));
      expect(e).toMatchObject({ field: 48, fieldName: 'Additional data, private', ...expected });
    });

    it('pack validates a raw TLV string as strictly as unpack', () => {
      expect(caught(() => pack(spec, withFields(BILL_PAYMENT_0200, { 48: '01005GAS' })))).toMatchObject({
        kind: 'TRUNCATED',
        field: 48,
        subfield: '01',
      });
      expect(
        pack(spec, withFields(BILL_PAYMENT_0200, { 48: '01011ELECTRICITY02012ACC-00123456' })).equals(golden),
      ).toBe(true);
    });

    it('pack refuses an unknown tag, an oversize value and a non-string value', () => {
      expect(caught(() => pack(spec, withFields(BILL_PAYMENT_0200, { 48: { '09': 'X' } })))).toMatchObject({
        kind: 'UNKNOWN_SUBFIELD',
        subfield: '09',
      });
      expect(
        caught(() => pack(spec, withFields(BILL_PAYMENT_0200, { 48: { '01': 'X'.repeat(100) } }))),
      ).toMatchObject({
        kind: 'OVERSIZE',
        subfield: '01',
      });
      const notString = new Map<string, unknown>([['01', 5]]) as unknown as Map<string, string>;
      expect(caught(() => pack(spec, withFields(BILL_PAYMENT_0200, { 48: notString })))).toMatchObject({
        kind: 'BAD_VALUE_TYPE',
        subfield: '01',
      });
    });
  });
});

describe('pack refuses what does not fit, never truncating', () => {
  it.each([
    ['an unknown field', { 5: '000000000001' }, { kind: 'UNKNOWN_FIELD', field: 5 }],
    ["field 1, which is the codec's", { 1: 'x' }, { kind: 'UNKNOWN_FIELD', field: 1 }],
    ['a field number past 128', { 129: 'x' }, { kind: 'UNKNOWN_FIELD', field: 129 }],
    ['a PAN over 19 digits', { 2: '4'.repeat(20) }, { kind: 'OVERSIZE', field: 2 }],
    ['a fixed value over its length', { 3: '5000000' }, { kind: 'OVERSIZE', field: 3 }],
    ['an ans value over its length', { 42: 'MERCHANT00000012' }, { kind: 'OVERSIZE', field: 42 }],
    ['a short value in an unpadded fixed field', { 39: '0' }, { kind: 'BAD_LENGTH', field: 39 }],
    ['a letter in an n field', { 4: '00000001255O' }, { kind: 'BAD_CONTENT', field: 4 }],
    ['non-ASCII in an ans field', { 41: 'TERMé001' }, { kind: 'BAD_CONTENT', field: 41 }],
    ['a Buffer in a text field', { 3: Buffer.from('500000') }, { kind: 'BAD_VALUE_TYPE', field: 3 }],
    ['a string in a b field', { 128: '0102030405060708' }, { kind: 'BAD_VALUE_TYPE', field: 128 }],
    ['a b value of the wrong size', { 128: Buffer.alloc(4) }, { kind: 'BAD_LENGTH', field: 128 }],
    [
      'a map in a field without sub-elements',
      { 3: new Map([['01', 'x']]) },
      { kind: 'BAD_VALUE_TYPE', field: 3 },
    ],
  ] as [string, Record<number, FieldValueInput>, object][])('%s', (_what, changes, expected) => {
    expect(caught(() => pack(spec, withFields(BILL_PAYMENT_0200, changes)))).toMatchObject(expected);
  });

  it('refuses a field given without a value', () => {
    const fields = { 3: '500000', 4: undefined } as unknown as Record<number, FieldValueInput>;
    expect(caught(() => pack(spec, { mti: '0200', fields }))).toMatchObject({
      kind: 'ABSENT_FIELD',
      field: 4,
    });
  });

  it('refuses record keys that are not canonical field numbers', () => {
    expect(
      caught(() => pack(spec, { mti: '0200', fields: { ['03' as unknown as number]: '500000' } })),
    ).toMatchObject({
      kind: 'UNKNOWN_FIELD',
    });
  });

  it.each(['200', '02000', '02A0', ''])('refuses MTI %p', (mti) => {
    expect(caught(() => pack(spec, { mti, fields: new Map() }))).toMatchObject({ kind: 'BAD_MTI', field: 0 });
  });

  it('error messages locate the problem but never quote the value', () => {
    const e = caught(() => pack(spec, withFields(BILL_PAYMENT_0200, { 2: '4761739001010119999' + '9' })));
    expect(e).toBeInstanceOf(Iso8583Error);
    expect(e.message).toBe(
      'OVERSIZE: field 2 (Primary account number): value is 20 characters, at most 19 allowed',
    );
  });
});

describe('assertRequiredFields', () => {
  it('passes a complete 0200 and names the first missing field', () => {
    expect(() => assertRequiredFields(spec, unpack(spec, golden))).not.toThrow();
    const m = unpack(spec, pack(spec, withFields(BILL_PAYMENT_0200, { 48: undefined })));
    expect(caught(() => assertRequiredFields(spec, m))).toMatchObject({ kind: 'ABSENT_FIELD', field: 48 });
  });
});

describe('unpackPartial (what a refused message said before its fault)', () => {
  it('is undefined for a valid message', () => {
    expect(unpackPartial(spec, golden)).toBeUndefined();
  });

  it('keeps the MTI and every field before a malformed one, with the same error unpack gives', () => {
    const truncated = golden.subarray(0, AT.f41 + 5);
    const partial = unpackPartial(spec, truncated);
    expect(partial?.mti).toBe('0200');
    expect([...(partial?.fields.keys() ?? [])]).toEqual([2, 3, 4, 7, 11, 12, 13, 32, 37]);
    expect(partial?.fields.get(11)).toBe(unpack(spec, golden).fields.get(11));
    expect(partial?.error).toMatchObject(caught(() => unpack(spec, truncated)));
  });

  it('reads the fields before one the bitmap announces but the spec does not define', () => {
    // ascii87 does not define field 5: announce it in the primary bitmap (first byte, bit 0x08).
    const unknown = mutate((b) => (b[4] = b[4]! | 0x08));
    const partial = unpackPartial(spec, unknown);
    expect(partial?.error).toMatchObject({ kind: 'UNKNOWN_FIELD', field: 5 });
    expect(partial?.mti).toBe('0200');
    expect([...(partial?.fields.keys() ?? [])]).toEqual([2, 3, 4]);
  });

  it('steps over a field whose length is known but whose content is bad, and reads the fields after it', () => {
    const bad = mutate((b) => b.write('00000012AB50', AT.f4, 'latin1'));
    const partial = unpackPartial(spec, bad);
    // Like moov-io/iso8583's UnpackError: the field is named and its bytes kept.
    expect(partial?.error).toMatchObject({ kind: 'BAD_CONTENT', field: 4, fieldEnd: AT.f4 + 12 });
    expect(partial?.error.raw?.toString('latin1')).toBe('00000012AB50');
    expect(partial?.fields.has(4)).toBe(false);
    expect(partial?.fields.get(11)).toBe(unpack(spec, golden).fields.get(11));
    expect(partial?.fields.get(102)).toBe(unpack(spec, golden).fields.get(102));
    // unpack itself still refuses the message with the same error.
    expect(caught(() => unpack(spec, bad))).toMatchObject({ kind: 'BAD_CONTENT', field: 4 });
  });

  it('has no MTI when the MTI itself is unreadable', () => {
    expect(unpackPartial(spec, Buffer.from('02'))?.mti).toBeUndefined();
  });
});

describe('specs built from data', () => {
  const base = {
    name: 'test',
    mti: { encoding: 'ascii' },
    bitmap: { encoding: 'hex' },
    fields: {
      '3': { name: 'Processing code', class: 'n', lengthType: 'fixed', length: 6, encoding: 'ascii' },
      '35': {
        name: 'Track 2',
        class: 'z',
        lengthType: 'LL',
        length: 37,
        prefix: 'bcd',
        encoding: 'bcd',
        bcdOddPad: 'right-F',
      },
      '44': {
        name: 'Min',
        class: 'ans',
        lengthType: 'LL',
        length: 25,
        minLength: 3,
        prefix: 'binary',
        encoding: 'ascii',
      },
      '60': {
        name: 'Big',
        class: 'b',
        lengthType: 'LLLL',
        length: 5000,
        prefix: 'binary',
        encoding: 'binary',
      },
      '62': {
        name: 'Private',
        class: 'ans',
        lengthType: 'LLL',
        length: 999,
        prefix: 'ascii',
        encoding: 'ascii',
        subfields: {
          format: 'tlv',
          tagLength: 3,
          lengthLength: 2,
          tags: { A01: { name: 'Needed', class: 'n', maxLength: 4, minLength: 2, required: true } },
          unknownTags: 'keep',
        },
      },
      '100': {
        name: 'Receiver',
        class: 'n',
        lengthType: 'LLL',
        length: 11,
        prefix: 'ebcdic',
        encoding: 'ebcdic',
      },
    },
  };
  const custom = compileSpec(base);

  it('writes a hex bitmap: 16 characters, 32 with the secondary', () => {
    const p = pack(custom, { mti: '0100', fields: { 3: '000000' } });
    expect(p.toString('latin1')).toBe('01002000000000000000000000');
    const s = pack(custom, { mti: '0100', fields: { 3: '000000', 100: '12' } });
    expect(s.toString('latin1', 4, 36)).toBe('A000000000000000' + '0000000010000000');
    expect(unpack(custom, s).fields.get(100)).toBe('12');
  });

  it('reads a lower-case hex bitmap and refuses a non-hex one', () => {
    expect(unpack(custom, Buffer.from('01002000000000000000000000', 'latin1')).fields.get(3)).toBe('000000');
    const upper = pack(custom, { mti: '0100', fields: { 3: '000000', 100: '12' } });
    const lower = Buffer.from(upper);
    lower[4] = 0x61; // 'A' -> 'a'
    expect(unpack(custom, lower)).toEqual(unpack(custom, upper));
    expect(
      caught(() => unpack(custom, Buffer.from('0100' + '200000000000000G' + '000000', 'latin1'))),
    ).toMatchObject({
      kind: 'BAD_BITMAP',
      field: 1,
      offset: 19,
    });
  });

  it('carries track 2 in BCD with = as nibble D and an F pad', () => {
    const p = pack(custom, { mti: '0100', fields: { 35: '4761739001010119=2512101' } });
    expect(p.subarray(20).toString('hex')).toBe('24' + '4761739001010119d2512101'.toLowerCase());
    const odd = pack(custom, { mti: '0100', fields: { 35: '476173900101011=2512101' } });
    expect(odd.subarray(20).toString('hex')).toBe('23' + '476173900101011d2512101f');
    expect(unpack(custom, odd).fields.get(35)).toBe('476173900101011=2512101');
    const badPad = Buffer.from(odd);
    badPad[badPad.length - 1] = 0x10;
    expect(caught(() => unpack(custom, badPad))).toMatchObject({
      kind: 'BAD_CONTENT',
      field: 35,
      offset: badPad.length - 1,
    });
  });

  it('enforces minLength on both sides', () => {
    expect(caught(() => pack(custom, { mti: '0100', fields: { 44: 'ab' } }))).toMatchObject({
      kind: 'BAD_LENGTH',
      field: 44,
    });
    const ok = pack(custom, { mti: '0100', fields: { 44: 'abc' } });
    expect(ok.subarray(20).toString('hex')).toBe('03616263');
    const short = Buffer.concat([ok.subarray(0, 20), Buffer.from([2, 0x61, 0x62])]);
    expect(caught(() => unpack(custom, short))).toMatchObject({ kind: 'BAD_LENGTH', field: 44, offset: 20 });
  });

  it('uses a 2-byte binary prefix for LLLL binary fields', () => {
    const big = Buffer.alloc(300, 7);
    const p = pack(custom, { mti: '0100', fields: { 60: big } });
    expect(p.readUInt16BE(20)).toBe(300);
    expect(unpack(custom, p).fields.get(60)).toEqual(big);
  });

  it('keeps unknown tags when the spec says so, and enforces required tags', () => {
    const p = pack(custom, { mti: '0100', fields: { 62: { A01: '12', Z99: 'free text' } } });
    expect(unpack(custom, p).fields.get(62)).toEqual(
      new Map([
        ['A01', '12'],
        ['Z99', 'free text'],
      ]),
    );
    expect(caught(() => pack(custom, { mti: '0100', fields: { 62: { Z99: 'x' } } }))).toMatchObject({
      kind: 'ABSENT_FIELD',
      field: 62,
      subfield: 'A01',
    });
    expect(caught(() => pack(custom, { mti: '0100', fields: { 62: { A01: '1' } } }))).toMatchObject({
      kind: 'BAD_LENGTH',
      subfield: 'A01',
    });
    expect(caught(() => pack(custom, { mti: '0100', fields: { 62: { A01: '1x' } } }))).toMatchObject({
      kind: 'BAD_CONTENT',
      subfield: 'A01',
    });
  });
});
