/*
 * A hash chain over audit entries: entry n carries the hash of entry n-1, and its own hash is sha256
 * over a canonical serialisation of everything it says, its sequence number included. An entry
 * altered behind the application's back no longer matches its hash; an entry removed leaves a gap in
 * the sequence; the newest entries removed disagree with the chain head. Shared by the routing audit
 * log and the ops audit log.
 */

export const GENESIS_HASH = '0'.repeat(64);

/** JSON with object keys sorted at every level and no whitespace: one text per value. */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'bigint') return JSON.stringify(value.toString());
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (typeof value === 'object') {
    const o = value as Record<string, unknown>;
    const keys = Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export type ChainProblem = 'gap' | 'hash-mismatch' | 'chain-mismatch' | 'truncated' | 'head-mismatch';

export interface ChainVerdict {
  readonly intact: boolean;
  /** Entries checked. */
  readonly checked: number;
  /** Sequence number of the newest entry according to the chain head. */
  readonly headSeq: number;
  readonly firstBrokenAt?: number;
  readonly problem?: ChainProblem;
  readonly detail?: string;
}

/** What the verifier needs of an entry: its place in the chain and the two hashes. */
export interface ChainLink {
  readonly seq: bigint;
  readonly prevHash: string;
  readonly hash: string;
}

/** Checks entries fed in ascending sequence order against their hash function; stops at the first break. */
export class HashChainVerifier<E extends ChainLink> {
  private expectedSeq = 1n;
  private prevHash = GENESIS_HASH;
  private count = 0;
  private broken: { seq: bigint; problem: ChainProblem; detail: string } | undefined;

  constructor(private readonly hashOf: (entry: E) => string) {}

  get done(): boolean {
    return this.broken !== undefined;
  }

  push(entry: E): void {
    if (this.broken !== undefined) return;
    this.count += 1;
    if (entry.seq !== this.expectedSeq) {
      this.broken = {
        seq: this.expectedSeq,
        problem: 'gap',
        detail: `entry ${this.expectedSeq} is missing (next present entry is ${entry.seq})`,
      };
      return;
    }
    if (this.hashOf(entry) !== entry.hash) {
      this.broken = {
        seq: entry.seq,
        problem: 'hash-mismatch',
        detail: `entry ${entry.seq} does not match its hash: its content was altered`,
      };
      return;
    }
    if (entry.prevHash !== this.prevHash) {
      this.broken = {
        seq: entry.seq,
        problem: 'chain-mismatch',
        detail: `entry ${entry.seq} does not carry the hash of entry ${entry.seq - 1n}`,
      };
      return;
    }
    this.prevHash = entry.hash;
    this.expectedSeq += 1n;
  }

  finish(head: { seq: bigint; hash: string }): ChainVerdict {
    const headSeq = Number(head.seq);
    if (this.broken !== undefined) {
      return {
        intact: false,
        checked: this.count,
        headSeq,
        firstBrokenAt: Number(this.broken.seq),
        problem: this.broken.problem,
        detail: this.broken.detail,
      };
    }
    const last = this.expectedSeq - 1n;
    if (head.seq > last) {
      return {
        intact: false,
        checked: this.count,
        headSeq,
        firstBrokenAt: Number(last + 1n),
        problem: 'truncated',
        detail: `the chain head records ${head.seq} entries but the log ends at ${last}`,
      };
    }
    if (head.seq < last || head.hash !== this.prevHash) {
      return {
        intact: false,
        checked: this.count,
        headSeq,
        firstBrokenAt: Number(head.seq < last ? head.seq + 1n : last),
        problem: 'head-mismatch',
        detail: 'the chain head does not match the newest entry',
      };
    }
    return { intact: true, checked: this.count, headSeq };
  }
}
