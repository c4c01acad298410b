import { sql } from 'kysely';
import { createLogger } from '../../src/infrastructure/logging/logger';
import {
  exponentialBackoff,
  JobQueue,
  JobRunner,
  oncePerCluster,
  retryLater,
  type Job,
} from '../../src/infrastructure/jobs';
import { openTestDatabase } from '../support/database';

/*
 * The durable job primitive on a real database: enqueued in the caller's transaction, each job run
 * once by one of several racing runners, a crashed runner's lease taken over, backoff per kind, a
 * terminal state after the last attempt, ordering keys, and once-per-cluster scheduled work.
 */

let h: Awaited<ReturnType<typeof openTestDatabase>>;
const log = createLogger('silent');
let clock = new Date('2026-12-02T12:00:00Z');
const now = (): Date => clock;
const queue = new JobQueue(now);

beforeAll(async () => {
  h = await openTestDatabase();
});
afterAll(async () => {
  await h?.dispose();
});
beforeEach(async () => {
  await sql`delete from jobs`.execute(h.db);
  clock = new Date('2026-12-02T12:00:00Z');
});

const advance = (ms: number): void => {
  clock = new Date(clock.getTime() + ms);
};
const policy = { maxAttempts: 3, backoffMs: exponentialBackoff(1_000, 60_000), leaseMs: 30_000 };

async function jobRow(kind: string, dedupeKey: string): Promise<Record<string, unknown> | undefined> {
  const { rows } = await sql<Record<string, unknown>>`
    select state, attempts, run_at, last_error from jobs where kind = ${kind} and dedupe_key = ${dedupeKey}`.execute(
    h.db,
  );
  return rows[0];
}

