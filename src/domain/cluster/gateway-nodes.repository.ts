import { sql } from 'kysely';
import type { Executor } from '../db';

export interface GatewayNodeRow {
  readonly id: string;
  readonly host: string;
  readonly pid: number;
  readonly heartbeatAt: Date;
  readonly leaseUntil: Date;
  readonly stoppedAt: Date | null;
}

/**
 * The gateway_nodes table. Lease times are the database's clock (now()), never a node's: the sweep
 * that compares them runs on another node, whose clock may disagree.
 */
export class GatewayNodesRepository {
  async register(
    db: Executor,
    node: { id: string; host: string; pid: number },
    leaseMs: number,
  ): Promise<void> {
    await db
      .insertInto('gateway_nodes')
      .values({
        id: node.id,
        host: node.host,
        pid: node.pid,
        lease_until: sql<Date>`now() + make_interval(secs => ${leaseMs / 1000})`,
      })
      .execute();
  }

  /** Extends the lease from now; false when the node's row is gone (it must register again). */
  async renew(db: Executor, id: string, leaseMs: number): Promise<boolean> {
    const row = await db
      .updateTable('gateway_nodes')
      .set({
        heartbeat_at: sql<Date>`now()`,
        lease_until: sql<Date>`now() + make_interval(secs => ${leaseMs / 1000})`,
      })
      .where('id', '=', id)
      .where('stopped_at', 'is', null)
      .returning('id')
      .executeTakeFirst();
    return row !== undefined;
  }

  /** A node stopping cleanly gives its lease up, so nothing of it waits for the lease to run out. */
  async release(db: Executor, id: string): Promise<void> {
    await db
      .updateTable('gateway_nodes')
      .set({ lease_until: sql<Date>`now()`, stopped_at: sql<Date>`now()` })
      .where('id', '=', id)
      .execute();
  }

  async find(db: Executor, id: string): Promise<GatewayNodeRow | undefined> {
    const r = await db.selectFrom('gateway_nodes').selectAll().where('id', '=', id).executeTakeFirst();
    return r === undefined
      ? undefined
      : {
          id: r.id,
          host: r.host,
          pid: r.pid,
          heartbeatAt: r.heartbeat_at,
          leaseUntil: r.lease_until,
          stoppedAt: r.stopped_at,
        };
  }

  /** Forgets nodes whose lease ended long ago and that hold no key in flight any more. */
  async purgeGone(db: Executor, olderThanHours: number): Promise<number> {
    const res = await db
      .deleteFrom('gateway_nodes as n')
      .where('n.lease_until', '<', sql<Date>`now() - make_interval(hours => ${olderThanHours})`)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('idempotency_keys as k')
              .select('k.key')
              .whereRef('k.node_id', '=', 'n.id')
              .where('k.state', '=', 'in_flight'),
          ),
        ),
      )
      .executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}
