import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from '../logging/logger';
import type { Database } from '../database/schema';
import { JobQueue, leaseMsOf, type Job, type JobPolicy, type RetryLater } from './job-queue';

/** Does one job's work; see JobQueue for the contract (idempotent, at least once). */
export type JobHandler<P> = (job: Job<P>) => Promise<void | RetryLater>;

/** Work done once per cluster per period (see JobRunner.every); it may throw, the next round comes anyway. */
export type RecurringHandler = () => Promise<void>;

export interface RecurringPolicy {
  /** From the end of one round to the start of the next. */
  readonly everyMs: number;
  /** How long a round is left to its runner before another node may take it (its node died). */
  readonly leaseMs?: number;
}

/** More about how a kind's jobs are run. */
export interface JobKindOptions<P> {
  /**
   * Runs once per round with the round's jobs of this kind, before any of them: to read or lease what
   * they work on in one statement rather than one each. Its failure is logged; the handlers run anyway.
   */
  readonly prepare?: (jobs: readonly Job<P>[]) => Promise<void>;
}

interface Registered {
  readonly policy: JobPolicy<unknown>;
  readonly handler: JobHandler<unknown>;
  readonly everyMs?: number;
  readonly prepare?: (jobs: readonly Job[]) => Promise<void>;
}

export interface JobRunnerOptions {
  /** Names this runner's leases (default: random per process). */
  readonly owner?: string;
  /** Most jobs claimed per round. */
  readonly batch?: number;
  /**
   * How many of a round's jobs run at once (default 1: one after another). A round never holds two
   * jobs of one ordering key (the claim skips a job with an earlier one unfinished), so running them
   * together keeps each key's order; for kinds that wait on slow outside parties (webhook receivers)
   * and finish within half their lease.
   */
  readonly concurrency?: number;
  readonly now?: () => Date;
}

/**
 * Claims due jobs of the kinds registered on it and runs their handlers, one round at a time. Every
 * node runs one; leases keep two nodes off the same job, and a dead node's leases run out.
 */
