import { Redis } from 'ioredis';
import type { KeyValueCache } from './cache';

export interface RedisCacheOptions {
  readonly url: string;
  readonly keyPrefix: string;
  /** A command slower than this counts as a failure, so callers fall back instead of waiting. */
  readonly commandTimeoutMs?: number;
  readonly onError?: (error: Error) => void;
}

/**
 * Redis behind the cache interface. It never queues commands while disconnected: a down Redis must
 * turn into an immediate fallback to SQL, not into requests piling up behind a reconnect.
 */
export class RedisCache implements KeyValueCache {
  readonly kind = 'redis' as const;
  private readonly client: Redis;
  private subscriber: Redis | undefined;
  private readonly handlers = new Map<string, Set<(message: string) => void>>();

  constructor(private readonly options: RedisCacheOptions) {
    this.client = this.connect();
  }

  private connect(): Redis {
    const client = new Redis(this.options.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: this.options.commandTimeoutMs ?? 200,
      connectTimeout: 1000,
      lazyConnect: false,
      retryStrategy: (times) => Math.min(times * 100, 1000),
    });
    client.on('error', (error: Error) => this.options.onError?.(error));
    return client;
  }

  private k(key: string): string {
    return this.options.keyPrefix + key;
  }

  async get(key: string): Promise<string | undefined> {
    const value = await this.client.get(this.k(key));
    return value ?? undefined;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    if (ttlMs <= 0) return;
    await this.client.set(this.k(key), value, 'PX', ttlMs);
  }

  async delete(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.client.del(...keys.map((key) => this.k(key)));
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.client.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.client.publish(this.k(channel), message);
  }

  async subscribe(channel: string, handler: (message: string) => void): Promise<void> {
    if (this.subscriber === undefined) {
      // A subscribed connection can do nothing else, and it must queue its SUBSCRIBE across
      // reconnects so invalidations resume when Redis comes back.
      this.subscriber = new Redis(this.options.url, {
        connectTimeout: 1000,
        retryStrategy: (times) => Math.min(times * 100, 1000),
      });
      this.subscriber.on('error', (error: Error) => this.options.onError?.(error));
      this.subscriber.on('message', (fullChannel: string, message: string) => {
        const name = fullChannel.slice(this.options.keyPrefix.length);
        for (const h of this.handlers.get(name) ?? []) h(message);
      });
    }
    let set = this.handlers.get(channel);
    if (set === undefined) {
      set = new Set();
      this.handlers.set(channel, set);
      await this.subscriber.subscribe(this.k(channel));
    }
    set.add(handler);
  }

  /** Fired after Redis comes back, so owners can drop copies that may have missed invalidations. */
  onReconnect(handler: () => void): void {
    this.subscriber?.on('ready', handler);
    this.client.on('ready', handler);
  }

  close(): Promise<void> {
    this.client.disconnect();
    this.subscriber?.disconnect();
    return Promise.resolve();
  }
}
