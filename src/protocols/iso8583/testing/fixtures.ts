import { type FieldValueInput } from '../codec/field';
import { type IsoMessageInput } from '../codec/message';

/** The bill payment used by golden, CLI and fuzz tests: a typical 0200 plus a 5-digit (odd) field 32. */
export const BILL_PAYMENT_0200: IsoMessageInput = {
  mti: '0200',
  fields: new Map<number, FieldValueInput>([
    [2, '4761739001010119'],
    [3, '500000'],
    [4, '000000012550'],
    [7, '0605123456'],
    [11, '123456'],
    [12, '123456'],
    [13, '0605'],
    [32, '12345'],
    [37, '415612345678'],
    [41, 'TERM0001'],
    [42, 'MERCHANT0000001'],
    [
      48,
      new Map([
        ['01', 'ELECTRICITY'],
        ['02', 'ACC-00123456'],
      ]),
    ],
    [49, '050'],
    [102, '1234567890123'],
  ]),
};

/** Echo test. */
export const ECHO_0800: IsoMessageInput = {
  mti: '0800',
  fields: new Map<number, FieldValueInput>([
    [7, '0605123456'],
    [11, '000001'],
    [70, '301'],
  ]),
};

/** Joins hex written in readable groups ("30 32 | F2 38") into one lower-case hex string. */
export function hex(...parts: string[]): string {
  return parts.join('').replace(/[\s|]/g, '').toLowerCase();
}
