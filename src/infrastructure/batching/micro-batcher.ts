export interface MicroBatcherOptions {
  /** Most items handed to one run. */
  readonly maxBatch: number;
  /** Most runs at once; 1 serialises them (a hot row that every run locks gains nothing from more). */
  readonly maxInFlight: number;
  /** Told each run's size (a metric: how much group commit is saving). */
  readonly observe?: (size: number) => void;
}

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
      this.options.observe?.(batch.length);
      void this.execute(batch);
    }
  }

  private async execute(batch: Waiting<I, O>[]): Promise<void> {
    try {
      const outputs = await this.run(batch.map((w) => w.item));
      if (outputs.length !== batch.length) {
        throw new Error(`batch run answered ${outputs.length} of ${batch.length} items`);
      }
      batch.forEach((w, i) => w.resolve(outputs[i] as O));
    } catch (error) {
      for (const w of batch) w.reject(error);
    } finally {
      this.inFlight -= 1;
      if (this.waiting.length > 0) this.schedule();
    }
  }
}
