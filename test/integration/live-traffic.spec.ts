import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { readTraffic, TrafficWindow, type TrafficSnapshot } from '../../src/domain/ops-views/live-traffic';
import { openTestDatabase } from '../support/database';

/*
 * The Today page's traffic window on a real database: what it keeps between reads and re-reads
 * (the last seconds, and the whole window now and then) must add up to what one full read says.
 */

type Handle = Awaited<ReturnType<typeof openTestDatabase>>;
let h: Handle;
const T0 = Date.now();

beforeAll(async () => {
  h = await openTestDatabase();
  await sql`insert into partners (id, name, kind, payer_types) values ('p-live', 'p', 'mfs', '{mfs-user}')`.execute(
    h.db,
  );
});
afterAll(async () => {
  await h?.dispose();
});

async function payment(o: {
  at: number;
  status?: string;
  reason?: string;
  amount?: number;
  lane?: string;
  latencyMs?: number;
}): Promise<string> {
  const id = randomUUID();
  const created = new Date(o.at);
  const status = o.status ?? 'APPROVED';
  await sql`
    insert into payments (id, partner_id, lane, protocol, payer_type, bill_type, bill_reference, amount,
      currency, payer_kind, payer_id, partner_reference, idempotency_key, status, reason_code,
      received_at, created_at, updated_at)
    values (${id}, 'p-live', ${o.lane ?? 'http-plain'}, 'rest', 'mfs-user', 'WATER', 'B-1', ${o.amount ?? 1000},
      'BDT', 'wallet', 'w', ${id}, ${id}, ${status}, ${o.reason ?? status}, ${created}, ${created},
      ${new Date(o.at + (o.latencyMs ?? 40))})`.execute(h.db);
  return id;
}

/** What both reads must agree on (the time of the read aside). */
function figures(s: TrafficSnapshot): Omit<TrafficSnapshot, 'at' | 'waiting'> & { waiting: unknown } {
  const { at: _at, waiting, ...rest } = s;
  return { ...rest, waiting: waiting.map((w) => ({ state: w.state, count: w.count })) };
}

it('adds up, read after read, to what one full read of the window says', async () => {
  for (let i = 0; i < 40; i += 1)
    await payment({ at: T0 - 20 * 60_000 + i * 13_000, lane: i % 3 ? 'a' : 'b' });
  await payment({ at: T0 - 5 * 60_000, status: 'DECLINED', reason: 'BILLER_DECLINED' });
  await payment({ at: T0 - 45 * 60_000 }); // before the window
  const window = new TrafficWindow({ graceMs: 15_000, fullEveryMs: 60_000 });
  const first = await window.read(h.db, new Date(T0));
  expect(first.total).toBe(41);
  expect(first.declinesByReason).toEqual([{ reason: 'BILLER_DECLINED', count: 1 }]);
  expect(figures(first)).toEqual(figures(await readTraffic(h.db, new Date(T0))));

  // Ten seconds on: new payments, one declined, one waiting; read again without a full read.
  await payment({ at: T0 + 2_000, amount: 2550 });
  await payment({ at: T0 + 4_000, status: 'DECLINED', reason: 'INSUFFICIENT_FUNDS' });
  const pending = await payment({ at: T0 + 6_000, status: 'PENDING', reason: 'BILLER_TIMEOUT' });
  const second = await window.read(h.db, new Date(T0 + 10_000));
  expect(second.total).toBe(44);
  expect(second.approvedMinorByCurrency).toEqual({ BDT: String(40 * 1000 + 2550) });
  expect(second.waiting).toEqual([expect.objectContaining({ state: 'PENDING', count: 1 })]);
  expect(figures(second)).toEqual(figures(await readTraffic(h.db, new Date(T0 + 10_000))));

  // Read again at +30 s (from 15 s before the last read: the pending payment is read again), then
  // it is resolved, and its second has left the grace of the next read: seen at the next full read.
  expect((await window.read(h.db, new Date(T0 + 30_000))).waiting).toHaveLength(1);
  await sql`update payments set status = 'APPROVED', reason_code = 'APPROVED' where id = ${pending}`.execute(
    h.db,
  );
  const stale = await window.read(h.db, new Date(T0 + 50_000));
  expect(stale.approved).toBe(second.approved);
  expect(stale.waiting).toEqual([]);
  const refreshed = await window.read(h.db, new Date(T0 + 61_000));
  expect(refreshed.approved).toBe(second.approved + 1);
  expect(figures(refreshed)).toEqual(figures(await readTraffic(h.db, new Date(T0 + 61_000))));

  // A window left unread for a while reads everything since its last read.
  await payment({ at: T0 + 90_000, amount: 700 });
  const resumed = await window.read(h.db, new Date(T0 + 106_000));
  expect(resumed.total).toBe(refreshed.total + 1);
  expect(figures(resumed)).toEqual(figures(await readTraffic(h.db, new Date(T0 + 106_000))));

  // Half an hour on, the early payments have left the window.
  const later = await window.read(h.db, new Date(T0 + 12 * 60_000));
  expect(later.total).toBe(
    resumed.total - 40 + [...Array(40).keys()].filter((i) => i * 13_000 >= 2 * 60_000).length,
  );
  expect(figures(later)).toEqual(figures(await readTraffic(h.db, new Date(T0 + 12 * 60_000))));
});

it('takes latency percentiles over the latest answered payments only', async () => {
  const window = new TrafficWindow();
  const now = T0 + 20 * 60_000;
  for (let i = 0; i < 10; i += 1) await payment({ at: now - 60_000 + i * 1000, latencyMs: 100 });
  const s = await window.read(h.db, new Date(now));
  expect(s.latencyMs.p50).toBe(100);
  expect(s.latencyMs.p99).toBe(100);
});
