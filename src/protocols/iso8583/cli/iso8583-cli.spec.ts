import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { pack } from '../codec/message';
import { loadDialect } from '../dialects';
import { Iso8583Error, Iso8583SpecError } from '../errors';
import { BILL_PAYMENT_0200 } from '../testing/fixtures';
import { decodeCommand, encodeCommand, Iso8583CliInputError } from './iso8583-cli';

const JSON_0200 = JSON.stringify({
  mti: '0200',
  fields: {
    '2': '4761739001010119',
    '3': '500000',
    '4': '000000012550',
    '7': '0605123456',
    '11': '123456',
    '12': '123456',
    '13': '0605',
    '32': '12345',
    '37': '415612345678',
    '41': 'TERM0001',
    '42': 'MERCHANT0000001',
    '48': { '01': 'ELECTRICITY', '02': 'ACC-00123456' },
    '49': '050',
    '102': '1234567890123',
  },
});

describe('encodeCommand', () => {
  it.each(['ascii87', 'iso87binary', 'ebcdic87'])('gives the hex of the packed message (%s)', (dialect) => {
    const expected = pack(loadDialect(dialect).spec, BILL_PAYMENT_0200).toString('hex').toUpperCase();
    expect(encodeCommand({ dialect, json: JSON_0200 })).toBe(expected);
  });

  it('takes b fields as hex', () => {
    const hex = encodeCommand({
      dialect: 'ascii87',
      json: '{"mti":"0800","fields":{"11":"000001","128":"0102030405060708"}}',
    });
    expect(hex.endsWith('0102030405060708')).toBe(true);
  });

  it('throws typed errors for bad input', () => {
    expect(() => encodeCommand({ dialect: 'ascii87', json: '{' })).toThrow(Iso8583CliInputError);
    expect(() => encodeCommand({ dialect: 'ascii87', json: '{"mti":"0200"}' })).toThrow(Iso8583CliInputError);
    expect(() => encodeCommand({ dialect: 'nope', json: JSON_0200 })).toThrow(Iso8583SpecError);
    expect(() => encodeCommand({ dialect: 'ascii87', json: '{"mti":"0200","fields":{"5":"1"}}' })).toThrow(
      Iso8583Error,
    );
    expect(() => encodeCommand({ dialect: 'ascii87', json: '{"mti":"0200","fields":{"x":"1"}}' })).toThrow(
      /UNKNOWN_FIELD/,
    );
    expect(() => encodeCommand({ dialect: 'ascii87', json: '{"mti":"0200","fields":{"3":500000}}' })).toThrow(
      /BAD_VALUE_TYPE/,
    );
    expect(() =>
      encodeCommand({ dialect: 'ascii87', json: '{"mti":"0200","fields":{"128":"xyz"}}' }),
    ).toThrow(/BAD_VALUE_TYPE/);
    expect(() =>
      encodeCommand({ dialect: 'ascii87', json: '{"mti":"0200","fields":{"48":{"01":7}}}' }),
    ).toThrow(/BAD_VALUE_TYPE/);
  });
});

describe('decodeCommand', () => {
  const hex = encodeCommand({ dialect: 'ascii87', json: JSON_0200 });

  it('prints every field by number and name, sub-elements indented, card data masked', () => {
    const out = decodeCommand({ dialect: 'ascii87', input: hex });
    const lines = out.split('\n');
    expect(lines[0]).toBe(`dialect ascii87, ${hex.length / 2} bytes`);
    expect(lines[1]).toMatch(/^ {2}MTI +0200$/);
    expect(lines.find((l) => l.startsWith('  2 '))).toMatch(
      /^ {2}2 Primary account number +476173\*{6}0119$/,
    );
    expect(lines.find((l) => l.startsWith(' 48 '))).toMatch(/^ 48 Additional data, private/);
    expect(out).toContain('        01 Bill type: ELECTRICITY');
    expect(out).toContain('        02 Bill reference: ACC-00123456');
    expect(lines.find((l) => l.startsWith('102 '))).toMatch(/Account identification 1 +1234567890123$/);
    expect(lines).toHaveLength(2 + 14 + 2);
    expect(out).not.toContain('4761739001010119');
  });

  it('prints the PAN in clear only when asked', () => {
    expect(decodeCommand({ dialect: 'ascii87', input: hex, reveal: true })).toContain('4761739001010119');
  });

  it('accepts hex with spaces and line breaks, and a file of hex or of raw bytes', () => {
    const spaced = hex.replace(/(..)/g, '$1 ').replace(/(.{48})/g, '$1\n');
    expect(decodeCommand({ dialect: 'ascii87', input: spaced })).toBe(
      decodeCommand({ dialect: 'ascii87', input: hex }),
    );
    const dir = mkdtempSync(join(tmpdir(), 'iso8583-cli-'));
    try {
      const hexFile = join(dir, 'msg.hex');
      const rawFile = join(dir, 'msg.bin');
      writeFileSync(hexFile, `${hex}\n`);
      writeFileSync(rawFile, Buffer.from(hex, 'hex'));
      const expected = decodeCommand({ dialect: 'ascii87', input: hex });
      expect(decodeCommand({ dialect: 'ascii87', input: hexFile })).toBe(expected);
      expect(decodeCommand({ dialect: 'ascii87', input: rawFile })).toBe(expected);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('throws typed errors for input that is neither hex nor a file, and for malformed messages', () => {
    expect(() => decodeCommand({ dialect: 'ascii87', input: '/no/such/file' })).toThrow(Iso8583CliInputError);
    expect(() => decodeCommand({ dialect: 'ascii87', input: 'abc' })).toThrow(Iso8583CliInputError);
    expect(() => decodeCommand({ dialect: 'ascii87', input: hex.slice(0, -2) })).toThrow(Iso8583Error);
  });

  it('decodes the other dialects too', () => {
    for (const dialect of ['iso87binary', 'ebcdic87']) {
      const out = decodeCommand({ dialect, input: encodeCommand({ dialect, json: JSON_0200 }) });
      expect(out).toContain('        02 Bill reference: ACC-00123456');
    }
  });
});
