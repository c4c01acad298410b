import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../database/schema';

type Executor = Kysely<Database> | Transaction<Database>;

/**
 * Durable jobs: work that must follow a committed change and outlive the node that made it.
 *
 *   queue.enqueue(tx, { kind, dedupeKey?, orderingKey?, payload, runAt? })   inside the caller's transaction
 *   runner.register(kind, policy, handler); runner.start()                   on every node
 *
 * Delivery is at least once: a runner that dies mid-job loses its lease and another runner runs the
 * job again, so a handler must be idempotent (check the state it is about to change, under a lock,
 * and carry the same reference to outside parties every time).
 *
 * A handler returns normally when the job is done, returns `retryLater(reason)` when the work is not
 * possible yet (the outside party is still processing), or throws: both count as a failed attempt,
 * retried after the kind's backoff. After the kind's last attempt the job is `dead` and the kind's
 * `onExhausted` runs in the same transaction (where the owner parks the work for a human).
 */
export interface JobPolicy<P> {
  /** Attempts before the job is dead (at least 1; Infinity for work that is never given up). */
  readonly maxAttempts: number;
  /** Delay before attempt n + 1 after attempt n (n from 1) failed. */
  readonly backoffMs: (attempt: number) => number;
  /** How long a claimed job is left to its runner before another may take it. */
  readonly leaseMs?: number;
  /** Runs in the transaction that marks the job dead, with the last error. */
  readonly onExhausted?: (tx: Transaction<Database>, job: Job<P>, lastError: string) => Promise<void>;
}

export interface NewJob<P> {
  readonly kind: string;
  readonly payload: P;
  /** At most one job per kind and dedupe key, ever: a second enqueue is a no-op. */
  readonly dedupeKey?: string;
  /** Jobs with one ordering key run one at a time, in the order they were enqueued. */
  readonly orderingKey?: string;
  /** Not before this time (default: now). */
  readonly runAt?: Date;
}

export interface Job<P = unknown> {
  readonly id: string;
  readonly kind: string;
  readonly payload: P;
  readonly dedupeKey: string | null;
  readonly orderingKey: string | null;
  /** This attempt's number, from 1. */
  readonly attempt: number;
}

export type JobState = 'pending' | 'running' | 'done' | 'dead';

/**
 * A handler's answer meaning "not yet": counted as an attempt, retried after the backoff, or after
 * `afterMs` when the work knows better (an outside party said when, or the owner keeps its own schedule).
 */
export interface RetryLater {
  readonly retryLater: string;
  readonly afterMs?: number;
}

export function retryLater(reason: string, afterMs?: number): RetryLater {
  return afterMs === undefined ? { retryLater: reason } : { retryLater: reason, afterMs };
}

const DEFAULT_LEASE_MS = 60_000;

export class JobQueue {
  constructor(private readonly now: () => Date = () => new Date()) {}

  /** Records a job in the caller's transaction. Answers false when its dedupe key was already used. */
  async enqueue<P>(tx: Executor, job: NewJob<P>): Promise<boolean> {
    const now = this.now();
    const { rows } = await sql<{ id: string }>`
      insert into jobs (kind, dedupe_key, ordering_key, payload, state, run_at, attempts, created_at, updated_at)
      values (${job.kind}, ${job.dedupeKey ?? null}, ${job.orderingKey ?? null}, ${JSON.stringify(job.payload)}::jsonb,
              'pending', ${job.runAt ?? now}, 0, ${now}, ${now})
      on conflict (kind, dedupe_key) where dedupe_key is not null do nothing
      returning id`.execute(tx);
    return rows.length === 1;
  }

  /**
   * Leases up to `limit` due jobs of these kinds to `owner`: pending ones whose time has come, and
   * running ones whose runner's lease ran out (it died). Skips rows another runner is claiming, and
   * any job with an earlier unfinished job on its ordering key.
   */
  async claim(
    db: Executor,
    owner: string,
    kinds: readonly string[],
    limit: number,
    leaseMsOf: (kind: string) => number,
  ): Promise<Job[]> {
    if (kinds.length === 0 || limit < 1) return [];
    const now = this.now();
    const leases = JSON.stringify(kinds.map((kind) => ({ kind, ms: leaseMsOf(kind) })));
    const { rows } = await sql<{
      id: string;
      kind: string;
      payload: unknown;
      dedupe_key: string | null;
      ordering_key: string | null;
      attempts: number;
    }>`
      with leases as (select * from jsonb_to_recordset(${leases}::jsonb) as t (kind text, ms int)),
      due as (
        select c.id from jobs c
        where c.kind in (select kind from leases)
          and ((c.state = 'pending' and c.run_at <= ${now}) or (c.state = 'running' and c.lease_until <= ${now}))
          and (c.ordering_key is null or not exists (
            select 1 from jobs e
            where e.ordering_key = c.ordering_key and e.id < c.id and e.state in ('pending', 'running')))
        order by c.run_at, c.id
        limit ${limit}
        for update of c skip locked
      )
      update jobs j set
        state = 'running',
        attempts = j.attempts + 1,
        lease_owner = ${owner},
        lease_until = ${now}::timestamptz + make_interval(secs => l.ms / 1000.0),
        updated_at = ${now}
      from due, leases l
      where j.id = due.id and l.kind = j.kind
      returning j.id, j.kind, j.payload, j.dedupe_key, j.ordering_key, j.attempts`.execute(db);
    return rows
      .map((r) => ({
        id: String(r.id),
        kind: r.kind,
        payload: r.payload,
        dedupeKey: r.dedupe_key,
        orderingKey: r.ordering_key,
        attempt: r.attempts,
      }))
      .sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
  }

