/**
 * Exact decimal arithmetic on the strings a message carries (xs:decimal lexical form), as a bigint
 * scaled by 10^scale. Money never goes through a float here.
 */
export interface ScaledDecimal {
  readonly units: bigint;
  readonly scale: number;
}

/** xs:decimal after its whitespace collapse: optional sign, digits with an optional point. */
const XS_DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?$/;

export function parseDecimal(text: string): ScaledDecimal | undefined {
  const m = XS_DECIMAL.exec(text.trim());
  if (m === null) return undefined;
  const whole = m[2] ?? '';
  const fraction = m[3] ?? '';
  if (whole === '' && fraction === '') return undefined;
  const magnitude = BigInt((whole === '' ? '0' : whole) + fraction);
  return { units: m[1] === '-' ? -magnitude : magnitude, scale: fraction.length };
}

function rescale(d: ScaledDecimal, scale: number): bigint {
  return d.units * 10n ** BigInt(scale - d.scale);
}

export function addDecimals(values: readonly ScaledDecimal[]): ScaledDecimal {
  const scale = values.reduce((s, v) => Math.max(s, v.scale), 0);
  return { units: values.reduce((sum, v) => sum + rescale(v, scale), 0n), scale };
}

export function decimalsEqual(a: ScaledDecimal, b: ScaledDecimal): boolean {
  const scale = Math.max(a.scale, b.scale);
  return rescale(a, scale) === rescale(b, scale);
}

/** Canonical text without exponent or superfluous zeros ("0012.50" -> "12.5"); for messages only. */
export function formatDecimal(d: ScaledDecimal): string {
  const negative = d.units < 0n;
  const digits = (negative ? -d.units : d.units).toString().padStart(d.scale + 1, '0');
  let whole = d.scale === 0 ? digits : digits.slice(0, digits.length - d.scale);
  let fraction = d.scale === 0 ? '' : digits.slice(digits.length - d.scale);
  fraction = fraction.replace(/0+$/, '');
  whole = whole.replace(/^0+(?=\d)/, '');
  return `${negative ? '-' : ''}${whole}${fraction === '' ? '' : `.${fraction}`}`;
}

/**
 * The same number in the plain form parseMajorAmount accepts (no sign, no leading zeros, no bare
 * point), keeping every written fraction digit so the currency's minor-digit rule still sees them.
 */
export function normalizeAmountText(text: string): string | undefined {
  const m = XS_DECIMAL.exec(text.trim());
  if (m === null || m[1] === '-') return undefined;
  const whole = (m[2] ?? '').replace(/^0+(?=\d)/, '');
  const fraction = m[3] ?? '';
  if (whole === '' && fraction === '') return undefined;
  return `${whole === '' ? '0' : whole}${fraction === '' ? '' : `.${fraction}`}`;
}