export class JobRunner {
  readonly owner: string;
  private readonly kinds = new Map<string, Registered>();
  private readonly queue: JobQueue;
  private readonly batch: number;
  private readonly concurrency: number;
  private readonly now: () => Date;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private recurringEnsured = true;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly log: Logger,
    options: JobRunnerOptions = {},
  ) {
    this.owner = options.owner ?? `runner-${process.pid}-${randomBytes(4).toString('hex')}`;
    this.queue = new JobQueue(options.now);
    this.batch = options.batch ?? 20;
    this.concurrency = Math.max(1, options.concurrency ?? 1);
    this.now = options.now ?? (() => new Date());
  }

  register<P>(
    kind: string,
    policy: JobPolicy<P>,
    handler: JobHandler<P>,
    options: JobKindOptions<P> = {},
  ): void {
    if (this.kinds.has(kind)) throw new Error(`job kind ${kind} registered twice`);
    if (policy.maxAttempts < 1) throw new Error(`job kind ${kind}: maxAttempts must be at least 1`);
    this.kinds.set(kind, {
      policy: policy as JobPolicy<unknown>,
      handler: handler as JobHandler<unknown>,
      ...(options.prepare !== undefined
        ? { prepare: options.prepare as (jobs: readonly Job[]) => Promise<void> }
        : {}),
    });
  }

  /**
   * Registers work done once per cluster every `everyMs`: one job row per kind, leased by whichever
   * runner claims it when due and put back `everyMs` later, whether the round worked or not (a round
   * that fails is logged with its reason on the row; it is never given up). Every node registers it;
   * the lease keeps two nodes from running a round at once, and a node that dies mid-round leaves it
   * to another when its lease runs out.
   */
  every(kind: string, policy: RecurringPolicy, handler: RecurringHandler): void {
    if (this.kinds.has(kind)) throw new Error(`job kind ${kind} registered twice`);
    if (policy.everyMs < 1) throw new Error(`job kind ${kind}: everyMs must be positive`);
    this.kinds.set(kind, {
      policy: {
        maxAttempts: Number.POSITIVE_INFINITY,
        backoffMs: () => policy.everyMs,
        ...(policy.leaseMs !== undefined ? { leaseMs: policy.leaseMs } : {}),
      },
      handler: () => handler(),
      everyMs: policy.everyMs,
    });
    this.recurringEnsured = false;
  }

  /** One round: claims what is due and runs it. Answers how many jobs were run. */
  async runOnce(): Promise<number> {
    if (!this.recurringEnsured) {
      for (const [kind, r] of this.kinds) {
        if (r.everyMs !== undefined) await this.queue.ensureRecurring(this.db, kind, r.everyMs);
      }
      this.recurringEnsured = true;
    }
    const claimedAt = this.now().getTime();
    const jobs = await this.queue.claim(this.db, this.owner, [...this.kinds.keys()], this.batch, (kind) =>
      leaseMsOf(this.kinds.get(kind)?.policy ?? {}),
    );
    for (const [kind, r] of this.kinds) {
      const mine = jobs.filter((j) => j.kind === kind);
      if (r.prepare === undefined || mine.length === 0) continue;
      await r.prepare(mine).catch((error: unknown) => {
        this.log.warn(
          { kind, err: error instanceof Error ? error.message : String(error) },
          'job round prepare failed',
        );
      });
    }
    // Run together, a round's jobs that worked are marked done together at its end (one statement).
    const done: Job[] | undefined = this.concurrency > 1 ? [] : undefined;
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < jobs.length) {
        const job = jobs[next]!;
        next += 1;
        await this.run(job, claimedAt, done);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, jobs.length) }, lane));
    if (done !== undefined && done.length > 0) {
      const completed = new Set(await this.queue.completeAll(this.db, done, this.owner));
      for (const job of done.filter((j) => !completed.has(j.id))) {
        this.log.warn({ job: job.id, kind: job.kind }, 'job finished after its lease was taken over');
      }
    }
    return jobs.length;
  }

  /** Rounds until nothing is due (tests, and draining at start-up). */
  async drain(maxRounds = 100): Promise<number> {
    let total = 0;
    for (let i = 0; i < maxRounds; i += 1) {
      const n = await this.runOnce();
      total += n;
      if (n === 0) break;
    }
    return total;
  }

  start(everyMs = 1_000): void {
    this.timer = setInterval(() => this.tick(), everyMs);
    this.timer.unref();
  }

  /** Runs a round soon (after a commit that enqueued work someone is waiting for). */
  kick(): void {
    setImmediate(() => this.tick());
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  private tick(): void {
    if (this.running !== undefined) return;
    this.running = this.drain(10)
      .catch((error: unknown) => {
        this.log.error({ err: error }, 'job round failed');
        return 0;
      })
      .finally(() => (this.running = undefined));
  }

  private async run(job: Job, claimedAt: number, done: Job[] | undefined): Promise<void> {
    const registered = this.kinds.get(job.kind);
    if (registered === undefined) return;
    // The batch was leased at claim time; a job whose turn came after its lease ran out may have been
    // taken by another runner meanwhile (a refund sent twice, a file loaded twice): renew or skip. In
    // a round run together every job starts at once, with most of its lease left: it is renewed only
    // when less than half is (a kind run so must finish within half its lease).
    const leaseMs = leaseMsOf(registered.policy);
    const fresh = done !== undefined && this.now().getTime() - claimedAt <= leaseMs / 2;
    if (!fresh && !(await this.queue.renew(this.db, job, this.owner, leaseMs))) {
      this.log.warn({ job: job.id, kind: job.kind }, 'job taken over by another runner before its turn');
      return;
    }
    let failure: string | undefined;
    let afterMs: number | undefined;
    try {
      const answer = await registered.handler(job);
      if (answer !== undefined) {
        failure = `not yet: ${answer.retryLater}`;
        afterMs = answer.afterMs;
      }
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
    }
    if (registered.everyMs !== undefined) {
      if (failure !== undefined) {
        this.log.error(
          { kind: job.kind, failures: job.attempt, reason: failure },
          'recurring job round failed',
        );
      }
      if (!(await this.queue.nextRound(this.db, job, this.owner, registered.everyMs, failure))) {
        this.log.warn(
          { job: job.id, kind: job.kind },
          'recurring job round finished after its lease was taken over',
        );
      }
      return;
    }
    if (failure === undefined && done !== undefined) {
      done.push(job);
      return;
    }
    if (failure === undefined) {
      if (!(await this.queue.complete(this.db, job, this.owner))) {
        this.log.warn({ job: job.id, kind: job.kind }, 'job finished after its lease was taken over');
      }
      return;
    }
    const reason = failure;
    const state = await this.db.transaction().execute(async (tx) => {
      const next = await this.queue.fail(tx, job, this.owner, reason, registered.policy, afterMs);
      if (next === 'dead') await registered.policy.onExhausted?.(tx, job, reason);
      return next;
    });
    const fields = { job: job.id, kind: job.kind, attempt: job.attempt, reason };
    if (state === 'dead') this.log.error(fields, 'job gave up after its last attempt');
    else this.log.info(fields, 'job attempt failed; retried later');
  }
}

/** Backoff doubling from `firstMs` to at most `maxMs`. */
export function exponentialBackoff(firstMs: number, maxMs: number): (attempt: number) => number {
  return (attempt) => Math.min(firstMs * 2 ** Math.max(0, attempt - 1), maxMs);
}
