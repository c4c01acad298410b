import type { Db } from '../../../domain/db';
import { TrafficWindow, type TrafficSnapshot } from '../../../domain/ops-views/live-traffic';
import type { Logger } from '../../../infrastructure/logging/logger';

type Listener = (message: string) => void;

/**
 * Most of the time the feed may spend reading: after a poll that took d ms the next waits at least
 * d / POLL_BUDGET, so on a busy database the pages update less often and payments keep the rest.
 */
export const POLL_BUDGET = 0.02;

/**
 * One traffic poller per node, running only while at least one dashboard page listens: however many
 * pages are open, the database sees one read of the traffic window per interval (the window keeps
 * what it read, also across a pause, so a read costs the seconds since the last one, not the last
 * half hour), and the update is rendered once and the same message written to every page.
 */
export class LiveFeed {
  private readonly listeners = new Set<Listener>();
  private readonly window = new TrafficWindow();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private reading = false;
  private last: { snapshot: TrafficSnapshot; message: string } | undefined;

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
    if (!this.running) {
      this.running = true;
      if (!this.reading && this.timer === undefined) void this.poll();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  /** The latest snapshot while the feed runs (a page opened meanwhile shows it without a read). */
  latest(): TrafficSnapshot | undefined {
    return this.running ? this.last?.snapshot : undefined;
  }

  get size(): number {
    return this.listeners.size;
  }

  close(): void {
    this.stop();
    this.listeners.clear();
  }

  private stop(): void {
    this.running = false;
    this.last = undefined;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async poll(): Promise<void> {
    this.timer = undefined;
    if (!this.running) return;
    this.reading = true;
    const started = Date.now();
    try {
      const snapshot = await this.window.read(this.db, this.now());
      if (this.running) {
        this.last = { snapshot, message: this.render(snapshot) };
        for (const l of this.listeners) l(this.last.message);
      }
    } catch (error) {
      this.log.warn(
        { err: error instanceof Error ? error.message : String(error) },
        'dashboard traffic read failed',
      );
    } finally {
      this.reading = false;
    }
    if (!this.running) return;
    const took = Date.now() - started;
    this.timer = setTimeout(() => void this.poll(), Math.max(this.everyMs, took / POLL_BUDGET));
    this.timer.unref();
  }
}
