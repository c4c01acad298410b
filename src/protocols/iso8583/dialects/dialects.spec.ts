import { pack, unpack } from '../codec/message';
import { Iso8583SpecError } from '../errors';
import { BILL_PAYMENT_0200, ECHO_0800, hex } from '../testing/fixtures';
import { listDialects, loadDialect, parseDialect } from './index';
import ascii87 from './ascii87.json';

// Expected bytes written out by hand from the dialect definitions, field by field; the codec is not used
// to produce them. Bitmap of the 0200: fields 1(secondary),2,3,4,7 | 11,12,13 | - | 32 | 37 | 41,42,48 | 49 | -
// then 102 in the secondary. Bitmap of the 0800: 1,7 | 11 | ... then 70.
const BITMAP_0200 = 'F2 38 00 01 08 C1 80 00 | 00 00 00 00 04 00 00 00';
const BITMAP_0800 = '82 20 00 00 00 00 00 00 | 04 00 00 00 00 00 00 00';

const GOLDEN: Record<string, { '0200': string; '0800': string }> = {
  ascii87: {
    '0200': hex(
      '30 32 30 30', // MTI 0200
      BITMAP_0200,
      '31 36 | 34 37 36 31 37 33 39 30 30 31 30 31 30 31 31 39', // 2: LL 16, PAN
      '35 30 30 30 30 30', // 3
      '30 30 30 30 30 30 30 31 32 35 35 30', // 4
      '30 36 30 35 31 32 33 34 35 36', // 7
      '31 32 33 34 35 36', // 11
      '31 32 33 34 35 36', // 12
      '30 36 30 35', // 13
      '30 35 | 31 32 33 34 35', // 32: LL 05
      '34 31 35 36 31 32 33 34 35 36 37 38', // 37
      '54 45 52 4D 30 30 30 31', // 41 TERM0001
      '4D 45 52 43 48 41 4E 54 30 30 30 30 30 30 31', // 42 MERCHANT0000001
      '30 33 33', // 48: LLL 033
      '30 31 30 31 31 | 45 4C 45 43 54 52 49 43 49 54 59', // tag 01, len 011, ELECTRICITY
      '30 32 30 31 32 | 41 43 43 2D 30 30 31 32 33 34 35 36', // tag 02, len 012, ACC-00123456
      '30 35 30', // 49
      '31 33 | 31 32 33 34 35 36 37 38 39 30 31 32 33', // 102: LL 13
    ),
    '0800': hex(
      '30 38 30 30',
      BITMAP_0800,
      '30 36 30 35 31 32 33 34 35 36', // 7
      '30 30 30 30 30 31', // 11
      '33 30 31', // 70 echo
    ),
  },
  iso87binary: {
    '0200': hex(
      '02 00', // MTI, BCD
      BITMAP_0200,
      '16 | 47 61 73 90 01 01 01 19', // 2: BCD LL 16, BCD PAN
      '50 00 00', // 3
      '00 00 00 01 25 50', // 4
      '06 05 12 34 56', // 7
      '12 34 56', // 11
      '12 34 56', // 12
      '06 05', // 13
      '05 | 12 34 50', // 32: BCD LL 05, odd length right-padded with nibble 0 (jPOS IFB_LLNUM pad=false)
      '34 31 35 36 31 32 33 34 35 36 37 38', // 37 ASCII
      '54 45 52 4D 30 30 30 31', // 41 ASCII
      '4D 45 52 43 48 41 4E 54 30 30 30 30 30 30 31', // 42 ASCII
      '00 33', // 48: BCD LLL 033 in two bytes
      '30 31 30 31 31 | 45 4C 45 43 54 52 49 43 49 54 59',
      '30 32 30 31 32 | 41 43 43 2D 30 30 31 32 33 34 35 36',
      '30 35 30', // 49: ASCII, as jPOS IF_CHAR
      '13 | 31 32 33 34 35 36 37 38 39 30 31 32 33', // 102: BCD LL 13, ASCII data
    ),
    '0800': hex(
      '08 00',
      BITMAP_0800,
      '06 05 12 34 56', // 7
      '00 00 01', // 11
      '03 01', // 70: n3, odd length left-padded with nibble 0
    ),
  },
  ebcdic87: {
    '0200': hex(
      'F0 F2 F0 F0', // MTI in EBCDIC
      BITMAP_0200,
      'F1 F6 | F4 F7 F6 F1 F7 F3 F9 F0 F0 F1 F0 F1 F0 F1 F1 F9', // 2
      'F5 F0 F0 F0 F0 F0', // 3
      'F0 F0 F0 F0 F0 F0 F0 F1 F2 F5 F5 F0', // 4
      'F0 F6 F0 F5 F1 F2 F3 F4 F5 F6', // 7
      'F1 F2 F3 F4 F5 F6', // 11
      'F1 F2 F3 F4 F5 F6', // 12
      'F0 F6 F0 F5', // 13
      'F0 F5 | F1 F2 F3 F4 F5', // 32
      'F4 F1 F5 F6 F1 F2 F3 F4 F5 F6 F7 F8', // 37
      'E3 C5 D9 D4 F0 F0 F0 F1', // 41 TERM0001
      'D4 C5 D9 C3 C8 C1 D5 E3 F0 F0 F0 F0 F0 F0 F1', // 42
      'F0 F3 F3', // 48: LLL 033
      'F0 F1 F0 F1 F1 | C5 D3 C5 C3 E3 D9 C9 C3 C9 E3 E8', // 01 ELECTRICITY
      'F0 F2 F0 F1 F2 | C1 C3 C3 60 F0 F0 F1 F2 F3 F4 F5 F6', // 02 ACC-00123456 ('-' is 0x60)
      'F0 F5 F0', // 49
      'F1 F3 | F1 F2 F3 F4 F5 F6 F7 F8 F9 F0 F1 F2 F3', // 102
    ),
    '0800': hex('F0 F8 F0 F0', BITMAP_0800, 'F0 F6 F0 F5 F1 F2 F3 F4 F5 F6', 'F0 F0 F0 F0 F0 F1', 'F3 F0 F1'),
  },
};

