/*
 * What every protocol's fuzzer shares (the ISO 8583 codec and flows, the ISO 20022 lane): a seedable
 * PRNG, independent per-iteration seeds so any failing input reproduces from (seed, iteration), and
 * the error an oracle raises. Protocol-neutral, so no protocol imports another for it.
 */

/** xorshift32: fast, seedable, good enough to pick mutations; a failing iteration reproduces. */
export function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/** An oracle broken by one input: what a case file records. */
export class FuzzFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FuzzFailure';
  }
}

/** murmur3's finaliser over (seed, iteration): independent, well-spread PRNG seeds per iteration. */
export function iterationSeed(seed: number, iteration: number): number {
  let h = (seed ^ Math.imul(iteration + 1, 0x9e3779b9)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0 || 1;
}
