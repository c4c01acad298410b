import { type CharTable } from './charsets';
import { ASCII_TO_EBCDIC, EBCDIC_TO_ASCII } from './ebcdic';

/** How a string value is laid out in bytes. Binary (class b) values are copied as they are. */
export type TextEncoding = 'ascii' | 'ebcdic' | 'bcd';

/**
 * Nibble padding for BCD values of odd length: which end of the first/last byte holds the pad and which
 * nibble it is. Partners differ (jPOS LEFT_PADDED vs RIGHT_PADDED_F), so it is data, not a constant.
 */
export type BcdOddPad = 'left-0' | 'right-0' | 'right-F';

/**
 * Low-level string codec. Methods report a problem by position rather than throwing, so the field layer,
 * which knows the field number and name, builds the error; the success path allocates nothing extra.
 */
export interface TextCodec {
  readonly encoding: TextEncoding;
  /** Bytes taken by a value of `chars` characters. */
  bytes(chars: number): number;
  /** Writes `s`; returns -1, or the index of the first character the table or the encoding refuses. */
  write(buf: Buffer, off: number, s: string, table: CharTable): number;
  /** Reads `chars` characters at `off`; undefined when a byte is not a character of the table. */
  read(buf: Buffer, off: number, chars: number, table: CharTable): string | undefined;
  /** On the error path only: absolute offset of the first byte `read` refused. */
  badByte(buf: Buffer, off: number, chars: number, table: CharTable): number;
}

/** Latin-1 string of each byte value; building short strings from it beats a native slice call. */
const CHAR: readonly string[] = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i));

/** Below this many characters a JS loop beats crossing into C++ for Buffer#toString (measured). */
const SHORT = 12;

export const ASCII: TextCodec = {
  encoding: 'ascii',
  bytes: (chars) => chars,
  write(buf, off, s, table) {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 128 || table[c] !== 1) return i;
      buf[off + i] = c;
    }
    return -1;
  },
  read(buf, off, chars, table) {
    const end = off + chars;
    if (chars <= SHORT) {
      let s = '';
      for (let i = off; i < end; i++) {
        const b = buf[i]!;
        if (b >= 128 || table[b] !== 1) return undefined;
        s += CHAR[b];
      }
      return s;
    }
    for (let i = off; i < end; i++) {
      const b = buf[i]!;
      if (b >= 128 || table[b] !== 1) return undefined;
    }
    return buf.toString('latin1', off, end);
  },
  badByte(buf, off, chars, table) {
    for (let i = off; i < off + chars; i++) {
      const b = buf[i]!;
      if (b >= 128 || table[b] !== 1) return i;
    }
    return off;
  },
};

let ebcdicScratch = Buffer.allocUnsafe(256);

export const EBCDIC: TextCodec = {
  encoding: 'ebcdic',
  bytes: (chars) => chars,
  write(buf, off, s, table) {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 128 || table[c] !== 1) return i;
      buf[off + i] = ASCII_TO_EBCDIC[c]!;
    }
    return -1;
  },
  read(buf, off, chars, table) {
    if (chars <= SHORT) {
      let s = '';
      for (let i = off; i < off + chars; i++) {
        const a = EBCDIC_TO_ASCII[buf[i]!]!;
        if (table[a] !== 1) return undefined;
        s += CHAR[a];
      }
      return s;
    }
    // Translate into scratch space and let Buffer build the string once.
    if (ebcdicScratch.length < chars)
      ebcdicScratch = Buffer.allocUnsafe(Math.max(chars, 2 * ebcdicScratch.length));
    for (let i = 0; i < chars; i++) {
      const a = EBCDIC_TO_ASCII[buf[off + i]!]!;
      if (table[a] !== 1) return undefined;
      ebcdicScratch[i] = a;
    }
    return ebcdicScratch.toString('latin1', 0, chars);
  },
  badByte(buf, off, chars, table) {
    for (let i = off; i < off + chars; i++) {
      if (table[EBCDIC_TO_ASCII[buf[i]!]!] !== 1) return i;
    }
    return off;
  },
};

/** Nibble value of a character BCD can carry: digits, and '=' as D (the track-2 separator). */
function nibbleOf(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c === 0x3d) return 0xd;
  return -1;
}

