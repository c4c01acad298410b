export interface MicroBatcherOptions {
  /** Most items handed to one run. */
  readonly maxBatch: number;
  /** Most runs at once; 1 serialises them (a hot row that every run locks gains nothing from more). */
  readonly maxInFlight: number;
  /** Told each run's size (a metric: how much group commit is saving). */
  readonly observe?: (size: number) => void;
  /**
   * Which failures belong to an item rather than to the run (a value the database refuses): those
   * runs are split to find it. Anything else (the database unreachable, a timeout) fails the whole
   * run at once: re-running strangers' items against a dead database only delays their answers.
   */
  readonly isolate?: (error: unknown) => boolean;
  /** Most items waiting; beyond it a submission is refused at once instead of queueing without end. */
  readonly maxQueued?: number;
  /**
   * Told each run the database refused (a metric and an alert): `split` when it is split to find the
   * item at fault, `failed` when every item of it fails (the database unreachable, a timeout).
   */
  readonly failed?: (size: number, outcome: 'split' | 'failed') => void;
}

/** Refused because too many items are already waiting (the database is not keeping up). */
export class BatcherOverloaded extends Error {
  constructor(waiting: number) {
    super(`${waiting} writes already waiting for the database`);
    this.name = 'BatcherOverloaded';
  }
}

/** A run answered a different number of items than it was given: a bug, never retried. */
class RunMiscounted extends Error {}

interface Waiting<I, O> {
  readonly item: I;
  readonly resolve: (out: O) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit for concurrent callers: items submitted while earlier runs are busy wait and go
 * together in the next run, so one database round trip (and one commit) serves many payments.
 *
 * There is no timer. A run starts as soon as a slot is free, at the end of the current turn of the
 * event loop so that everything submitted in that turn (several frames from one TCP read, say) goes
 * together. An idle gateway therefore adds no latency, and batches grow only when the database is
 * the bottleneck, which is exactly when they pay.
 */
export class MicroBatcher<I, O> {
  private readonly waiting: Waiting<I, O>[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    /** Returns one output per item, in the items' order; throwing fails every item of the run. */
    private readonly run: (items: readonly I[]) => Promise<readonly O[]>,
    private readonly options: MicroBatcherOptions,
  ) {
    if (options.maxBatch < 1 || options.maxInFlight < 1)
      throw new Error('batch size and runs must be at least 1');
  }

  submit(item: I): Promise<O> {
    const limit = this.options.maxQueued ?? 10_000;
    if (this.waiting.length >= limit) return Promise.reject(new BatcherOverloaded(this.waiting.length));
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Items waiting for a run (for metrics and tests). */
  get queued(): number {
    return this.waiting.length;
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.options.maxInFlight) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.drain();
    });
  }

  private drain(): void {
    while (this.inFlight < this.options.maxInFlight && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.options.maxBatch);
      this.inFlight += 1;
      try {
        this.options.observe?.(batch.length);
      } catch {
        // A metric must never cost a payment.
      }
      void this.execute(batch);
    }
  }

  private async execute(batch: Waiting<I, O>[]): Promise<void> {
    try {
      await this.settle(batch);
    } finally {
      this.inFlight -= 1;
      if (this.waiting.length > 0) this.schedule();
    }
  }

  /**
   * Runs a batch and answers each caller. A run that fails with an item's error (options.isolate)
   * is split in halves and each half run again, down to single items: one item the database refuses
   * fails only its own caller, never the strangers it happened to share a statement with. Every run
   * is one atomic statement or transaction, so a failed run left nothing behind to undo.
   */
  private async settle(batch: Waiting<I, O>[]): Promise<void> {
    let outputs: readonly O[];
    try {
      outputs = await this.run(batch.map((w) => w.item));
      if (outputs.length !== batch.length) {
        throw new RunMiscounted(`batch run answered ${outputs.length} of ${batch.length} items`);
      }
    } catch (error) {
      const isolate = this.options.isolate;
      const split = !(
        batch.length === 1 ||
        error instanceof RunMiscounted ||
        isolate === undefined ||
        !isolate(error)
      );
      try {
        this.options.failed?.(batch.length, split ? 'split' : 'failed');
      } catch {
        // A metric must never cost a payment.
      }
      if (!split) {
        for (const w of batch) w.reject(error);
        return;
      }
      const half = Math.ceil(batch.length / 2);
      await this.settle(batch.slice(0, half));
      await this.settle(batch.slice(half));
      return;
    }
    batch.forEach((w, i) => w.resolve(outputs[i] as O));
  }
}
