import { MemoryCache } from '../../infrastructure/cache/memory-cache';
import { createLogger } from '../../infrastructure/logging/logger';
import { Metrics } from '../../infrastructure/metrics/metrics';
import type { Route, RouteKey } from './route';
import { RouteResolver } from './route-resolver';
import type { RoutingRulesReader } from './routing-rules.repository';

const key: RouteKey = { billType: 'ELECTRICITY', payerType: 'mfs-user', partnerId: 'p1' };
const route = (version: number): Route => ({
  ruleId: 'r1',
  version,
  partnerId: 'p1',
  billerEndpoint: { id: 'b', url: 'http://b', timeoutMs: 1000 },
  settlementAccount: { id: 's', currency: 'BDT' },
});

describe('RouteResolver', () => {
  it('does not cache an answer read before a write-through it raced with', async () => {
    let version = 1;
    let releaseSlowRead: (() => void) | undefined;
    let slow = false;
    const reader = {
      findRoute: async (): Promise<Route> => {
        const seen = version;
        if (slow) await new Promise<void>((r) => (releaseSlowRead = r));
        return route(seen);
      },
    } as unknown as RoutingRulesReader;
    const cache = new MemoryCache();
    const resolver = new RouteResolver(
      reader,
      cache,
      { ttlMs: 60_000, negativeTtlMs: 1000 },
      new Metrics(false),
      createLogger('silent'),
    );

    slow = true;
    const racing = resolver.resolve(key); // reads version 1, then stalls
    await new Promise((r) => setImmediate(r));
    slow = false;
    version = 2; // the ops change commits...
    await resolver.refresh([key]); // ...and is written through
    releaseSlowRead?.();
    expect((await racing)?.version).toBe(1);
    // the stale answer did not overwrite the fresh one
    expect((await resolver.resolve(key))?.version).toBe(2);
    await resolver.close();
    await cache.close();
  });
});
