import { charTable } from './charsets';
import { asciiToEbcdic, EBCDIC_TO_ASCII } from './ebcdic';
import { ASCII, bcdCodec, EBCDIC } from './encoding';
import { prefixer } from './prefix';

const N = charTable('n');
const Z = charTable('z');
const ANS = charTable('ans');

function write(codec: typeof ASCII, s: string, table = N): { bad: number; hex: string } {
  const buf = Buffer.alloc(codec.bytes(s.length));
  const bad = codec.write(buf, 0, s, table);
  return { bad, hex: buf.toString('hex') };
}

describe('BCD', () => {
  it.each([
    ['left-0', '123', '0123'],
    ['right-0', '123', '1230'],
    ['right-F', '123', '123f'],
    ['left-0', '1234', '1234'],
    ['right-F', '1234', '1234'],
  ] as const)('%s packs %s as %s and reads it back', (pad, digits, hex) => {
    const codec = bcdCodec(pad);
    expect(write(codec, digits)).toEqual({ bad: -1, hex });
    expect(codec.read(Buffer.from(hex, 'hex'), 0, digits.length, N)).toBe(digits);
  });

  it('refuses a wrong pad nibble and non-decimal nibbles, naming the byte', () => {
    const codec = bcdCodec('left-0');
    expect(codec.read(Buffer.from('1123', 'hex'), 0, 3, N)).toBeUndefined();
    expect(codec.badByte(Buffer.from('1123', 'hex'), 0, 3, N)).toBe(0);
    expect(codec.read(Buffer.from('12a4', 'hex'), 0, 4, N)).toBeUndefined();
    expect(codec.badByte(Buffer.from('12a4', 'hex'), 0, 4, N)).toBe(1);
    expect(bcdCodec('right-F').read(Buffer.from('1230', 'hex'), 0, 3, N)).toBeUndefined();
  });

  it("carries '=' as nibble D for track 2 only", () => {
    const codec = bcdCodec('right-F');
    expect(write(codec, '12=3', Z)).toEqual({ bad: -1, hex: '12d3' });
    expect(write(codec, '12=3', N).bad).toBe(2);
    expect(codec.read(Buffer.from('12d3', 'hex'), 0, 4, Z)).toBe('12=3');
    expect(codec.read(Buffer.from('12d3', 'hex'), 0, 4, N)).toBeUndefined();
  });

  it('reports the index of a bad character on write', () => {
    expect(write(bcdCodec('left-0'), '12x4').bad).toBe(2);
    expect(write(bcdCodec('left-0'), 'x23').bad).toBe(0);
    expect(write(bcdCodec('right-0'), '12x').bad).toBe(2);
  });
});

describe('EBCDIC (cp037)', () => {
  it('maps the printable ASCII range both ways, one to one', () => {
    const printable = Array.from({ length: 95 }, (_, i) => String.fromCharCode(0x20 + i)).join('');
    const e = asciiToEbcdic(printable);
    expect(new Set(e).size).toBe(95);
    expect(EBCDIC.read(e, 0, e.length, ANS)).toBe(printable);
    expect(e.toString('hex', 0, 1)).toBe('40'); // space
    expect(asciiToEbcdic('0A a[]').toString('hex')).toBe('f0c14081babb');
  });

  it('refuses bytes with no printable cp037 meaning', () => {
    expect(EBCDIC.read(Buffer.from([0xf0, 0x00]), 0, 2, ANS)).toBeUndefined();
    expect(EBCDIC.badByte(Buffer.from([0xf0, 0xff]), 0, 2, ANS)).toBe(1);
    expect(EBCDIC_TO_ASCII[0x25]).toBe(0);
    expect(() => asciiToEbcdic('é')).toThrow(RangeError);
  });
});

describe('ASCII', () => {
  it('reads long and short values the same way and refuses bytes of 0x80 and above', () => {
    const long = Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'latin1');
    expect(ASCII.read(long, 0, long.length, ANS)).toBe('ABCDEFGHIJKLMNOPQRSTUVWXYZ');
    expect(ASCII.read(long, 2, 3, ANS)).toBe('CDE');
    long[20] = 0xc1;
    expect(ASCII.read(long, 0, long.length, ANS)).toBeUndefined();
    expect(ASCII.badByte(long, 0, long.length, ANS)).toBe(20);
  });

  it('refuses characters outside the class and beyond Latin-1 on write', () => {
    expect(write(ASCII, '12a', N).bad).toBe(2);
    expect(write(ASCII, 'ok€', ANS).bad).toBe(2);
    expect(write(ASCII, 'tab\t', ANS).bad).toBe(3);
  });
});

describe('length prefixes', () => {
  it.each([
    ['LL', 'ascii', 7, '3037'],
    ['LLL', 'ascii', 33, '303333'],
    ['LLLL', 'ascii', 1234, '31323334'],
    ['LL', 'ebcdic', 19, 'f1f9'],
    ['LLL', 'ebcdic', 999, 'f9f9f9'],
    ['LL', 'bcd', 19, '19'],
    ['LLL', 'bcd', 999, '0999'],
    ['LLLL', 'bcd', 1234, '1234'],
    ['LL', 'binary', 200, 'c8'],
    ['LLL', 'binary', 999, '03e7'],
    ['LLLL', 'binary', 40000, '9c40'],
  ] as const)('%s %s writes %d as %s and reads it back', (type, enc, n, hex) => {
    const p = prefixer(type, enc);
    const buf = Buffer.alloc(p.size);
    p.write(buf, 0, n);
    expect(buf.toString('hex')).toBe(hex);
    expect(p.read(buf, 0)).toBe(n);
  });

  it('refuses prefixes that are not numbers in their encoding', () => {
    expect(prefixer('LL', 'ascii').read(Buffer.from('1x'), 0)).toBe(-1);
    expect(prefixer('LL', 'ebcdic').read(Buffer.from([0xf1, 0x31]), 0)).toBe(-1);
    expect(prefixer('LL', 'bcd').read(Buffer.from([0x1a]), 0)).toBe(-1);
    // A non-zero leading nibble in a 3-digit BCD prefix would otherwise read as 1999.
    expect(prefixer('LLL', 'bcd').read(Buffer.from([0x19, 0x99]), 0)).toBe(-1);
  });

  it('states its capacity for spec validation', () => {
    expect(prefixer('LL', 'ascii').capacity).toBe(99);
    expect(prefixer('LLL', 'bcd').capacity).toBe(999);
    expect(prefixer('LL', 'binary').capacity).toBe(255);
    expect(prefixer('LLLL', 'binary').capacity).toBe(65535);
  });
});
