import { REASON_CODES } from '../../../domain/reason-codes';
import { responseMtiOf } from './iso8583-flows';
import { FIELD_39 } from './response-codes';

describe('responseMtiOf', () => {
  it.each([
    ['0200', '0210'],
    ['0201', '0210'],
    ['0400', '0410'],
    ['0401', '0410'],
    ['0420', '0430'],
    ['0421', '0430'],
    ['0800', '0810'],
    ['0100', '0110'],
  ])('%s is answered with %s', (mti, answer) => {
    expect(responseMtiOf(mti)).toBe(answer);
  });

  it('does not answer a response', () => {
    expect(responseMtiOf('0210')).toBeUndefined();
    expect(responseMtiOf('02x0')).toBeUndefined();
  });
});

describe('field 39 table', () => {
  it('maps every internal reason to a two-character code', () => {
    for (const reason of Object.keys(REASON_CODES)) {
      expect(FIELD_39[reason as keyof typeof FIELD_39]).toMatch(/^[0-9A-Z]{2}$/);
    }
  });
});
