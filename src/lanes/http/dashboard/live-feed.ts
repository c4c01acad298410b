import type { Db } from '../../../domain/db';
import { TrafficWindow, type TrafficSnapshot } from '../../../domain/ops-views/live-traffic';
import type { Logger } from '../../../infrastructure/logging/logger';

type Listener = (message: string) => void;

/**
 * One traffic poller per node, running only while at least one dashboard page listens: however many
 * pages are open, the database sees one read of the traffic window per interval (the window keeps
 * what it read, so a read costs the last seconds, not the last half hour), and the update is rendered
 * once and the same message written to every page.
 */
export class LiveFeed {
  private readonly listeners = new Set<Listener>();
  private timer: NodeJS.Timeout | undefined;
  private window: TrafficWindow | undefined;
  private last: { snapshot: TrafficSnapshot; message: string } | undefined;
  private polling = false;

  constructor(
    private readonly db: Db,
    private readonly now: () => Date,
    private readonly log: Logger,
    /** The server-sent event for a snapshot, rendered once per poll. */
    private readonly render: (snapshot: TrafficSnapshot) => string,
    private readonly everyMs = 2_000,
  ) {}

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    if (this.last !== undefined) listener(this.last.message);
    if (this.timer === undefined) {
      this.window = new TrafficWindow();
      void this.poll();
      this.timer = setInterval(() => void this.poll(), this.everyMs);
      this.timer.unref();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  /** The latest snapshot while the feed runs (a page opened meanwhile shows it without a read). */
  latest(): TrafficSnapshot | undefined {
    return this.last?.snapshot;
  }

  get size(): number {
    return this.listeners.size;
  }

  close(): void {
    this.stop();
    this.listeners.clear();
  }

  private stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.window = undefined;
    this.last = undefined;
  }

  private async poll(): Promise<void> {
    const window = this.window;
    if (this.polling || window === undefined) return;
    this.polling = true;
    try {
      const snapshot = await window.read(this.db, this.now());
      // Stopped (or restarted with a new window) while reading: this snapshot belongs to no one.
      if (window !== this.window) return;
      this.last = { snapshot, message: this.render(snapshot) };
      for (const l of this.listeners) l(this.last.message);
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
