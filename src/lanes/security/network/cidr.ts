/**
 * IPv4/IPv6 addresses and CIDR blocks for the source-address layer of the mTLS lane.
 *
 * Parsing is deliberately strict: this decides who may connect, so anything a human could read two
 * ways (octal-looking "010.0.0.1", "10.1.2.3/8" with host bits set, zone ids in a block) is refused
 * rather than guessed at.
 */

export type IpFamily = 4 | 6;

export interface ParsedAddress {
  readonly family: IpFamily;
  /** IPv4 as an unsigned 32-bit number widened to bigint, IPv6 as a 128-bit bigint. */
  readonly value: bigint;
}

export interface Cidr {
  readonly family: IpFamily;
  readonly network: bigint;
  readonly prefix: number;
  /** Canonical text, e.g. "10.0.0.0/8", "2001:db8::/32" (lower case, compressed). */
  readonly text: string;
}

export class CidrParseError extends Error {
  constructor(
    readonly input: string,
    readonly problem: string,
  ) {
    super(`invalid CIDR ${JSON.stringify(input)}: ${problem}`);
    this.name = 'CidrParseError';
  }
}

const V4_BITS = 32;
const V6_BITS = 128;
const V4_MAPPED_PREFIX = 0xffffn << 32n; // ::ffff:0:0/96
const DECIMAL_OCTET = /^(?:0|[1-9][0-9]{0,2})$/;
const HEX_GROUP = /^[0-9a-f]{1,4}$/;
const PREFIX = /^(?:0|[1-9][0-9]{0,2})$/;

