import { summarise, type Summary } from './stats';

export interface ClosedLoopResult {
  readonly summary: Summary;
  readonly perSecond: number;
  readonly outcomes: ReadonlyMap<string, number>;
}

/**
 * A closed-loop load: `concurrency` clients each send a request as soon as their last one was
 * answered, first for a warm-up (not recorded), then for the measured window. `send` performs one
 * request (numbered, so bodies can be unique) and names its outcome.
 */
export async function runClosedLoop(o: {
  readonly concurrency: number;
  readonly warmupSeconds: number;
  readonly seconds: number;
  readonly send: (n: number) => Promise<string>;
}): Promise<ClosedLoopResult> {
  let n = 0;
  const client = async (
    untilMs: number,
    samples?: bigint[],
    outcomes?: Map<string, number>,
  ): Promise<void> => {
    while (Date.now() < untilMs) {
      n += 1;
      const started = process.hrtime.bigint();
      const outcome = await o.send(n);
      samples?.push(process.hrtime.bigint() - started);
      outcomes?.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
  };
  const warm = Date.now() + o.warmupSeconds * 1000;
  await Promise.all(Array.from({ length: o.concurrency }, () => client(warm)));
  const samples: bigint[] = [];
  const outcomes = new Map<string, number>();
  const started = Date.now();
  await Promise.all(
    Array.from({ length: o.concurrency }, () => client(started + o.seconds * 1000, samples, outcomes)),
  );
  const elapsed = (Date.now() - started) / 1000;
  return { summary: summarise(samples), perSecond: samples.length / elapsed, outcomes };
}

export function describeOutcomes(outcomes: ReadonlyMap<string, number>): string {
  return [...outcomes].map(([k, v]) => `${k}=${v}`).join(' ');
}
