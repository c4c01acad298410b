export interface DatabaseHealthOptions {
  /** One round trip to the database (`select 1`); rejects or hangs when it is away. */
  readonly probe: () => Promise<unknown>;
  /** Between probes while the database answers. */
  readonly intervalMs?: number;
  /** A probe slower than this counts as down: a paused (SIGSTOP) server accepts and never answers. */
  readonly timeoutMs?: number;
  /** First retry delay once down, doubled per failure up to maxBackoffMs. */
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly onChange?: (up: boolean, error: Error | undefined) => void;
}

/**
 * Whether this node can reach its database, found by probing it in the background, so readiness
 * answers at once (a balancer's health check must not hang on a stalled server) and the node
 * reconnects with backoff rather than hammering a server that is restarting. The pool itself
 * reconnects on the next query; this only watches, and never stops the process.
 */
export class DatabaseHealth {
  private up = true;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  private lastChange = Date.now();
  private readonly waiters = new Set<() => void>();
  private readonly intervalMs: number;
  private readonly timeoutMs: number;
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;

  constructor(private readonly options: DatabaseHealthOptions) {
    this.intervalMs = options.intervalMs ?? 1_000;
    this.timeoutMs = options.timeoutMs ?? 1_000;
    this.minBackoffMs = options.minBackoffMs ?? 250;
    this.maxBackoffMs = options.maxBackoffMs ?? 4_000;
  }

  isUp(): boolean {
    return this.up;
  }

  /** Since when the current state (up or down) holds. */
  since(): Date {
    return new Date(this.lastChange);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(this.intervalMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    for (const w of this.waiters) w();
    this.waiters.clear();
  }

  /** Resolves when a probe succeeds (at once if the last one did), or when stopped. */
  waitUntilUp(): Promise<void> {
    if (this.up || this.stopped) return Promise.resolve();
    return new Promise((resolve) => this.waiters.add(resolve));
  }

  /** One probe now; updates the state and reports whether the database answered. */
  async check(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.options.probe(),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`database did not answer within ${this.timeoutMs} ms`)),
            this.timeoutMs,
          );
        }),
      ]);
      this.set(true, undefined);
      return true;
    } catch (error) {
      this.set(false, error instanceof Error ? error : new Error(String(error)));
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  private set(up: boolean, error: Error | undefined): void {
    this.failures = up ? 0 : this.failures + 1;
    if (up === this.up) return;
    this.up = up;
    this.lastChange = Date.now();
    this.options.onChange?.(up, error);
    if (up) {
      for (const w of this.waiters) w();
      this.waiters.clear();
    }
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.check().then((ok) => {
        const backoff = Math.min(this.maxBackoffMs, this.minBackoffMs * 2 ** Math.max(0, this.failures - 1));
        this.schedule(ok ? this.intervalMs : backoff);
      });
    }, delayMs);
    this.timer.unref();
  }
}
