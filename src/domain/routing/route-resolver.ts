import type { KeyValueCache } from '../../infrastructure/cache/cache';
import { MemoryCache } from '../../infrastructure/cache/memory-cache';
import type { Logger } from '../../infrastructure/logging/logger';
import type { Metrics } from '../../infrastructure/metrics/metrics';
import { routeCacheKey, type Route, type RouteKey } from './route';
import type { RoutingRulesReader } from './routing-rules.repository';

const ROUTE_INVALIDATION_CHANNEL = 'routing:invalidate';

export interface RouteResolverOptions {
  readonly ttlMs: number;
  readonly negativeTtlMs: number;
  /**
   * After a write-through, the same keys are written through once more this much later: a node
   * that read SQL just before the commit may have put the old answer into the shared cache after
   * the first write-through. Default 250 ms (well inside the one-second visibility promise).
   */
  readonly settleMs?: number;
  /**
   * How often the shared cache is pinged. Local copies are only trusted while invalidations can
   * reach this node, and a node answering from its local copy would not otherwise notice that Redis
   * is down or stalled. A failed ping turns lookups to SQL; a good one after failures heals. Default 500 ms.
   */
  readonly heartbeatMs?: number;
}

const NO_ROUTE = 'null';

/**
 * Route lookups: a local copy on this node, then the shared cache (Redis), then SQL.
 *
 * The local copy is only trusted while invalidations can reach it: when the shared cache is Redis
 * and Redis is failing, lookups go straight to SQL (a flip on another node could not be heard), and
 * the local copy is dropped when Redis comes back.
 */
export class RouteResolver {
  private readonly local = new MemoryCache();
  private sharedHealthy = true;
  /**
   * Bumped on every invalidation this node hears or makes. A lookup that read SQL while an
   * invalidation happened does not cache what it read: it may be the answer from before the commit.
   */
  private epoch = 0;
  /** Keys written through while the shared cache was failing: written again once it is back. */
  private readonly unsynced = new Map<string, RouteKey>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private heartbeat: NodeJS.Timeout | undefined;
  private pinging = false;
  private closed = false;

