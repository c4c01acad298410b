import fc from 'fast-check';

import { addDecimals, decimalsEqual, formatDecimal, normalizeAmountText, parseDecimal } from './decimal';

describe('decimal strings, never floats', () => {
  it('parses the xs:decimal lexical forms exactly', () => {
    expect(parseDecimal('2450.10')).toEqual({ units: 245010n, scale: 2 });
    expect(parseDecimal(' +0012.5 ')).toEqual({ units: 125n, scale: 1 });
    expect(parseDecimal('.5')).toEqual({ units: 5n, scale: 1 });
    expect(parseDecimal('5.')).toEqual({ units: 5n, scale: 0 });
    expect(parseDecimal('-1.00')).toEqual({ units: -100n, scale: 2 });
    for (const bad of ['', '.', '1e3', '1,5', 'NaN', '0x10', '1.2.3'])
      expect(parseDecimal(bad)).toBeUndefined();
  });

  it('adds what floats cannot: 0.1 + 0.2 is 0.3, and 17 significant digits stay exact', () => {
    const sum = addDecimals(['0.1', '0.2'].map((s) => parseDecimal(s) ?? { units: 0n, scale: 0 }));
    expect(formatDecimal(sum)).toBe('0.3');
    const big = addDecimals(
      ['99999999999999.99', '0.01'].map((s) => parseDecimal(s) ?? { units: 0n, scale: 0 }),
    );
    expect(formatDecimal(big)).toBe('100000000000000');
  });

  it('equality ignores trailing zeros and scale', () => {
    const d = (s: string): { units: bigint; scale: number } => parseDecimal(s) ?? { units: -1n, scale: 0 };
    expect(decimalsEqual(d('3650.10'), d('3650.1'))).toBe(true);
    expect(decimalsEqual(d('3650.10'), d('3650.11'))).toBe(false);
  });

  it('normalizes for parseMajorAmount without dropping written fraction digits', () => {
    expect(normalizeAmountText('0012.50')).toBe('12.50');
    expect(normalizeAmountText('+.5')).toBe('0.5');
    expect(normalizeAmountText('000')).toBe('0');
    expect(normalizeAmountText('2450.100')).toBe('2450.100');
    expect(normalizeAmountText('-1')).toBeUndefined();
  });

  it('sums of random amounts match an independent bigint computation', () => {
    const amount = fc
      .tuple(fc.bigInt({ min: 0n, max: 10n ** 15n }), fc.integer({ min: 0, max: 5 }))
      .map(([units, scale]) => {
        const s = units.toString().padStart(scale + 1, '0');
        return scale === 0 ? s : `${s.slice(0, s.length - scale)}.${s.slice(s.length - scale)}`;
      });
    fc.assert(
      fc.property(fc.array(amount, { minLength: 1, maxLength: 20 }), (texts) => {
        const sum = addDecimals(texts.map((t) => parseDecimal(t) ?? { units: 0n, scale: 0 }));
        const at8 = texts.reduce((acc, t) => {
          const [w = '0', f = ''] = t.split('.');
          return acc + BigInt(w + f.padEnd(8, '0'));
        }, 0n);
        expect(sum.units * 10n ** BigInt(8 - sum.scale)).toBe(at8);
        expect(decimalsEqual(parseDecimal(formatDecimal(sum)) ?? { units: -1n, scale: 0 }, sum)).toBe(true);
      }),
    );
  });
});
