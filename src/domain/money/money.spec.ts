import { formatMajorAmount, parseMajorAmount } from './money';

describe('parseMajorAmount', () => {
  it.each([
    ['1250.50', 'BDT', 125050n],
    ['1250.5', 'BDT', 125050n],
    ['1250', 'BDT', 125000n],
    ['0.01', 'BDT', 1n],
    ['1000', 'JPY', 1000n],
    ['1.234', 'KWD', 1234n],
    ['999999999999.99', 'BDT', 99999999999999n],
  ])('reads %s %s as %s minor units', (text, ccy, minor) => {
    expect(parseMajorAmount(text, ccy)).toEqual({ minor, currency: ccy });
  });

  it.each([
    ['1250.505', 'BDT', 'too-many-minor-digits'],
    ['10.5', 'JPY', 'too-many-minor-digits'],
    ['0', 'BDT', 'not-positive'],
    ['0.00', 'BDT', 'not-positive'],
    ['-5', 'BDT', 'not-a-decimal'],
    ['1e3', 'BDT', 'not-a-decimal'],
    [' 12', 'BDT', 'not-a-decimal'],
    ['012', 'BDT', 'not-a-decimal'],
    ['12.', 'BDT', 'not-a-decimal'],
    ['10', 'XXX', 'unknown-currency'],
    ['10', 'bdt', 'unknown-currency'],
    ['1000000000000000.01', 'BDT', 'too-large'],
    ['99999999999999999999999999.00', 'BDT', 'too-large'],
  ])('refuses %s %s (%s)', (text, ccy, problem) => {
    expect(parseMajorAmount(text, ccy)).toBe(problem);
  });

  it('keeps precision a float would lose', () => {
    expect(parseMajorAmount('90071992547409.93', 'BDT')).toEqual({
      minor: 9007199254740993n,
      currency: 'BDT',
    });
  });
});

describe('formatMajorAmount', () => {
  it.each([
    [125050n, 'BDT', '1250.50'],
    [1n, 'BDT', '0.01'],
    [5n, 'KWD', '0.005'],
    [1000n, 'JPY', '1000'],
    [-250n, 'BDT', '-2.50'],
  ])('writes %s %s as %s', (minor, ccy, text) => {
    expect(formatMajorAmount(minor, ccy)).toBe(text);
  });
});
