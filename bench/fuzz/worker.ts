import { parentPort, workerData } from 'node:worker_threads';
import { FuzzFailure } from '../../src/protocols/iso8583/testing/fuzz-harness';
import { openTarget, type TargetSpec } from './targets';

/**
 * One fuzz target in a worker thread, iterations [start, end) of one seed. Before each input it
 * writes the iteration number into shared memory: a synchronous hang stops that number moving, which
 * the runner (fuzz.bench.ts) sees from outside, ends the worker and saves the input as a hang case.
 */

export interface WorkerJob {
  readonly spec: TargetSpec;
  readonly seed: number;
  readonly start: number;
  readonly end: number;
  /** Epoch ms after which the worker stops wherever it is (the run's time bound). */
  readonly deadline: number;
  readonly progress: SharedArrayBuffer;
}

export type WorkerMessage =
  | { readonly type: 'ready' }
  | {
      readonly type: 'failure';
      readonly iteration: number;
      readonly message: string;
      readonly input: unknown;
    }
  | {
      readonly type: 'stats';
      readonly done: number;
      readonly outcomes: Record<string, number>;
      readonly slowestMs: number;
      readonly final: boolean;
    };

async function main(): Promise<void> {
  const job = workerData as WorkerJob;
  const port = parentPort;
  if (port === null) throw new Error('fuzz worker started outside a worker thread');
  const slots = new Int32Array(job.progress);
  const target = await openTarget(job.spec);
  port.postMessage({ type: 'ready' } satisfies WorkerMessage);
  const outcomes: Record<string, number> = {};
  let slowestMs = 0;
  let done = 0;
  const stats = (final: boolean): void =>
    port.postMessage({ type: 'stats', done, outcomes, slowestMs, final } satisfies WorkerMessage);
  for (let i = job.start; i < job.end; i += 1) {
    if ((i & 1023) === 0 && Date.now() > job.deadline) break;
    Atomics.store(slots, 0, i);
    const t0 = performance.now();
    try {
      let outcome = target.run(job.seed, i);
      if (typeof outcome !== 'string') outcome = await outcome;
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    } catch (error) {
      const message =
        error instanceof FuzzFailure
          ? error.message
          : `harness: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
      outcomes.FAILED = (outcomes.FAILED ?? 0) + 1;
      port.postMessage({
        type: 'failure',
        iteration: i,
        message,
        input: target.input(job.seed, i),
      } satisfies WorkerMessage);
    }
    slowestMs = Math.max(slowestMs, performance.now() - t0);
    done += 1;
    if (done % 20_000 === 0) stats(false);
  }
  target.dispose?.();
  stats(true);
}

// A failure outside the oracle (the target would not open) ends the worker with an 'error' event.
void main();
