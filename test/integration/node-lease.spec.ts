import { sql } from 'kysely';
import { GatewayNodesRepository } from '../../src/domain/cluster/gateway-nodes.repository';
import { NodeLease } from '../../src/domain/cluster/node-lease';
import { IdempotencyRepository } from '../../src/domain/idempotency/idempotency.repository';
import { PaymentsRepository } from '../../src/domain/payments/payments.repository';
import { seedDemoData } from '../../src/demo/demo-data';
import { createLogger } from '../../src/infrastructure/logging/logger';
import { Metrics } from '../../src/infrastructure/metrics/metrics';
import { Housekeeping } from '../../src/pipeline/housekeeping';
import { openTestDatabase } from '../support/database';

/**
 * Issue 10, item 4: a key in flight on a node that died answered 409 for ~128 s (a fixed 120 s
 * timeout + a 30 s tick). Ownership now expires with the node's lease: the sweep recovers a dead
 * node's keys once its lease has run out, and leaves a live node's alone however long they take.
 */
const LEASE_MS = 800;
let h: Awaited<ReturnType<typeof openTestDatabase>>;
const nodes = new GatewayNodesRepository();
const payments = new PaymentsRepository();
const idempotency = new IdempotencyRepository(72);
const leases: NodeLease[] = [];

beforeAll(async () => {
  h = await openTestDatabase({ nodeId: 'node-this' });
  await seedDemoData(h.db, (id) => `http://127.0.0.1:1/${id}`);
});
afterAll(async () => {
  for (const l of leases) await l.stop();
  await h?.dispose();
});

function lease(id: string): NodeLease {
  const l = new NodeLease(h.db, nodes, id, { leaseMs: LEASE_MS, heartbeatMs: 100, host: 'test', pid: 1 });
  leases.push(l);
  return l;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A payment posted and its key in flight on `node` (null: whatever the session's setting gives). */
async function strand(id: string, key: string, node: string | null): Promise<void> {
  const now = new Date();
  await h.db.transaction().execute(async (tx) => {
    await idempotency.begin(tx, { partnerId: 'demo-mfs', scope: 'rest:bill-pay', key }, 'fp', id, now);
    if (node !== null) {
      await tx.updateTable('idempotency_keys').set({ node_id: node }).where('key', '=', key).execute();
    }
    await payments.insert(tx, {
      id,
      partnerId: 'demo-mfs',
      lane: 'http-plain',
      protocol: 'rest',
      payerType: 'mfs-user',
      billType: 'WATER',
      billReference: 'W-1',
      amountMinor: 1000n,
      currency: 'BDT',
      payerKind: 'wallet',
      payerId: '017',
      partnerReference: key,
      idempotencyKey: key,
      state: 'POSTED',
      reasonCode: 'APPROVED',
      route: null,
      origin: {},
      receivedAt: now,
    });
  });
}

async function keyState(key: string): Promise<string | undefined> {
  const row = await h.db
    .selectFrom('idempotency_keys')
    .select('state')
    .where('key', '=', key)
    .executeTakeFirst();
  return row?.state;
}

it('an in-flight key names the node whose session claimed it', async () => {
  await strand('01a30000-0000-7000-8000-000000000001', 'named-1', null);
  const row = await h.db
    .selectFrom('idempotency_keys')
    .select('node_id')
    .where('key', '=', 'named-1')
    .executeTakeFirstOrThrow();
  expect(row.node_id).toBe('node-this');
});

it("recovers a dead node's keys once its lease runs out, never a live node's", async () => {
  const live = lease('node-live');
  await live.start();
  // The dead node registered, claimed a key, and was killed: its lease is never renewed.
  await nodes.register(h.db, { id: 'node-dead', host: 'test', pid: 2 }, LEASE_MS);
  await strand('01a30000-0000-7000-8000-000000000002', 'dead-1', 'node-dead');
  await strand('01a30000-0000-7000-8000-000000000003', 'live-1', 'node-live');
  // The fixed timeout (2 minutes) alone would leave both in flight for minutes.
  const sweep = new Housekeeping(
    h.db,
    idempotency,
    payments,
    120_000,
    new Metrics(false),
    createLogger('silent'),
    undefined,
    live,
  );

  // The live node has not yet held its own lease for a whole period: it recovers nothing.
  expect(live.mayRecoverDeadNodes()).toBe(false);
  expect((await sweep.runOnce()).recovered).toBe(0);

  await sleep(LEASE_MS + 300);
  expect(live.mayRecoverDeadNodes()).toBe(true);
  const swept = await sweep.runOnce();
  expect(swept.recovered).toBe(1);
  expect(await keyState('dead-1')).toBe('completed');
  expect(await payments.findById(h.db, '01a30000-0000-7000-8000-000000000002')).toMatchObject({
    state: 'PENDING',
    reasonCode: 'PROCESSING_INTERRUPTED',
  });
  // The live node keeps its key in flight, lease after lease.
  expect(await keyState('live-1')).toBe('in_flight');
  await sleep(LEASE_MS);
  expect((await sweep.runOnce()).recovered).toBe(0);
  expect(await keyState('live-1')).toBe('in_flight');
});

it('a node stopping cleanly gives up its lease at once', async () => {
  const leaving = new NodeLease(h.db, nodes, 'node-leaving', {
    leaseMs: 60_000,
    heartbeatMs: 10_000,
    host: 'test',
    pid: 3,
  });
  await leaving.start();
  await leaving.stop();
  const row = await nodes.find(h.db, 'node-leaving');
  expect(row?.stoppedAt).not.toBeNull();
  const { rows } = await sql<{
    expired: boolean;
  }>`select lease_until <= now() as expired from gateway_nodes where id = 'node-leaving'`.execute(h.db);
  expect(rows[0]?.expired).toBe(true);
});
