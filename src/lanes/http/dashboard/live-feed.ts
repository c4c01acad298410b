import type { Db } from '../../../domain/db';
import { readTraffic, type TrafficSnapshot } from '../../../domain/ops-views/live-traffic';
import type { Logger } from '../../../infrastructure/logging/logger';

type Listener = (snapshot: TrafficSnapshot) => void;

/**
 * One traffic poller per node, running only while at least one dashboard page listens: however many
 * pages are open, the database sees one set of aggregate queries per interval.
 */
export class LiveFeed {
  private readonly listeners = new Set<Listener>();
  private timer: NodeJS.Timeout | undefined;
  private last: TrafficSnapshot | undefined;
  private polling = false;

  constructor(
    private readonly db: Db,
    private readonly now: () => Date,
    private readonly log: Logger,
    private readonly everyMs = 2_000,
  ) {}

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    if (this.last !== undefined) listener(this.last);
    if (this.timer === undefined) {
      void this.poll();
      this.timer = setInterval(() => void this.poll(), this.everyMs);
      this.timer.unref();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.timer !== undefined) {
        clearInterval(this.timer);
        this.timer = undefined;
        this.last = undefined;
      }
    };
  }

  get size(): number {
    return this.listeners.size;
  }

  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.listeners.clear();
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const snapshot = await readTraffic(this.db, this.now());
      this.last = snapshot;
      for (const l of this.listeners) l(snapshot);
    } catch (error) {
      this.log.warn(
        { err: error instanceof Error ? error.message : String(error) },
        'dashboard traffic read failed',
      );
    } finally {
      this.polling = false;
    }
  }
}
