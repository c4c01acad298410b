import type { Db } from '../db';
import type { BillerEndpointRef } from './biller-client';

/**
 * Where each biller endpoint is and how long it may take, kept in memory and reloaded every few
 * seconds. Routes (cached for a minute, possibly in Redis) name an endpoint by id only, so moving a
 * biller to a new address takes effect without waiting for route caches to expire.
 *
 * A payment asks for its endpoint after its posting has committed: a known endpoint is answered from
 * memory and a stale directory is reloaded in the background, so a database that goes away at that
 * moment (a restart, a failover) cannot turn a posted payment into a 500 with its key left in flight.
 * Only an endpoint never seen waits for the database.
 */
export class BillerDirectory {
  private endpoints = new Map<string, BillerEndpointRef>();
  private loadedAt = 0;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly db: Db,
    private readonly refreshMs = 5_000,
  ) {}

  async get(id: string): Promise<BillerEndpointRef | undefined> {
    const known = this.endpoints.get(id);
    if (known === undefined) {
      await this.reload();
      return this.endpoints.get(id);
    }
    if (Date.now() - this.loadedAt > this.refreshMs) {
      // A failed refresh keeps the last good directory; the next request after refreshMs tries again.
      this.reload().catch(() => undefined);
    }
    return known;
  }

  reload(): Promise<void> {
    this.loading ??= this.db
      .selectFrom('biller_endpoints')
      .select(['id', 'url', 'timeout_ms'])
      .execute()
      .then((rows) => {
        this.endpoints = new Map(rows.map((r) => [r.id, { id: r.id, url: r.url, timeoutMs: r.timeout_ms }]));
        this.loadedAt = Date.now();
      })
      .finally(() => {
        this.loading = undefined;
      });
    return this.loading;
  }
}