describe('dialects', () => {
  it('lists the built-in dialects', () => {
    expect(listDialects()).toEqual(['ascii87', 'ebcdic87', 'iso87binary']);
  });

  it('refuses an unknown dialect with a spec error naming the known ones', () => {
    expect(() => loadDialect('visa')).toThrow(Iso8583SpecError);
    expect(() => loadDialect('visa')).toThrow(/ascii87, ebcdic87, iso87binary/);
  });

  it('carries the lane conventions as data', () => {
    for (const name of listDialects()) {
      const { conventions } = loadDialect(name);
      expect(conventions.networkManagement).toEqual({ signOn: '001', signOff: '002', echo: '301' });
      expect(conventions.reversalUnknownOriginal).toBe('25');
    }
  });

  it('refuses a dialect file without conventions, or with a broken one', () => {
    const { conventions: _omit, ...noConventions } = ascii87;
    expect(() => parseDialect(noConventions)).toThrow(/conventions/);
    const badEcho = {
      ...ascii87,
      conventions: {
        ...ascii87.conventions,
        networkManagement: { signOn: '1', signOff: '002', echo: '301' },
      },
    };
    expect(() => parseDialect(badEcho)).toThrow(/signOn/);
  });

  it('ascii87 defines exactly the demo partner fields as the brief gives them', () => {
    const { spec } = loadDialect('ascii87');
    const brief: [number, string, string, number][] = [
      [2, 'n', 'LL', 19],
      [3, 'n', 'fixed', 6],
      [4, 'n', 'fixed', 12],
      [7, 'n', 'fixed', 10],
      [11, 'n', 'fixed', 6],
      [12, 'n', 'fixed', 6],
      [13, 'n', 'fixed', 4],
      [32, 'n', 'LL', 11],
      [37, 'an', 'fixed', 12],
      [38, 'an', 'fixed', 6],
      [39, 'an', 'fixed', 2],
      [41, 'ans', 'fixed', 8],
      [42, 'ans', 'fixed', 15],
      [48, 'ans', 'LLL', 999],
      [49, 'n', 'fixed', 3],
      [70, 'n', 'fixed', 3],
      [90, 'n', 'fixed', 42],
      [102, 'ans', 'LL', 28],
    ];
    for (const [n, cls, lengthType, length] of brief) {
      const f = spec.field(n);
      expect({ n, cls: f?.class, lengthType: f?.lengthType, length: f?.length }).toEqual({
        n,
        cls,
        lengthType,
        length,
      });
      expect(f?.encoding === 'ascii' && (f.prefix === undefined || f.prefix === 'ascii')).toBe(true);
    }
    expect(spec.mtiEncoding).toBe('ascii');
    expect(spec.bitmapEncoding).toBe('binary');
    expect(spec.field(48)?.subfields).toMatchObject({ tagLength: 2, lengthLength: 3 });
  });

  describe.each(Object.keys(GOLDEN))('%s golden bytes', (name) => {
    const { spec } = loadDialect(name);
    const golden = GOLDEN[name]!;

    it.each([
      ['0200', BILL_PAYMENT_0200],
      ['0800', ECHO_0800],
    ] as const)('packs the %s to the hand-written bytes and unpacks them back', (mti, message) => {
      const bytes = pack(spec, message);
      expect(bytes.toString('hex')).toBe(golden[mti]);

      const back = unpack(spec, Buffer.from(golden[mti], 'hex'));
      expect(back.mti).toBe(mti);
      expect(back.fields).toEqual(message.fields);
      expect([...back.fields.keys()]).toEqual([...(message.fields as Map<number, unknown>).keys()]);
    });
  });
});
