import type { KeyValueCache } from '../../infrastructure/cache/cache';
import { MemoryCache } from '../../infrastructure/cache/memory-cache';
import type { Logger } from '../../infrastructure/logging/logger';
import type { Metrics } from '../../infrastructure/metrics/metrics';
import { routeCacheKey, type Route, type RouteKey } from './route';
import type { RoutingRulesReader } from './routing-rules.repository';

export const ROUTE_INVALIDATION_CHANNEL = 'routing:invalidate';

export interface RouteResolverOptions {
  readonly ttlMs: number;
  readonly negativeTtlMs: number;
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
  }

  markSharedRecovered(): void {
    if (!this.sharedHealthy) this.log.info('shared route cache is back; local copies dropped');
    this.sharedHealthy = true;
    this.local.clear();
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
      const route = await this.reader.findRoute(key);
      this.metrics.routeLookups.inc({ source: 'sql' });
      await this.shared.set(cacheKey, encode(route), this.ttlFor(route));
      return route;
    }

    if (this.sharedHealthy) {
      const localHit = this.local.getSync(cacheKey);
      if (localHit !== undefined) {
        this.metrics.routeLookups.inc({ source: 'local' });
        return decode(localHit);
      }
      try {
        const sharedHit = await this.shared.get(cacheKey);
        if (sharedHit !== undefined) {
          this.metrics.routeLookups.inc({ source: 'shared' });
          this.local.setSync(cacheKey, sharedHit, this.options.ttlMs);
          return decode(sharedHit);
        }
        const route = await this.reader.findRoute(key);
        this.metrics.routeLookups.inc({ source: 'sql' });
        const encoded = encode(route);
        await this.shared.set(cacheKey, encoded, this.ttlFor(route));
        this.local.setSync(cacheKey, encoded, this.ttlFor(route));
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
  async refresh(keys: readonly RouteKey[]): Promise<void> {
    const cacheKeys: string[] = [];
    for (const key of keys) {
      const cacheKey = routeCacheKey(key);
      cacheKeys.push(cacheKey);
      const route = await this.reader.findRoute(key);
      try {
        await this.shared.set(cacheKey, encode(route), this.ttlFor(route));
      } catch (error) {
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
    }
  }

  private dropLocal(message: string): void {
    void this.local.delete(message.split('\n'));
  }

  private sharedUnhealthy(error: unknown): void {
    if (this.sharedHealthy) {
      this.log.warn({ err: error }, 'shared route cache failing; routing from SQL until it recovers');
    }
    this.sharedHealthy = false;
    this.local.clear();
  }

  private ttlFor(route: Route | undefined): number {
    return route === undefined ? this.options.negativeTtlMs : this.options.ttlMs;
  }

  async close(): Promise<void> {
    await this.local.close();
  }
}

function encode(route: Route | undefined): string {
  return route === undefined ? NO_ROUTE : JSON.stringify(route);
}

function decode(value: string): Route | undefined {
  return value === NO_ROUTE ? undefined : (JSON.parse(value) as Route);
}
