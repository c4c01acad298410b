import { type FieldValueInput } from '../codec/field';
import { type FieldSpan, type MessageSpec, pack, unpack, unpackInto } from '../codec/message';
import { listDialects, loadDialect } from '../dialects';
import { BILL_PAYMENT_0200 } from '../testing/fixtures';
import { describeForLog, maskedHexDump, maskPan, maskTrack } from './mask';

const PAN = '4761739001010119';
const TRACK2 = `${PAN}=25121010000012345678`;

function withCardData(): { mti: string; fields: Map<number, FieldValueInput> } {
  const fields = new Map(BILL_PAYMENT_0200.fields as Map<number, FieldValueInput>);
  fields.set(35, TRACK2);
  fields.set(52, Buffer.from('0123456789ABCDEF', 'hex'));
  fields.set(14, '2512');
  return { mti: '0200', fields };
}

/** Every rendering of the PAN that must never appear: ASCII digits, EBCDIC hex, BCD hex. */
function leaks(text: string): string[] {
  const found: string[] = [];
  const compact = text.replace(/\s+/g, '').toLowerCase();
  if (text.includes(PAN) || text.includes(PAN.slice(6, 12))) found.push('clear PAN digits');
  if (compact.includes(Buffer.from(PAN).toString('hex').slice(12, 24))) found.push('ASCII hex of PAN middle');
  if (compact.includes('f9f0f0f1f0f1')) found.push('EBCDIC hex of PAN middle');
  if (compact.includes('900101')) found.push('BCD hex of PAN middle');
  if (text.includes('25121010000012345678')) found.push('track discretionary data');
  if (compact.includes('0123456789abcdef')) found.push('PIN block');
  return found;
}

describe('maskPan / maskTrack', () => {
  it.each([
    ['4761739001010119', '476173******0119'],
    ['4761739001010119123', '476173*********9123'],
    ['4761739001010', '476173***1010'],
    ['476173900101', '************'],
    ['', ''],
  ])('%s -> %s', (pan, masked) => {
    expect(maskPan(pan)).toBe(masked);
  });

  it('keeps only the masked PAN of track data', () => {
    expect(maskTrack(TRACK2)).toBe('476173******0119=' + '*'.repeat(20));
    expect(maskTrack(';4761739001010119=2512101?')).toBe(';476173******0119=********');
    expect(maskTrack('%B4761739001010119^DOE/JOHN^2512101')).toBe('%B476173******0119^' + '*'.repeat(16));
    expect(maskTrack('garbage-without-separator')).toBe('*'.repeat(25));
  });
});

describe.each(listDialects())('%s log rendering', (name) => {
  const { spec } = loadDialect(name);
  const bytes = pack(spec, withCardData());

  it('describes every field by number and name with card data masked', () => {
    const text = describeForLog(spec, bytes);
    expect(text).toContain('MTI 0200');
    expect(text).toContain('  2 Primary account number: 476173******0119');
    expect(text).toContain(' 35 Track 2 data: 476173******0119=********************');
    expect(text).toContain(' 52 Personal identification number data: ****************');
    expect(text).toContain(' 14 Date, expiration: ****');
    expect(text).toContain(' 48 Additional data, private: 01="ELECTRICITY" 02="ACC-00123456"');
    expect(leaks(text)).toEqual([]);
    expect(describeForLog(spec, unpack(spec, bytes))).toBe(text);
  });

  it('masks the hex dump of a message that unpacks', () => {
    const dump = maskedHexDump(spec, bytes);
    expect(dump.split('\n')[0]).toMatch(/^0000 {2}/);
    expect(leaks(dump)).toEqual([]);
  });

  it('masks every digit-like byte of a message that does not unpack', () => {
    const broken = Buffer.from(bytes);
    const f3 = spanOf(spec, bytes, 3);
    broken[f3.start + 1] = 0xff;
    const text = describeForLog(spec, broken);
    expect(text).toMatch(/undecodable .* BAD_CONTENT: field 3/);
    expect(leaks(text)).toEqual([]);
    expect(text).toContain(' ff ');
  });

  it('masks a message whose MTI is already broken', () => {
    const broken = Buffer.from(bytes);
    broken[0] = 0xff;
    expect(leaks(describeForLog(spec, broken))).toEqual([]);
  });

  it('masks a message broken inside the PAN itself', () => {
    const broken = Buffer.from(bytes);
    broken[spanOf(spec, bytes, 2).dataStart + 7] = 0xff;
    const text = describeForLog(spec, broken);
    expect(text).toMatch(/BAD_CONTENT: field 2/);
    expect(leaks(text)).toEqual([]);
    expect(text).not.toMatch(/(34 37 36 31 37 33|f4 f7 f6 f1 f7 f3|47 61 73)/);
  });

  it('masks PAN digits a corrupt bitmap moved into a non-sensitive field', () => {
    // Clearing field 2's bit makes field 3 start at field 2's length prefix: the PAN's digits now land
    // in fields 3 and 4, which may decode, before the message fails further on.
    const broken = Buffer.from(bytes);
    const bitmapAt = spec.mtiBytes;
    broken[bitmapAt] = broken[bitmapAt]! & ~0x40;
    expect(leaks(describeForLog(spec, broken))).toEqual([]);
  });

  it('masks trailing bytes, which have no structure', () => {
    const text = maskedHexDump(spec, Buffer.concat([bytes, Buffer.from(PAN)]));
    expect(leaks(text)).toEqual([]);
  });
});

function spanOf(spec: MessageSpec, bytes: Buffer, field: number): FieldSpan {
  const spans: FieldSpan[] = [];
  unpackInto(spec, bytes, spans);
  return spans.find((s) => s.field === field)!;
}
