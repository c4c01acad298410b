/** Length types of ISO 8583: fixed, or a variable value behind a 2, 3 or 4 digit length prefix. */
export type LengthType = 'fixed' | 'LL' | 'LLL' | 'LLLL';
export type VariableLengthType = Exclude<LengthType, 'fixed'>;
export type PrefixEncoding = 'ascii' | 'ebcdic' | 'bcd' | 'binary';

/**
 * A length prefix counts characters for text values (digits for BCD numerics, as jPOS IFB_LLNUM does)
 * and bytes for binary values.
 */
export interface Prefixer {
  /** Bytes the prefix itself takes. */
  readonly size: number;
  /** Largest length the prefix can express. */
  readonly capacity: number;
  write(buf: Buffer, off: number, length: number): void;
  /** The length read at `off`, or -1 when the bytes are not a length in this encoding. */
  read(buf: Buffer, off: number): number;
}

const DIGITS: Readonly<Record<VariableLengthType, number>> = { LL: 2, LLL: 3, LLLL: 4 };

/**
 * Binary prefixes carry a big-endian byte count: one byte for LL, two for LLL and LLLL (the usual
 * reading of "binary LL" in jPOS/moov; a 3-digit length does not fit one byte).
 */
const BINARY_BYTES: Readonly<Record<VariableLengthType, number>> = { LL: 1, LLL: 2, LLLL: 2 };

function decimalPrefixer(digits: number, zero: number): Prefixer {
  return {
    size: digits,
    capacity: 10 ** digits - 1,
    write(buf, off, length) {
      for (let i = digits - 1, v = length; i >= 0; i--, v = (v / 10) | 0) buf[off + i] = zero + (v % 10);
    },
    read(buf, off) {
      let v = 0;
      for (let i = 0; i < digits; i++) {
        const d = buf[off + i]! - zero;
        if (d < 0 || d > 9) return -1;
        v = v * 10 + d;
      }
      return v;
    },
  };
}

function bcdPrefixer(digits: number): Prefixer {
  const size = (digits + 1) >> 1;
  return {
    size,
    capacity: 10 ** digits - 1,
    write(buf, off, length) {
      for (let i = size - 1, v = length; i >= 0; i--, v = (v / 100) | 0) {
        const two = v % 100;
        buf[off + i] = (((two / 10) | 0) << 4) | (two % 10);
      }
    },
    read(buf, off) {
      let v = 0;
      for (let i = 0; i < size; i++) {
        const b = buf[off + i]!;
        const hi = b >> 4;
        const lo = b & 15;
        if (hi > 9 || lo > 9) return -1;
        v = v * 100 + hi * 10 + lo;
      }
      // An odd digit count leaves a leading nibble that must stay 0, or LLL 999 would read as 1999.
      return v > 10 ** digits - 1 ? -1 : v;
    },
  };
}

function binaryPrefixer(bytes: number): Prefixer {
  return {
    size: bytes,
    capacity: 2 ** (8 * bytes) - 1,
    write(buf, off, length) {
      if (bytes === 1) buf[off] = length;
      else {
        buf[off] = length >> 8;
        buf[off + 1] = length & 0xff;
      }
    },
    read(buf, off) {
      return bytes === 1 ? buf[off]! : (buf[off]! << 8) | buf[off + 1]!;
    },
  };
}

export function prefixer(type: VariableLengthType, encoding: PrefixEncoding): Prefixer {
  switch (encoding) {
    case 'ascii':
      return decimalPrefixer(DIGITS[type], 0x30);
    case 'ebcdic':
      return decimalPrefixer(DIGITS[type], 0xf0);
    case 'bcd':
      return bcdPrefixer(DIGITS[type]);
    case 'binary':
      return binaryPrefixer(BINARY_BYTES[type]);
  }
}
