import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from '../logging/logger';
import type { Database } from '../database/schema';
import { JobQueue, leaseMsOf, type Job, type JobPolicy, type RetryLater } from './job-queue';

/** Does one job's work; see JobQueue for the contract (idempotent, at least once). */
export type JobHandler<P> = (job: Job<P>) => Promise<void | RetryLater>;

interface Registered {
  readonly policy: JobPolicy<unknown>;
  readonly handler: JobHandler<unknown>;
}

export interface JobRunnerOptions {
  /** Names this runner's leases (default: random per process). */
  readonly owner?: string;
  /** Most jobs claimed per round. */
  readonly batch?: number;
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
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly log: Logger,
    options: JobRunnerOptions = {},
  ) {
    this.owner = options.owner ?? `runner-${process.pid}-${randomBytes(4).toString('hex')}`;
    this.queue = new JobQueue(options.now);
    this.batch = options.batch ?? 20;
  }

  register<P>(kind: string, policy: JobPolicy<P>, handler: JobHandler<P>): void {
    if (this.kinds.has(kind)) throw new Error(`job kind ${kind} registered twice`);
    if (policy.maxAttempts < 1) throw new Error(`job kind ${kind}: maxAttempts must be at least 1`);
    this.kinds.set(kind, {
      policy: policy as JobPolicy<unknown>,
      handler: handler as JobHandler<unknown>,
    });
  }

  /** One round: claims what is due and runs it. Answers how many jobs were run. */
  async runOnce(): Promise<number> {
    const jobs = await this.queue.claim(this.db, this.owner, [...this.kinds.keys()], this.batch, (kind) =>
      leaseMsOf(this.kinds.get(kind)?.policy ?? {}),
    );
    for (const job of jobs) await this.run(job);
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

  private async run(job: Job): Promise<void> {
    const registered = this.kinds.get(job.kind);
    if (registered === undefined) return;
    let failure: string | undefined;
    try {
      const answer = await registered.handler(job);
      if (answer !== undefined) failure = `not yet: ${answer.retryLater}`;
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
    }
    if (failure === undefined) {
      if (!(await this.queue.complete(this.db, job, this.owner))) {
        this.log.warn({ job: job.id, kind: job.kind }, 'job finished after its lease was taken over');
      }
      return;
    }
    const reason = failure;
    const state = await this.db.transaction().execute(async (tx) => {
      const next = await this.queue.fail(tx, job, this.owner, reason, registered.policy);
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
