import { currencyByCode } from './currency';

/** An amount in integer minor units of an ISO 4217 currency. Never a float, never through Number. */
export interface Money {
  readonly minor: bigint;
  readonly currency: string;
}

export type AmountProblem =
  'not-a-decimal' | 'not-positive' | 'too-many-minor-digits' | 'unknown-currency' | 'too-large';

/** Amounts above this are refused as bad input; it keeps every amount within a signed 64-bit column. */
export const MAX_MINOR = 10n ** 17n;

// Digits are not capped here: a long amount is "too large", not "not a decimal". The length cap only
// keeps BigInt from parsing an arbitrarily long string.
const DECIMAL = /^(0|[1-9][0-9]{0,63})(?:\.([0-9]{1,18}))?$/;

/**
 * Parses a decimal string in major units ("1250.50") into minor units, refusing anything a float
 * would have quietly rounded: more fraction digits than the currency has, signs, exponents, spaces.
 */
export function parseMajorAmount(text: string, currencyCode: string): Money | AmountProblem {
  const currency = currencyByCode(currencyCode);
  if (currency === undefined) return 'unknown-currency';
  const m = DECIMAL.exec(text);
  if (m === null) return 'not-a-decimal';
  const whole = m[1] ?? '0';
  const fraction = m[2] ?? '';
  if (fraction.length > currency.minorDigits) return 'too-many-minor-digits';
  const minor = BigInt(whole + fraction.padEnd(currency.minorDigits, '0'));
  if (minor <= 0n) return 'not-positive';
  if (minor > MAX_MINOR) return 'too-large';
  return { minor, currency: currency.code };
}

/** Formats minor units as a decimal string with exactly the currency's minor digits ("1250.50"). */
export function formatMajorAmount(minor: bigint, currencyCode: string): string {
  const currency = currencyByCode(currencyCode);
  const digits = currency?.minorDigits ?? 2;
  const negative = minor < 0n;
  const abs = (negative ? -minor : minor).toString().padStart(digits + 1, '0');
  const body = digits === 0 ? abs : `${abs.slice(0, abs.length - digits)}.${abs.slice(abs.length - digits)}`;
  return negative ? `-${body}` : body;
}
