import type { KeyValueCache } from './cache';

interface Entry {
  value: string;
  expiresAt: number;
}

/** In-process TTL cache for a single node. Expired entries are dropped on read and by a periodic sweep. */
export class MemoryCache implements KeyValueCache {
  readonly kind = 'memory' as const;
  private readonly entries = new Map<string, Entry>();
  private readonly handlers = new Map<string, Set<(message: string) => void>>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly now: () => number = Date.now,
    sweepEveryMs = 30_000,
  ) {
    this.sweeper = setInterval(() => this.sweep(), sweepEveryMs);
    this.sweeper.unref();
  }

  get(key: string): Promise<string | undefined> {
    return Promise.resolve(this.getSync(key));
  }

  getSync(key: string): string | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: string, ttlMs: number): Promise<void> {
    this.setSync(key, value, ttlMs);
    return Promise.resolve();
  }

  setSync(key: string, value: string, ttlMs: number): void {
    if (ttlMs <= 0) return;
    this.entries.set(key, { value, expiresAt: this.now() + ttlMs });
  }

  delete(keys: readonly string[]): Promise<void> {
    for (const key of keys) this.entries.delete(key);
    return Promise.resolve();
  }

  clear(): void {
    this.entries.clear();
  }

  ping(): Promise<boolean> {
    return Promise.resolve(true);
  }

  publish(channel: string, message: string): Promise<void> {
    for (const handler of this.handlers.get(channel) ?? []) handler(message);
    return Promise.resolve();
  }

  subscribe(channel: string, handler: (message: string) => void): Promise<void> {
    let set = this.handlers.get(channel);
    if (set === undefined) {
      set = new Set();
      this.handlers.set(channel, set);
    }
    set.add(handler);
    return Promise.resolve();
  }

  get size(): number {
    return this.entries.size;
  }

  close(): Promise<void> {
    clearInterval(this.sweeper);
    this.entries.clear();
    this.handlers.clear();
    return Promise.resolve();
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }
}
