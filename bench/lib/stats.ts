/** Latency summary from samples in nanoseconds. */
export interface Summary {
  readonly count: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export function summarise(samplesNs: bigint[] | number[]): Summary {
  const ms = samplesNs.map((s) => Number(s) / 1e6).sort((a, b) => a - b);
  const at = (q: number): number => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))] ?? 0;
  return { count: ms.length, p50Ms: at(0.5), p90Ms: at(0.9), p99Ms: at(0.99), maxMs: ms[ms.length - 1] ?? 0 };
}

export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

export function fmt(n: number, digits = 1): string {
  return n.toFixed(digits);
}