  /**
   * Renews a leased job's lease from now, just before its handler runs: a runner claims a batch and
   * runs it in order, so the last of the batch may start after its claim-time lease ran out. False
   * when another runner has taken the job meanwhile; the caller must then leave it alone.
   */
  async renew(db: Executor, job: Job, owner: string, leaseMs: number): Promise<boolean> {
    const now = this.now();
    const res = await db
      .updateTable('jobs')
      .set({ lease_until: new Date(now.getTime() + leaseMs), updated_at: now })
      .where('id', '=', job.id)
      .where('state', '=', 'running')
      .where('lease_owner', '=', owner)
      .executeTakeFirst();
    return res.numUpdatedRows === 1n;
  }

  /** Marks a leased job done. False when the lease was lost meanwhile (another runner has it now). */
  async complete(db: Executor, job: Job, owner: string): Promise<boolean> {
    const now = this.now();
    const res = await db
      .updateTable('jobs')
      .set({ state: 'done', lease_owner: null, lease_until: null, last_error: null, updated_at: now })
      .where('id', '=', job.id)
      .where('state', '=', 'running')
      .where('lease_owner', '=', owner)
      .executeTakeFirst();
    return res.numUpdatedRows === 1n;
  }

  /** Marks leased jobs done in one statement. Answers the ids marked (the others' leases were lost). */
  async completeAll(db: Executor, jobs: readonly Job[], owner: string): Promise<string[]> {
    if (jobs.length === 0) return [];
    const now = this.now();
    const rows = await db
      .updateTable('jobs')
      .set({ state: 'done', lease_owner: null, lease_until: null, last_error: null, updated_at: now })
      .where(
        'id',
        'in',
        jobs.map((j) => j.id),
      )
      .where('state', '=', 'running')
      .where('lease_owner', '=', owner)
      .returning('id')
      .execute();
    return rows.map((r) => String(r.id));
  }

  /**
   * Records a failed attempt: back to pending after the backoff, or dead after the last attempt.
   * Answers the new state, or undefined when the lease was lost meanwhile.
   */
  async fail(
    tx: Transaction<Database>,
    job: Job,
    owner: string,
    error: string,
    policy: Pick<JobPolicy<unknown>, 'maxAttempts' | 'backoffMs'>,
    afterMs?: number,
  ): Promise<'pending' | 'dead' | undefined> {
    const now = this.now();
    const dead = job.attempt >= policy.maxAttempts;
    const wait = afterMs ?? policy.backoffMs(job.attempt);
    const res = await tx
      .updateTable('jobs')
      .set({
        state: dead ? 'dead' : 'pending',
        run_at: dead ? now : new Date(now.getTime() + wait),
        lease_owner: null,
        lease_until: null,
        last_error: error.slice(0, 2_000),
        updated_at: now,
      })
      .where('id', '=', job.id)
      .where('state', '=', 'running')
      .where('lease_owner', '=', owner)
      .executeTakeFirst();
    if (res.numUpdatedRows !== 1n) return undefined;
    return dead ? 'dead' : 'pending';
  }

  /**
   * Ends one round of a recurring job (see JobRunner.every): pending again, due `everyMs` from now.
   * A round that failed keeps counting its attempts (consecutive failures) and says why; one that
   * worked starts the count again. False when the lease was lost meanwhile.
   */
  async nextRound(db: Executor, job: Job, owner: string, everyMs: number, error?: string): Promise<boolean> {
    const now = this.now();
    const res = await db
      .updateTable('jobs')
      .set({
        state: 'pending',
        run_at: new Date(now.getTime() + everyMs),
        attempts: error === undefined ? 0 : job.attempt,
        lease_owner: null,
        lease_until: null,
        last_error: error === undefined ? null : error.slice(0, 2_000),
        updated_at: now,
      })
      .where('id', '=', job.id)
      .where('state', '=', 'running')
      .where('lease_owner', '=', owner)
      .executeTakeFirst();
    return res.numUpdatedRows === 1n;
  }

