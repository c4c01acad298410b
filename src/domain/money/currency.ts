/**
 * ISO 4217 currencies billgate accepts, with their numeric code (ISO 8583 field 49) and minor-unit
 * digits. Kept as a closed table: an unknown currency is bad input, not something to guess at.
 */
export interface Currency {
  readonly code: string;
  readonly numeric: string;
  readonly minorDigits: number;
}

const TABLE: readonly Currency[] = [
  { code: 'AED', numeric: '784', minorDigits: 2 },
  { code: 'AUD', numeric: '036', minorDigits: 2 },
  { code: 'BDT', numeric: '050', minorDigits: 2 },
  { code: 'BHD', numeric: '048', minorDigits: 3 },
  { code: 'BTN', numeric: '064', minorDigits: 2 },
  { code: 'CAD', numeric: '124', minorDigits: 2 },
  { code: 'CHF', numeric: '756', minorDigits: 2 },
  { code: 'CNY', numeric: '156', minorDigits: 2 },
  { code: 'EUR', numeric: '978', minorDigits: 2 },
  { code: 'GBP', numeric: '826', minorDigits: 2 },
  { code: 'HKD', numeric: '344', minorDigits: 2 },
  { code: 'INR', numeric: '356', minorDigits: 2 },
  { code: 'JPY', numeric: '392', minorDigits: 0 },
  { code: 'KRW', numeric: '410', minorDigits: 0 },
  { code: 'KWD', numeric: '414', minorDigits: 3 },
  { code: 'LKR', numeric: '144', minorDigits: 2 },
  { code: 'MYR', numeric: '458', minorDigits: 2 },
  { code: 'NPR', numeric: '524', minorDigits: 2 },
  { code: 'OMR', numeric: '512', minorDigits: 3 },
  { code: 'PKR', numeric: '586', minorDigits: 2 },
  { code: 'QAR', numeric: '634', minorDigits: 2 },
  { code: 'SAR', numeric: '682', minorDigits: 2 },
  { code: 'SGD', numeric: '702', minorDigits: 2 },
  { code: 'THB', numeric: '764', minorDigits: 2 },
  { code: 'USD', numeric: '840', minorDigits: 2 },
];

const BY_CODE = new Map(TABLE.map((c) => [c.code, c]));
const BY_NUMERIC = new Map(TABLE.map((c) => [c.numeric, c]));

export function currencyByCode(code: string): Currency | undefined {
  return BY_CODE.get(code);
}

export function currencyByNumeric(numeric: string): Currency | undefined {
  return BY_NUMERIC.get(numeric);
}

export function supportedCurrencies(): readonly Currency[] {
  return TABLE;
}
