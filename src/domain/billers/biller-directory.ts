import type { KeyValueCache } from '../../infrastructure/cache/cache';
import type { Db } from '../db';
import type { BillerEndpointRef } from './biller-client';
import { BillerEndpointsRepository } from './biller-endpoints.repository';

const BILLERS_CHANGED_CHANNEL = 'billers:changed';

/**
 * Where each biller endpoint is and how long it may take, kept in memory and reloaded every few
 * seconds. Routes (cached for a minute, possibly in Redis) name an endpoint by id only, so moving a
 * biller to a new address takes effect without waiting for route caches to expire.
 *
 * A payment asks for its endpoint after its posting has committed: when the reload fails (the
 * database restarting or failing over at that moment) a known endpoint is answered from the last good
 * directory, so the payment goes on to its biller instead of becoming a 500 with its key left in
 * flight. Only an endpoint never seen needs the database.
 */
export class BillerDirectory {
  private endpoints = new Map<string, BillerEndpointRef>();
  private loadedAt = 0;
  private loading: Promise<void> | undefined;
  private readonly repository: BillerEndpointsRepository;
  private shared: KeyValueCache | undefined;

  constructor(
    db: Db,
    private readonly refreshMs = 5_000,
  ) {
    this.repository = new BillerEndpointsRepository(db);
  }

  /** Hears other nodes' ops changes (Redis pub/sub), so a new address or timeout applies at once. */
  async start(shared: KeyValueCache): Promise<void> {
    this.shared = shared;
    await shared.subscribe(BILLERS_CHANGED_CHANNEL, () => {
      this.loadedAt = 0;
    });
  }

  /** After an ops change has committed: this node reloads now, every other node on its next lookup. */
  async invalidate(): Promise<void> {
    // A load that began before the change committed may bring the old values: wait it out, then load.
    await this.loading?.catch(() => undefined);
    await this.reload();
    await this.shared?.publish(BILLERS_CHANGED_CHANNEL, 'changed');
  }

  async get(id: string): Promise<BillerEndpointRef | undefined> {
    const known = this.endpoints.get(id);
    if (known !== undefined && Date.now() - this.loadedAt <= this.refreshMs) return known;
    try {
      await this.reload();
    } catch (error) {
      if (known === undefined) throw error;
      return known;
    }
    return this.endpoints.get(id);
  }

  reload(): Promise<void> {
    this.loading ??= this.repository
      .list()
      .then((rows) => {
        this.endpoints = new Map(
          rows.map((r) => [
            r.id,
            { id: r.id, url: r.url, timeoutMs: r.timeoutMs, statusWindowMs: r.statusWindowMs },
          ]),
        );
        this.loadedAt = Date.now();
      })
      .finally(() => {
        this.loading = undefined;
      });
    return this.loading;
  }
}
