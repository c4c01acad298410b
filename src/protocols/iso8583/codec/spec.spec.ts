import { Iso8583SpecError } from '../errors';
import { compileSpec } from './message';

const ok = {
  name: 'ok',
  mti: { encoding: 'ascii' },
  bitmap: { encoding: 'binary' },
  fields: {
    '2': { name: 'PAN', class: 'n', lengthType: 'LL', length: 19, prefix: 'ascii', encoding: 'ascii' },
  },
};

function issuesOf(data: unknown): readonly string[] {
  try {
    compileSpec(data);
  } catch (err: unknown) {
    if (err instanceof Iso8583SpecError) return err.issues;
    throw err;
  }
  return [];
}

function withField(def: Record<string, unknown>, key = '2'): unknown {
  return { ...ok, fields: { [key]: { name: 'F', ...def } } };
}

describe('spec validation on load', () => {
  it('accepts a sound spec', () => {
    expect(issuesOf(ok)).toEqual([]);
    expect(compileSpec(ok).fieldNumbers()).toEqual([2]);
  });

  it.each([
    [
      'an unknown key (a typo)',
      withField({ class: 'n', lengthType: 'fixed', length: 3, encoding: 'ascii', pading: {} }),
      /pading/,
    ],
    [
      'an unknown class',
      withField({ class: 'x', lengthType: 'fixed', length: 3, encoding: 'ascii' }),
      /class/,
    ],
    [
      'field 1',
      withField({ class: 'n', lengthType: 'fixed', length: 3, encoding: 'ascii' }, '1'),
      /from 2 to 128/,
    ],
    [
      'field 129',
      withField({ class: 'n', lengthType: 'fixed', length: 3, encoding: 'ascii' }, '129'),
      /from 2 to 128/,
    ],
    [
      'a zero-padded key',
      withField({ class: 'n', lengthType: 'fixed', length: 3, encoding: 'ascii' }, '02'),
      /leading zeros/,
    ],
    ['b not binary', withField({ class: 'b', lengthType: 'fixed', length: 8, encoding: 'ascii' }), /class b/],
    [
      'text as binary',
      withField({ class: 'ans', lengthType: 'fixed', length: 8, encoding: 'binary' }),
      /cannot use encoding binary/,
    ],
    [
      'ans in BCD',
      withField({ class: 'ans', lengthType: 'fixed', length: 8, encoding: 'bcd' }),
      /cannot be BCD/,
    ],
    [
      'variable without prefix',
      withField({ class: 'n', lengthType: 'LL', length: 19, encoding: 'ascii' }),
      /needs a prefix/,
    ],
    [
      'fixed with prefix',
      withField({ class: 'n', lengthType: 'fixed', length: 6, prefix: 'ascii', encoding: 'ascii' }),
      /no length prefix/,
    ],
    [
      'max beyond the prefix',
      withField({ class: 'n', lengthType: 'LL', length: 100, prefix: 'ascii', encoding: 'ascii' }),
      /exceeds/,
    ],
    [
      'max beyond a binary LL',
      withField({ class: 'b', lengthType: 'LL', length: 256, prefix: 'binary', encoding: 'binary' }),
      /exceeds/,
    ],
    [
      'padding a variable field',
      withField({
        class: 'n',
        lengthType: 'LL',
        length: 9,
        prefix: 'ascii',
        encoding: 'ascii',
        padding: { side: 'left', char: '0' },
      }),
      /padding/,
    ],
    [
      'padding BCD with a space',
      withField({
        class: 'n',
        lengthType: 'fixed',
        length: 6,
        encoding: 'bcd',
        padding: { side: 'left', char: ' ' },
      }),
      /digit/,
    ],
    [
      'bcdOddPad on ASCII',
      withField({ class: 'n', lengthType: 'fixed', length: 3, encoding: 'ascii', bcdOddPad: 'left-0' }),
      /bcdOddPad/,
    ],
    [
      'minLength over length',
      withField({
        class: 'n',
        lengthType: 'LL',
        length: 5,
        minLength: 6,
        prefix: 'ascii',
        encoding: 'ascii',
      }),
      /minLength/,
    ],
    [
      'a TLV tag of the wrong width',
      withField({
        class: 'ans',
        lengthType: 'LLL',
        length: 999,
        prefix: 'ascii',
        encoding: 'ascii',
        subfields: {
          format: 'tlv',
          tagLength: 2,
          lengthLength: 3,
          tags: { '001': { name: 'x', class: 'ans', maxLength: 5 } },
        },
      }),
      /2 characters/,
    ],
    [
      'a TLV value longer than its length digits allow',
      withField({
        class: 'ans',
        lengthType: 'LLL',
        length: 999,
        prefix: 'ascii',
        encoding: 'ascii',
        subfields: {
          format: 'tlv',
          tagLength: 2,
          lengthLength: 2,
          tags: { '01': { name: 'x', class: 'ans', maxLength: 100 } },
        },
      }),
      /maxLength exceeds/,
    ],
    [
      'sub-elements in a BCD field',
      withField({
        class: 'n',
        lengthType: 'LLL',
        length: 999,
        prefix: 'bcd',
        encoding: 'bcd',
        subfields: { format: 'tlv', tagLength: 2, lengthLength: 3, tags: {} },
      }),
      /character encoding/,
    ],
    ['a required field the spec lacks', { ...ok, requiredFields: { '0200': [3] } }, /field 3 is not defined/],
    ['an MTI in BCD-less form', { ...ok, mti: { encoding: 'utf8' } }, /mti/],
  ])('refuses %s', (_what, data, pattern) => {
    const issues = issuesOf(data);
    expect(issues.length).toBeGreaterThan(0);
    expect(issues.join('\n')).toMatch(pattern);
  });

  it('lists every problem at once, not just the first', () => {
    const data = {
      ...ok,
      fields: {
        '3': { name: 'a', class: 'b', lengthType: 'fixed', length: 8, encoding: 'ascii' },
        '4': { name: 'b', class: 'n', lengthType: 'LL', length: 100, encoding: 'ascii' },
      },
    };
    expect(issuesOf(data).length).toBeGreaterThanOrEqual(2);
  });

  it('names the source in the error message', () => {
    expect(() => compileSpec({}, 'partner X spec')).toThrow(/invalid partner X spec/);
  });
});