/** Character for a nibble, '' where BCD carries no character. */
const NIBBLE_CHAR: readonly string[] = Array.from({ length: 16 }, (_, n) =>
  n <= 9 ? String.fromCharCode(0x30 + n) : n === 0xd ? '=' : '',
);
/** Two characters for a whole byte, '' when either nibble is not a character. */
const PAIR: readonly string[] = Array.from({ length: 256 }, (_, b) => {
  const hi = NIBBLE_CHAR[b >> 4]!;
  const lo = NIBBLE_CHAR[b & 15]!;
  return hi && lo ? hi + lo : '';
});

function isAllowed(s: string, table: CharTable): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (table[c] !== 1) return false;
  }
  return true;
}

export function bcdCodec(oddPad: BcdOddPad): TextCodec {
  const padLeft = oddPad === 'left-0';
  const padNibble = oddPad === 'right-F' ? 0xf : 0;

  return {
    encoding: 'bcd',
    bytes: (chars) => (chars + 1) >> 1,
    write(buf, off, s, table) {
      const n = s.length;
      let i = 0;
      let o = off;
      if (n & 1 && padLeft) {
        const c = s.charCodeAt(0);
        const v = c < 128 && table[c] === 1 ? nibbleOf(c) : -1;
        if (v < 0) return 0;
        buf[o++] = v;
        i = 1;
      }
      const pairsEnd = n & 1 && !padLeft ? n - 1 : n;
      for (; i < pairsEnd; i += 2) {
        const c1 = s.charCodeAt(i);
        const c2 = s.charCodeAt(i + 1);
        const hi = c1 < 128 && table[c1] === 1 ? nibbleOf(c1) : -1;
        if (hi < 0) return i;
        const lo = c2 < 128 && table[c2] === 1 ? nibbleOf(c2) : -1;
        if (lo < 0) return i + 1;
        buf[o++] = (hi << 4) | lo;
      }
      if (pairsEnd < n) {
        const c = s.charCodeAt(n - 1);
        const v = c < 128 && table[c] === 1 ? nibbleOf(c) : -1;
        if (v < 0) return n - 1;
        buf[o] = (v << 4) | padNibble;
      }
      return -1;
    },
    read(buf, off, chars, table) {
      let s = '';
      let p = off;
      if (chars & 1 && padLeft) {
        const b = buf[p++]!;
        if (b >> 4 !== 0) return undefined;
        const ch = NIBBLE_CHAR[b & 15]!;
        if (ch === '') return undefined;
        s = ch;
      }
      const fullBytes = chars >> 1;
      for (let k = 0; k < fullBytes; k++) {
        const pair = PAIR[buf[p++]!]!;
        if (pair === '') return undefined;
        s += pair;
      }
      if (chars & 1 && !padLeft) {
        const b = buf[p]!;
        if ((b & 15) !== padNibble) return undefined;
        const ch = NIBBLE_CHAR[b >> 4]!;
        if (ch === '') return undefined;
        s += ch;
      }
      // '=' decodes from nibble D for every class; only the table says whether the class takes it.
      return isAllowed(s, table) ? s : undefined;
    },
    badByte(buf, off, chars, table) {
      const bytes = (chars + 1) >> 1;
      for (let k = 0; k < bytes; k++) {
        const b = buf[off + k]!;
        const first = k === 0 && chars & 1 && padLeft;
        const last = k === bytes - 1 && chars & 1 && !padLeft;
        const hiOk = first ? b >> 4 === 0 : nibbleAllowed(b >> 4, table);
        const loOk = last ? (b & 15) === padNibble : nibbleAllowed(b & 15, table);
        if (!hiOk || !loOk) return off + k;
      }
      return off;
    },
  };
}

function nibbleAllowed(n: number, table: CharTable): boolean {
  const ch = NIBBLE_CHAR[n]!;
  return ch !== '' && table[ch.charCodeAt(0)] === 1;
}

export function textCodec(encoding: TextEncoding, oddPad: BcdOddPad = 'left-0'): TextCodec {
  switch (encoding) {
    case 'ascii':
      return ASCII;
    case 'ebcdic':
      return EBCDIC;
    case 'bcd':
      return bcdCodec(oddPad);
  }
}