  /**
   * The one row of a recurring job, made if missing, its first round a period from now (as a timer's
   * would be). A row already there keeps its time, or is
   * brought forward when this period is shorter (a node started with a new setting); a running round
   * is left to its lease.
   */
  async ensureRecurring(db: Executor, kind: string, everyMs: number): Promise<void> {
    const now = this.now();
    const first = new Date(now.getTime() + everyMs);
    await sql`
      insert into jobs (kind, dedupe_key, ordering_key, payload, state, run_at, attempts, created_at, updated_at)
      values (${kind}, ${kind}, null, '{}'::jsonb, 'pending', ${first}, 0, ${now}, ${now})
      on conflict (kind, dedupe_key) where dedupe_key is not null do update set
        state = case when jobs.state = 'running' then jobs.state else 'pending' end,
        run_at = case when jobs.state = 'running' then jobs.run_at else least(jobs.run_at, ${first}) end`.execute(
      db,
    );
  }

  /**
   * Moves a waiting job to another time (the owner made an attempt itself and knows when the next is
   * due). False when it is not waiting (running, done, or never enqueued).
   */
  async reschedule(db: Executor, kind: string, dedupeKey: string, runAt: Date): Promise<boolean> {
    const res = await db
      .updateTable('jobs')
      .set({ run_at: runAt, updated_at: this.now() })
      .where('kind', '=', kind)
      .where('dedupe_key', '=', dedupeKey)
      .where('state', '=', 'pending')
      .executeTakeFirst();
    return res.numUpdatedRows === 1n;
  }

  /**
   * Marks a job done by its dedupe key while nobody runs it: the caller did the work itself right
   * after the commit that enqueued it (the job stays as the durable fallback until then). A runner
   * that claims it meanwhile runs it again, which handlers tolerate (at least once).
   */
  async completePending(db: Executor, kind: string, dedupeKey: string): Promise<boolean> {
    const now = this.now();
    const res = await db
      .updateTable('jobs')
      .set({ state: 'done', last_error: null, updated_at: now })
      .where('kind', '=', kind)
      .where('dedupe_key', '=', dedupeKey)
      .where('state', '=', 'pending')
      .executeTakeFirst();
    return res.numUpdatedRows === 1n;
  }

  /** Gives a dead job (or a done one) a fresh set of attempts from now: a person asked for it. */
  async revive(db: Executor, kind: string, dedupeKey: string): Promise<boolean> {
    const now = this.now();
    const res = await db
      .updateTable('jobs')
      .set({ state: 'pending', attempts: 0, run_at: now, last_error: null, updated_at: now })
      .where('kind', '=', kind)
      .where('dedupe_key', '=', dedupeKey)
      .where('state', 'in', ['dead', 'done'])
      .executeTakeFirst();
    return res.numUpdatedRows === 1n;
  }

  /** One job by its dedupe key, as ops see it: who owns the work, when it is next tried, and why not yet. */
  async find(
    db: Executor,
    kind: string,
    dedupeKey: string,
  ): Promise<
    { state: JobState; attempts: number; runAt: Date; lastError: string | null; updatedAt: Date } | undefined
  > {
    const row = await db
      .selectFrom('jobs')
      .select(['state', 'attempts', 'run_at', 'last_error', 'updated_at'])
      .where('kind', '=', kind)
      .where('dedupe_key', '=', dedupeKey)
      .executeTakeFirst();
    return row === undefined
      ? undefined
      : {
          state: row.state,
          attempts: row.attempts,
          runAt: row.run_at,
          lastError: row.last_error,
          updatedAt: row.updated_at,
        };
  }

  /** Counts of jobs by state for one kind (ops gauges, tests). */
  async counts(db: Executor, kind: string): Promise<Record<JobState, number>> {
    const rows = await db
      .selectFrom('jobs')
      .select(['state', sql<number>`count(*)::int`.as('n')])
      .where('kind', '=', kind)
      .groupBy('state')
      .execute();
    const counts: Record<JobState, number> = { pending: 0, running: 0, done: 0, dead: 0 };
    for (const r of rows) counts[r.state] = r.n;
    return counts;
  }
}

export function leaseMsOf(policy: Pick<JobPolicy<unknown>, 'leaseMs'>): number {
  return policy.leaseMs ?? DEFAULT_LEASE_MS;
}

/**
 * Runs `fn` on one node of the cluster at a time: under a transaction-scoped advisory lock that the
 * other nodes fail to take (they skip this round). For scheduled work that must not run twice at once.
 */
export async function oncePerCluster<T>(
  db: Kysely<Database>,
  lockKey: number,
  fn: (tx: Transaction<Database>) => Promise<T>,
): Promise<T | undefined> {
  return db.transaction().execute(async (tx) => {
    const { rows } = await sql<{ locked: boolean }>`
      select pg_try_advisory_xact_lock(${lockKey}) as locked`.execute(tx);
    if (rows[0]?.locked !== true) return undefined;
    return fn(tx);
  });
}
