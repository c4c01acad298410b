/** A shared key-value cache with per-entry TTL: Redis in production, in-process on the embedded default. */
export interface KeyValueCache {
  readonly kind: 'memory' | 'redis';
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  delete(keys: readonly string[]): Promise<void>;
  /** True when the cache answers; readiness reports it. */
  ping(): Promise<boolean>;
  /** Cross-node notifications (Redis pub/sub); in-process delivery on the embedded default. */
  publish(channel: string, message: string): Promise<void>;
  subscribe(channel: string, handler: (message: string) => void): Promise<void>;
  close(): Promise<void>;
}