describe('durable jobs', () => {
  it('exists only when the transaction that enqueued it commits, and once per dedupe key', async () => {
    await expect(
      h.db.transaction().execute(async (tx) => {
        await queue.enqueue(tx, { kind: 'test.rollback', dedupeKey: 'a', payload: {} });
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await jobRow('test.rollback', 'a')).toBeUndefined();

    expect(await queue.enqueue(h.db, { kind: 'test.once', dedupeKey: 'k', payload: { n: 1 } })).toBe(true);
    expect(await queue.enqueue(h.db, { kind: 'test.once', dedupeKey: 'k', payload: { n: 2 } })).toBe(false);
    const seen: unknown[] = [];
    const runner = new JobRunner(h.db, log, { now });
    runner.register<{ n: number }>('test.once', policy, (job) => {
      seen.push(job.payload);
      return Promise.resolve();
    });
    expect(await runner.drain()).toBe(1);
    expect(seen).toEqual([{ n: 1 }]);
    expect(await jobRow('test.once', 'k')).toMatchObject({ state: 'done', attempts: 1 });
  });

  it('two runners racing run each job once', async () => {
    for (let i = 0; i < 40; i += 1) {
      await queue.enqueue(h.db, { kind: 'test.race', dedupeKey: String(i), payload: { i } });
    }
    const ran: number[] = [];
    const handler = async (job: Job<{ i: number }>): Promise<void> => {
      ran.push(job.payload.i);
      await new Promise((r) => setTimeout(r, 2));
    };
    const a = new JobRunner(h.db, log, { now, owner: 'a', batch: 5 });
    const b = new JobRunner(h.db, log, { now, owner: 'b', batch: 5 });
    a.register('test.race', policy, handler);
    b.register('test.race', policy, handler);
    const [na, nb] = await Promise.all([a.drain(), b.drain()]);
    expect(na + nb).toBe(40);
    expect([...ran].sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(await queue.counts(h.db, 'test.race')).toEqual({ pending: 0, running: 0, done: 40, dead: 0 });
  });

  it("a crashed runner's job is taken over when its lease runs out, not before", async () => {
    await queue.enqueue(h.db, { kind: 'test.lease', dedupeKey: 'x', payload: {} });
    // Runner "dead" claims the job and never finishes it (its process died).
    const claimed = await queue.claim(h.db, 'dead', ['test.lease'], 10, () => 30_000);
    expect(claimed).toHaveLength(1);

    let runs = 0;
    const survivor = new JobRunner(h.db, log, { now, owner: 'survivor' });
    survivor.register('test.lease', policy, () => {
      runs += 1;
      return Promise.resolve();
    });
    advance(29_000);
    expect(await survivor.runOnce()).toBe(0);
    advance(2_000);
    expect(await survivor.runOnce()).toBe(1);
    expect(runs).toBe(1);
    expect(await jobRow('test.lease', 'x')).toMatchObject({ state: 'done', attempts: 2 });
    // The dead runner's late completion changes nothing.
    expect(await queue.complete(h.db, claimed[0]!, 'dead')).toBe(false);
  });

  it('backs off per kind after failed attempts, then is dead with its reason and the kind told', async () => {
    await queue.enqueue(h.db, { kind: 'test.fail', dedupeKey: 'f', payload: { what: 'w' } });
    const exhausted: string[] = [];
    let calls = 0;
    const runner = new JobRunner(h.db, log, { now });
    runner.register<{ what: string }>(
      'test.fail',
      {
        ...policy,
        onExhausted: async (tx, job, lastError) => {
          // In the same transaction as the dead mark: a row written here commits with it.
          await sql`select 1`.execute(tx);
          exhausted.push(`${job.payload.what}: ${lastError}`);
        },
      },
      () => {
        calls += 1;
        if (calls === 1) return Promise.reject(new Error('biller down'));
        return Promise.resolve(retryLater('still processing'));
      },
    );
    const t0 = clock.getTime();
    expect(await runner.runOnce()).toBe(1);
    expect(await jobRow('test.fail', 'f')).toMatchObject({
      state: 'pending',
      attempts: 1,
      last_error: 'biller down',
      run_at: new Date(t0 + 1_000),
    });
    advance(999);
    expect(await runner.runOnce()).toBe(0);
    advance(1);
    expect(await runner.runOnce()).toBe(1);
    // Second failure: 2 s.
    expect(await jobRow('test.fail', 'f')).toMatchObject({
      state: 'pending',
      attempts: 2,
      run_at: new Date(t0 + 1_000 + 2_000),
    });
    advance(2_000);
    expect(await runner.runOnce()).toBe(1);
    expect(await jobRow('test.fail', 'f')).toMatchObject({
      state: 'dead',
      attempts: 3,
      last_error: 'not yet: still processing',
    });
    expect(exhausted).toEqual(['w: not yet: still processing']);
    advance(3_600_000);
    expect(await runner.runOnce()).toBe(0);
    expect(calls).toBe(3);
  });

  it('runs jobs sharing an ordering key one at a time, in order, even across runners', async () => {
    for (const n of [1, 2, 3]) {
      await queue.enqueue(h.db, { kind: 'test.order', orderingKey: 'payment-1', payload: { n } });
    }
    await queue.enqueue(h.db, { kind: 'test.order', orderingKey: 'payment-2', payload: { n: 9 } });
    const order: number[] = [];
    let failFirst = true;
    const handler = async (job: Job<{ n: number }>): Promise<void> => {
      await new Promise((r) => setTimeout(r, 5));
      if (job.payload.n === 1 && failFirst) {
        failFirst = false;
        throw new Error('first fails once');
      }
      order.push(job.payload.n);
    };
    const a = new JobRunner(h.db, log, { now, owner: 'a' });
    const b = new JobRunner(h.db, log, { now, owner: 'b' });
    a.register('test.order', policy, handler);
    b.register('test.order', policy, handler);
    // First round: 1 (fails) and 9 run; 2 and 3 wait behind 1, even when it is pending its retry.
    await Promise.all([a.runOnce(), b.runOnce()]);
    expect(order).toEqual([9]);
    await Promise.all([a.runOnce(), b.runOnce()]);
    expect(order).toEqual([9]);
    advance(1_000);
    await Promise.all([a.drain(), b.drain()]);
    expect(order).toEqual([9, 1, 2, 3]);
  });

  it('once per cluster: while one node holds the round, another skips it', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    const first = oncePerCluster(h.db, 7_402_900, async () => {
      await held;
      return 'first';
    });
    await new Promise((r) => setTimeout(r, 50));
    // PGlite has one connection: the second transaction would wait behind the first; the skip is a
    // property of PostgreSQL's advisory lock, shown on a real server.
    if (h.kind === 'postgres') {
      expect(await oncePerCluster(h.db, 7_402_900, () => Promise.resolve('second'))).toBeUndefined();
    }
    release();
    expect(await first).toBe('first');
    expect(await oncePerCluster(h.db, 7_402_900, () => Promise.resolve('later'))).toBe('later');
  });
});