function parseV4Number(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!DECIMAL_OCTET.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

function parseV6Value(text: string): bigint | undefined {
  const lower = text.toLowerCase();
  const halves = lower.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (side: string): number[] | undefined => {
    if (side === '') return [];
    const raw = side.split(':');
    const groups: number[] = [];
    for (let i = 0; i < raw.length; i++) {
      const g = raw[i] ?? '';
      if (i === raw.length - 1 && g.includes('.')) {
        const v4 = parseV4Number(g);
        if (v4 === undefined) return undefined;
        groups.push(Math.floor(v4 / 65536), v4 % 65536);
      } else {
        if (!HEX_GROUP.test(g)) return undefined;
        groups.push(parseInt(g, 16));
      }
    }
    return groups;
  };
  const head = groupsOf(halves[0] ?? '');
  const tail = halves.length === 2 ? groupsOf(halves[1] ?? '') : [];
  if (head === undefined || tail === undefined) return undefined;
  // An embedded IPv4 tail is only legal as the final two groups of the whole address.
  if (halves.length === 2 && (halves[0] ?? '').includes('.')) return undefined;
  let groups: number[];
  if (halves.length === 2) {
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return undefined;
    groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  } else {
    if (head.length !== 8) return undefined;
    groups = head;
  }
  let value = 0n;
  for (const g of groups) value = (value << 16n) | BigInt(g);
  return value;
}

/**
 * Parses a single address as Node reports it in `socket.remoteAddress`. IPv4-mapped IPv6
 * (::ffff:a.b.c.d, which a dual-stack listener reports for IPv4 clients) is folded to IPv4 so one
 * IPv4 allowlist entry covers both ways the same client can appear. A zone id (fe80::1%eth0) is
 * dropped: it names an interface, not a different host.
 */
export function parseAddress(text: string): ParsedAddress | undefined {
  if (text.length === 0 || text.length > 64) return undefined;
  if (!text.includes(':')) {
    const v4 = parseV4Number(text);
    return v4 === undefined ? undefined : { family: 4, value: BigInt(v4) };
  }
  const zone = text.indexOf('%');
  const bare = zone === -1 ? text : text.slice(0, zone);
  if (zone !== -1 && zone === text.length - 1) return undefined;
  const v6 = parseV6Value(bare);
  if (v6 === undefined) return undefined;
  if (v6 >> 32n === 0xffffn) return { family: 4, value: v6 & 0xffffffffn };
  return { family: 6, value: v6 };
}

function formatV4(value: bigint): string {
  const n = Number(value);
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function formatV6(value: bigint): string {
  const groups: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(Number((value >> shift) & 0xffffn));
  // RFC 5952: compress the longest run (>= 2) of zero groups, the first one on a tie.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

function mask(bits: number, prefix: number): bigint {
  const width = BigInt(bits);
  return ((1n << width) - 1n) ^ ((1n << BigInt(bits - prefix)) - 1n);
}

/**
 * Parses "a.b.c.d/n" or "v6/n". A bare address is a single host (/32 or /128). Host bits must be
 * zero: "10.1.2.3/8" is refused because it is usually a typo for something narrower than /8.
 */
export function parseCidr(text: string): Cidr {
  const trimmed = text.trim();
  const slash = trimmed.indexOf('/');
  const addressText = slash === -1 ? trimmed : trimmed.slice(0, slash);
  if (addressText.includes('%')) throw new CidrParseError(text, 'zone ids are not allowed in a block');
  let family: IpFamily;
  let value: bigint;
  if (addressText.includes(':')) {
    const v6 = parseV6Value(addressText);
    if (v6 === undefined) throw new CidrParseError(text, 'not an IPv6 address');
    family = 6;
    value = v6;
  } else {
    const v4 = parseV4Number(addressText);
    if (v4 === undefined) throw new CidrParseError(text, 'not an IPv4 address');
    family = 4;
    value = BigInt(v4);
  }
  const bits = family === 4 ? V4_BITS : V6_BITS;
  let prefix = bits;
  if (slash !== -1) {
    const prefixText = trimmed.slice(slash + 1);
    if (!PREFIX.test(prefixText)) throw new CidrParseError(text, 'prefix length is not a number');
    prefix = Number(prefixText);
    if (prefix > bits) throw new CidrParseError(text, `prefix length exceeds /${bits}`);
  }
  const m = mask(bits, prefix);
  if ((value & m) !== value) throw new CidrParseError(text, 'host bits are set');
  const canonical = `${family === 4 ? formatV4(value) : formatV6(value)}/${prefix}`;
  return { family, network: value, prefix, text: canonical };
}

export function tryParseCidr(text: string): Cidr | undefined {
  try {
    return parseCidr(text);
  } catch (e: unknown) {
    if (e instanceof CidrParseError) return undefined;
    throw e;
  }
}

interface Range {
  start: bigint;
  end: bigint;
}

/** Sorts and merges overlapping/adjacent ranges, so a lookup is one binary search over disjoint spans. */
function mergeRanges(ranges: Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const out: Range[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && r.start <= last.end + 1n) {
      if (r.end > last.end) last.end = r.end;
    } else {
      out.push({ start: r.start, end: r.end });
    }
  }
  return out;
}

function rangeOf(cidr: Cidr): Range {
  const hostBits = BigInt((cidr.family === 4 ? V4_BITS : V6_BITS) - cidr.prefix);
  return { start: cidr.network, end: cidr.network | ((1n << hostBits) - 1n) };
}

/**
 * IPv6 blocks that overlap ::ffff:0:0/96 also admit the IPv4 addresses they cover, because
 * parseAddress folds mapped addresses to IPv4 before lookup.
 */
function v4ShareOf(cidr: Cidr): Range | undefined {
  const v6 = rangeOf(cidr);
  const mappedStart = V4_MAPPED_PREFIX;
  const mappedEnd = V4_MAPPED_PREFIX | 0xffffffffn;
  const start = v6.start > mappedStart ? v6.start : mappedStart;
  const end = v6.end < mappedEnd ? v6.end : mappedEnd;
  if (start > end) return undefined;
  return { start: start & 0xffffffffn, end: end & 0xffffffffn };
}

export function cidrContains(cidr: Cidr, address: string): boolean {
  return CidrAllowlist.fromCidrs([cidr]).contains(address);
}

/**
 * A compiled source-address allowlist. Blocks are flattened into sorted, merged numeric spans at
 * construction, so `contains` costs one address parse plus a binary search, whatever the list size.
 * An empty list admits nobody.
 */
export class CidrAllowlist {
  // IPv4 spans are kept as plain numbers: the hot path for most partners avoids bigint compares.
  private readonly v4Starts: Float64Array;
  private readonly v4Ends: Float64Array;
  private readonly v6: readonly Range[];

  private constructor(
    readonly cidrs: readonly Cidr[],
    v4: Range[],
    v6: Range[],
  ) {
    const merged4 = mergeRanges(v4);
    this.v4Starts = Float64Array.from(merged4, (r) => Number(r.start));
    this.v4Ends = Float64Array.from(merged4, (r) => Number(r.end));
    this.v6 = mergeRanges(v6);
  }

  /** Throws CidrParseError naming the first bad entry: a bad allowlist must stop startup, not shrink. */
  static compile(entries: readonly string[]): CidrAllowlist {
    return CidrAllowlist.fromCidrs(entries.map((e) => parseCidr(e)));
  }

  static fromCidrs(cidrs: readonly Cidr[]): CidrAllowlist {
    const v4: Range[] = [];
    const v6: Range[] = [];
    for (const c of cidrs) {
      if (c.family === 4) {
        v4.push(rangeOf(c));
      } else {
        v6.push(rangeOf(c));
        const share = v4ShareOf(c);
        if (share !== undefined) v4.push(share);
      }
    }
    return new CidrAllowlist(cidrs, v4, v6);
  }

  contains(address: string | undefined | null): boolean {
    if (address === undefined || address === null) return false;
    // Plain IPv4 is the common remoteAddress; keep it free of bigint work.
    if (!address.includes(':')) {
      const v4 = parseV4Number(address);
      return v4 !== undefined && this.containsV4(v4);
    }
    const parsed = parseAddress(address);
    if (parsed === undefined) return false;
    if (parsed.family === 4) return this.containsV4(Number(parsed.value));
    return this.containsV6(parsed.value);
  }

  private containsV4(value: number): boolean {
    let lo = 0;
    let hi = this.v4Starts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const start = this.v4Starts[mid] ?? 0;
      if (value < start) hi = mid - 1;
      else if (value > (this.v4Ends[mid] ?? -1)) lo = mid + 1;
      else return true;
    }
    return false;
  }

  private containsV6(value: bigint): boolean {
    let lo = 0;
    let hi = this.v6.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const r = this.v6[mid];
      if (r === undefined) return false;
      if (value < r.start) hi = mid - 1;
      else if (value > r.end) lo = mid + 1;
      else return true;
    }
    return false;
  }
}