  constructor(
    private readonly reader: RoutingRulesReader,
    private readonly shared: KeyValueCache,
    private readonly options: RouteResolverOptions,
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {}

  /** Subscribes to cross-node invalidations. Call once at start-up. */
  async start(): Promise<void> {
    if (this.shared.kind === 'memory') return;
    await this.shared.subscribe(ROUTE_INVALIDATION_CHANNEL, (message) => {
      this.metrics.routeInvalidations.inc({ direction: 'received' });
      this.dropLocal(message);
    });
    this.heartbeat = setInterval(() => this.beat(), this.options.heartbeatMs ?? 500);
    this.heartbeat.unref();
  }

  private beat(): void {
    if (this.pinging || this.closed) return;
    this.pinging = true;
    void this.shared
      .ping()
      .catch(() => false)
      .then((ok) => {
        if (this.closed) return;
        if (ok && !this.sharedHealthy) this.markSharedRecovered();
        else if (!ok && this.sharedHealthy)
          this.sharedUnhealthy(new Error('shared cache did not answer a ping'));
      })
      .finally(() => {
        this.pinging = false;
      });
  }

  markSharedRecovered(): void {
    if (!this.sharedHealthy) this.log.info('shared route cache is back; local copies dropped');
    this.sharedHealthy = true;
    this.epoch += 1;
    this.local.clear();
    if (this.unsynced.size > 0 && !this.closed) {
      const keys = [...this.unsynced.values()];
      this.unsynced.clear();
      this.refresh(keys).catch((error: unknown) =>
        this.log.warn({ err: error }, 'route write-through after recovery failed'),
      );
    }
  }

  /** True while lookups are answered from SQL because the shared cache is failing. */
  get degraded(): boolean {
    return !this.sharedHealthy;
  }

  async resolve(key: RouteKey): Promise<Route | undefined> {
    const cacheKey = routeCacheKey(key);

    if (this.shared.kind === 'memory') {
      const hit =
        this.shared instanceof MemoryCache ? this.shared.getSync(cacheKey) : await this.shared.get(cacheKey);
      if (hit !== undefined) {
        this.metrics.routeLookups.inc({ source: 'local' });
        return decode(hit);
      }
      const epoch = this.epoch;
      const route = await this.reader.findRoute(key);
      this.metrics.routeLookups.inc({ source: 'sql' });
      if (epoch === this.epoch) await this.shared.set(cacheKey, encode(route), this.ttlFor(route));
      return route;
    }

    if (this.sharedHealthy) {
      const localHit = this.local.getSync(cacheKey);
      if (localHit !== undefined) {
        this.metrics.routeLookups.inc({ source: 'local' });
        return decode(localHit);
      }
      try {
        const epoch = this.epoch;
        const sharedHit = await this.shared.get(cacheKey);
        if (sharedHit !== undefined) {
          this.metrics.routeLookups.inc({ source: 'shared' });
          const route = decode(sharedHit);
          if (epoch === this.epoch) this.local.setSync(cacheKey, sharedHit, this.ttlFor(route));
          return route;
        }
        const route = await this.reader.findRoute(key);
        this.metrics.routeLookups.inc({ source: 'sql' });
        if (epoch === this.epoch) {
          const encoded = encode(route);
          await this.shared.set(cacheKey, encoded, this.ttlFor(route));
          if (epoch === this.epoch) this.local.setSync(cacheKey, encoded, this.ttlFor(route));
        }
        return route;
      } catch (error) {
        this.sharedUnhealthy(error);
      }
    }
    this.metrics.routeLookups.inc({ source: 'fallback' });
    return this.reader.findRoute(key);
  }

  /**
   * Write-through after an ops change has committed: the fresh answers go into the shared cache, and
   * every node (this one included) is told to drop its local copies of these keys.
   */
  async refresh(keys: readonly RouteKey[], settle = true): Promise<void> {
    if (keys.length === 0) return;
    const cacheKeys: string[] = [];
    this.epoch += 1;
    for (const key of keys) {
      const cacheKey = routeCacheKey(key);
      cacheKeys.push(cacheKey);
      const route = await this.reader.findRoute(key);
      if (this.shared.kind === 'redis' && !this.sharedHealthy) {
        this.unsynced.set(cacheKey, key);
        continue;
      }
      try {
        await this.shared.set(cacheKey, encode(route), this.ttlFor(route));
      } catch (error) {
        this.unsynced.set(cacheKey, key);
        this.sharedUnhealthy(error);
      }
    }
    this.dropLocal(cacheKeys.join('\n'));
    if (this.shared.kind === 'redis') {
      try {
        await this.shared.publish(ROUTE_INVALIDATION_CHANNEL, cacheKeys.join('\n'));
        this.metrics.routeInvalidations.inc({ direction: 'published' });
      } catch (error) {
        this.sharedUnhealthy(error);
      }
      if (settle) this.later(this.options.settleMs ?? 250, () => this.refresh(keys, false));
    } else {
      this.metrics.routeInvalidations.inc({ direction: 'published' });
    }
  }

  private dropLocal(message: string): void {
    this.epoch += 1;
    void this.local.delete(message.split('\n'));
  }

  private sharedUnhealthy(error: unknown): void {
    if (this.sharedHealthy) {
      this.log.warn({ err: error }, 'shared route cache failing; routing from SQL until it recovers');
    }
    this.sharedHealthy = false;
    this.epoch += 1;
    this.local.clear();
  }

  private later(ms: number, task: () => Promise<void>): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.closed) return;
      task().catch((error: unknown) => this.log.warn({ err: error }, 'route settle refresh failed'));
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }

  private ttlFor(route: Route | undefined): number {
    return route === undefined ? this.options.negativeTtlMs : this.options.ttlMs;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.local.close();
  }
}

function encode(route: Route | undefined): string {
  return route === undefined ? NO_ROUTE : JSON.stringify(route);
}

function decode(value: string): Route | undefined {
  return value === NO_ROUTE ? undefined : (JSON.parse(value) as Route);
}
