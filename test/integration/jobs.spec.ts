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

  it('a job whose turn in a batch comes after its lease ran out, and was taken over, is not run again', async () => {
    for (const k of ['first', 'second', 'third']) {
      await queue.enqueue(h.db, { kind: 'test.batch-lease', dedupeKey: k, payload: { k } });
    }
    const ran: string[] = [];
    let takenMeanwhile = -1;
    const slow = new JobRunner(h.db, log, { now, owner: 'slow', batch: 3 });
    const other = new JobRunner(h.db, log, { now, owner: 'other' });
    // Each job takes 20 s of a 30 s lease (a slow outside party): the third's turn comes at 40 s,
    // after the lease the whole batch got at claim time, and a free runner has taken it meanwhile.
    slow.register<{ k: string }>('test.batch-lease', policy, async (job) => {
      ran.push(`slow:${job.payload.k}`);
      advance(20_000);
      if (job.payload.k === 'second') takenMeanwhile = await other.runOnce();
    });
    other.register<{ k: string }>('test.batch-lease', policy, (job) => {
      ran.push(`other:${job.payload.k}`);
      return Promise.resolve();
    });
    await slow.runOnce();
    // The second was renewed when its turn came (at 20 s), so only the third was free to take.
    expect(takenMeanwhile).toBe(1);
    expect(ran).toEqual(['slow:first', 'slow:second', 'other:third']);
    expect(await queue.counts(h.db, 'test.batch-lease')).toEqual({
      pending: 0,
      running: 0,
      done: 3,
      dead: 0,
    });
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

  it('a runner asked for concurrency runs a round together (prepared once), still one job per ordering key at a time', async () => {
    for (const key of ['a', 'b', 'c']) {
      for (const n of [1, 2]) {
        await queue.enqueue(h.db, { kind: 'test.together', orderingKey: key, payload: { key, n } });
      }
    }
    const started: string[] = [];
    let inFlight = 0;
    let most = 0;
    const perKey = new Map<string, number>();
    const runner = new JobRunner(h.db, log, { now, owner: 'c', batch: 10, concurrency: 10 });
    const rounds: string[][] = [];
    runner.register<{ key: string; n: number }>(
      'test.together',
      policy,
      async (job) => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        perKey.set(job.payload.key, (perKey.get(job.payload.key) ?? 0) + 1);
        expect(perKey.get(job.payload.key)).toBe(1);
        started.push(`${job.payload.key}${job.payload.n}`);
        await new Promise((r) => setTimeout(r, 30));
        perKey.set(job.payload.key, (perKey.get(job.payload.key) ?? 1) - 1);
        inFlight -= 1;
      },
      {
        // Told the round's jobs once, before any of them runs.
        prepare: async (jobs) => {
          expect(started).toHaveLength(rounds.length * 3);
          rounds.push(jobs.map((j) => `${j.payload.key}${j.payload.n}`).sort());
          await Promise.resolve();
        },
      },
    );
    // The first round holds the first job of each key, run together; the second the rest.
    expect(await runner.runOnce()).toBe(3);
    expect(most).toBe(3);
    expect(await runner.drain()).toBe(3);
    for (const key of ['a', 'b', 'c']) {
      expect(started.filter((s) => s.startsWith(key))).toEqual([`${key}1`, `${key}2`]);
    }
    expect(await queue.counts(h.db, 'test.together')).toMatchObject({ done: 6, pending: 0, running: 0 });
    expect(rounds).toEqual([
      ['a1', 'b1', 'c1'],
      ['a2', 'b2', 'c2'],
    ]);
  });

  it('a handler that knows when to come back sets the wait itself, and work never given up stays pending', async () => {
    await queue.enqueue(h.db, { kind: 'test.after', dedupeKey: 'r', payload: {} });
    const runner = new JobRunner(h.db, log, { now });
    runner.register('test.after', { maxAttempts: Number.POSITIVE_INFINITY, backoffMs: () => 1_000 }, (job) =>
      Promise.resolve(retryLater('core banking down', 45_000 * job.attempt)),
    );
    // Each wait is the handler's (45 s, 90 s, 135 s, ...), never the kind's 1 s backoff, and never dead.
    for (let n = 1; n <= 30; n += 1) {
      expect(await runner.runOnce()).toBe(1);
      advance(45_000 * n - 1);
      expect(await runner.runOnce()).toBe(0);
      advance(1);
    }
    expect(await jobRow('test.after', 'r')).toMatchObject({
      state: 'pending',
      attempts: 30,
      last_error: 'not yet: core banking down',
      run_at: clock,
    });
  });

  it('a recurring job runs once per cluster per period, however many runners there are', async () => {
    const rounds: string[] = [];
    const runners = ['a', 'b', 'c'].map((owner) => {
      const r = new JobRunner(h.db, log, { now, owner });
      r.every('test.every', { everyMs: 10_000, leaseMs: 30_000 }, async () => {
        rounds.push(`${owner}@${clock.toISOString()}`);
        await new Promise((res) => setTimeout(res, 5));
      });
      return r;
    });
    // Ten periods, each runner polling five times a period, all at once.
    // The first round is a period after the row is made, as a timer's would be.
    for (let tick = 0; tick <= 50; tick += 1) {
      await Promise.all(runners.map((r) => r.runOnce()));
      advance(2_000);
    }
    expect(rounds).toHaveLength(10);
    const times = rounds.map((r) => Date.parse(r.split('@')[1]!));
    for (let i = 1; i < times.length; i += 1) expect(times[i]! - times[i - 1]!).toBe(10_000);
    expect(await queue.counts(h.db, 'test.every')).toEqual({ pending: 1, running: 0, done: 0, dead: 0 });
  });

  it('a round whose node died is taken over when its lease runs out; a failing round comes back next period', async () => {
    const survivor = new JobRunner(h.db, log, { now, owner: 'survivor' });
    let calls = 0;
    survivor.every('test.sweep', { everyMs: 5_000, leaseMs: 20_000 }, () => {
      calls += 1;
      return calls === 2 ? Promise.reject(new Error('database hiccup')) : Promise.resolve();
    });
    // The survivor makes the row and runs the first round; the node that dies claims the second and
    // never ends it.
    expect(await survivor.runOnce()).toBe(0);
    advance(5_000);
    expect(await survivor.runOnce()).toBe(1);
    expect(calls).toBe(1);
    advance(5_000);
    expect(await queue.claim(h.db, 'dies', ['test.sweep'], 10, () => 20_000)).toHaveLength(1);
    advance(19_999);
    expect(await survivor.runOnce()).toBe(0);
    advance(1);
    expect(await survivor.runOnce()).toBe(1);
    expect(calls).toBe(2);
    expect(await jobRow('test.sweep', 'test.sweep')).toMatchObject({
      state: 'pending',
      attempts: 2,
      last_error: 'database hiccup',
      run_at: new Date(clock.getTime() + 5_000),
    });
    advance(5_000);
    expect(await survivor.runOnce()).toBe(1);
    expect(await jobRow('test.sweep', 'test.sweep')).toMatchObject({
      state: 'pending',
      attempts: 0,
      last_error: null,
    });
  });

  it('a node started with a shorter period brings the next round forward; a longer one does not delay it', async () => {
    const first = new JobRunner(h.db, log, { now, owner: 'first' });
    first.every('test.period', { everyMs: 60_000 }, () => Promise.resolve());
    expect(await first.runOnce()).toBe(0);
    const t0 = clock.getTime();
    expect(await jobRow('test.period', 'test.period')).toMatchObject({ run_at: new Date(t0 + 60_000) });
    const longer = new JobRunner(h.db, log, { now, owner: 'longer' });
    longer.every('test.period', { everyMs: 600_000 }, () => Promise.resolve());
    expect(await longer.runOnce()).toBe(0);
    expect(await jobRow('test.period', 'test.period')).toMatchObject({ run_at: new Date(t0 + 60_000) });
    const shorter = new JobRunner(h.db, log, { now, owner: 'shorter' });
    shorter.every('test.period', { everyMs: 2_000 }, () => Promise.resolve());
    expect(await shorter.runOnce()).toBe(0);
    expect(await jobRow('test.period', 'test.period')).toMatchObject({ run_at: new Date(t0 + 2_000) });
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
