import { isTransientDatabaseError } from '../domain/db';
import type { Logger } from '../infrastructure/logging/logger';

/**
 * The partner was not told the outcome because the database would not take it in time. The write
 * goes on in the background; until it lands a retry with the same key is answered "in flight", then
 * with the outcome itself. Never a second posting: the key stays claimed throughout.
 */
export class OutcomeNotYetRecorded extends Error {
  constructor(
    readonly paymentId: string,
    cause: unknown,
  ) {
    super(`payment ${paymentId}: outcome not yet recorded (database unavailable); retry with the same key`, {
      cause,
    });
    this.name = 'OutcomeNotYetRecorded';
  }
}

export interface DurableOutcomeOptions {
  /** How long a request waits for the database before it is answered 500 (the write goes on). */
  readonly inRequestMs?: number;
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly log: Logger;
}

/**
 * Writes that follow a posting (the biller's answer, core banking's debit) must land: money has
 * already moved, so a database outage at that moment must neither lose what happened nor leave the
 * key in flight for the sweep to guess. A write failing for a transient reason (see
 * isTransientDatabaseError) is retried with backoff, first while the partner waits, then in the
 * background for as long as the process lives. Before each retry, `landed` asks whether an earlier
 * attempt committed after all (its acknowledgement lost with the connection), so a write is never
 * applied twice.
 */
export class DurableOutcomes {
  private readonly inRequestMs: number;
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly background = new Set<Promise<unknown>>();
  private closed = false;

  constructor(private readonly options: DurableOutcomeOptions) {
    this.inRequestMs = options.inRequestMs ?? 5_000;
    this.minBackoffMs = options.minBackoffMs ?? 100;
    this.maxBackoffMs = options.maxBackoffMs ?? 2_000;
  }

  /** Writes still being retried in the background. */
  get pending(): number {
    return this.background.size;
  }

  async write<T>(
    paymentId: string,
    what: string,
    write: () => Promise<T>,
    landed: () => Promise<T | undefined>,
  ): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (!isTransientDatabaseError(error)) throw error;
      this.options.log.warn({ paymentId, what, err: messageOf(error) }, 'outcome write failed; retrying');
    }
    const deadline = Date.now() + this.inRequestMs;
    let attempt = 0;
    let lastError: unknown;
    while (Date.now() < deadline && !this.closed) {
      await sleep(this.backoff(attempt++));
      try {
        return await this.retryOnce(write, landed);
      } catch (error) {
        if (!isTransientDatabaseError(error)) throw error;
        lastError = error;
      }
    }
    this.continueInBackground(paymentId, what, write, landed, attempt);
    throw new OutcomeNotYetRecorded(paymentId, lastError);
  }

  /** Waits (up to `withinMs`) for background writes, so a clean shutdown does not drop them. */
  async close(withinMs = 5_000): Promise<void> {
    const all = Promise.allSettled([...this.background]);
    await Promise.race([all, sleep(withinMs)]);
    this.closed = true;
  }

  private async retryOnce<T>(write: () => Promise<T>, landed: () => Promise<T | undefined>): Promise<T> {
    const already = await landed();
    if (already !== undefined) return already;
    return write();
  }

  private continueInBackground<T>(
    paymentId: string,
    what: string,
    write: () => Promise<T>,
    landed: () => Promise<T | undefined>,
    firstAttempt: number,
  ): void {
    const run = (async () => {
      let attempt = firstAttempt;
      while (!this.closed) {
        await sleep(this.backoff(attempt++));
        try {
          await this.retryOnce(write, landed);
          this.options.log.warn({ paymentId, what, attempts: attempt }, 'outcome recorded after retries');
          return;
        } catch (error) {
          if (!isTransientDatabaseError(error)) {
            this.options.log.error({ paymentId, what, err: messageOf(error) }, 'outcome write refused');
            return;
          }
        }
      }
      // The process is stopping with the database still away: the key stays in flight, and once this
      // node's lease runs out the sweep answers it from what the database holds.
      this.options.log.error({ paymentId, what }, 'outcome not recorded before shutdown');
    })();
    this.background.add(run);
    void run.finally(() => this.background.delete(run));
  }

  private backoff(attempt: number): number {
    return Math.min(this.maxBackoffMs, this.minBackoffMs * 2 ** attempt);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
