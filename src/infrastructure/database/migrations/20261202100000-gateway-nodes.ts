import type { Kysely } from 'kysely';
import { runSqlScript } from '../sql-script';

/*
 * Gateway nodes and the lease each holds on the requests it has in flight. A node renews its lease
 * by heartbeat; when a node dies (kill -9, a host lost), its lease runs out and another node's
 * housekeeping sweep recovers its in-flight idempotency keys, seconds after the death instead of
 * after a fixed timeout that must outlast the slowest live request.
 *
 * An in-flight key names its node through a column default read from the session setting
 * `billgate.node_id`, which each node sets on every connection it opens: every path that claims a
 * key (the transactional one and the batched writers' statements) records its node without having
 * to pass it along, and a row written by a session that set nothing (a tool, an older node) gets
 * null and falls back to the fixed timeout.
 */

export async function up(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(
    db,
    `
    create table gateway_nodes (
      id text primary key,
      host text not null,
      pid integer not null,
      started_at timestamptz not null default now(),
      heartbeat_at timestamptz not null default now(),
      lease_until timestamptz not null,
      stopped_at timestamptz
    );
    create index gateway_nodes_lease on gateway_nodes (lease_until);
    alter table idempotency_keys
      add column node_id text default nullif(current_setting('billgate.node_id', true), '');
    create index idempotency_keys_in_flight_node on idempotency_keys (node_id) where state = 'in_flight';
  `,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(
    db,
    `
    drop index if exists idempotency_keys_in_flight_node;
    alter table idempotency_keys drop column if exists node_id;
    drop table if exists gateway_nodes;
  `,
  );
}
