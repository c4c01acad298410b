/**
 * Content classes of ISO 8583:1987 as byte-indexed lookup tables, so validation is one array read per
 * character instead of a regular expression per character (the cost that dominates iso_8583's pack).
 */
export type ContentClass = 'n' | 'an' | 'ans' | 'b' | 'z';

/** Classes whose values are strings (b is the only binary class). */
export type TextClass = Exclude<ContentClass, 'b'>;

/** 1 where the ASCII code is allowed in the class; codes >= 128 are never allowed. */
export type CharTable = Uint8Array;

function table(allowed: (code: number) => boolean): CharTable {
  const t = new Uint8Array(128);
  for (let c = 0; c < 128; c++) t[c] = allowed(c) ? 1 : 0;
  return t;
}

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isAlpha = (c: number): boolean => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);

const TABLES: Readonly<Record<TextClass, CharTable>> = {
  n: table(isDigit),
  an: table((c) => isDigit(c) || isAlpha(c)),
  // Printable ASCII: the only characters every encoding here (ASCII, cp037) can carry both ways.
  ans: table((c) => c >= 0x20 && c <= 0x7e),
  // Track 2 as carried in field 35: digits and the field separator '=' (BCD nibble D). Sentinels and
  // LRC are stripped by the terminal before the acquirer sees the track.
  z: table((c) => isDigit(c) || c === 0x3d),
};

export function charTable(cls: TextClass): CharTable {
  return TABLES[cls];
}

/** Index of the first character of `s` outside the table, or -1. */
export function firstInvalidChar(s: string, t: CharTable, from = 0, to = s.length): number {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || t[c] !== 1) return i;
  }
  return -1;
}

export function describeChar(s: string, i: number): string {
  const c = s.charCodeAt(i);
  return c >= 0x20 && c <= 0x7e ? `'${s[i] ?? ''}'` : `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
}
