import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  JobQueue,
  JobRunner,
  exponentialBackoff,
  oncePerCluster,
  retryLater,
} from '../../infrastructure/jobs';
import type { Logger } from '../../infrastructure/logging/logger';
import { addDays, businessDayOf, wallClock } from './business-day';
import type { IntakeResult } from './intake';
import type { Reconciliation } from './reconciliation';
import { RunInProgressError } from './runs.repository';

/** The advisory lock that lets one node of the cluster plan a round of the nightly cycle. */
export const RECON_CYCLE_LOCK = 7_412_012;
export const RUN_JOB = 'recon.run';
export const FETCH_JOB = 'recon.fetch-biller-file';
/** The recurring job that plans the cycle's steps. */
export const RECON_PLAN_JOB = 'recon.plan';
/** Days looked back: a cluster that was down over a night catches up on the nights it missed. */
const CATCH_UP_DAYS = 2;

interface RunPayload {
  readonly businessDate: string;
  readonly partnerId: string | null;
}
interface FetchPayload {
  readonly businessDate: string;
  readonly billerId: string;
  readonly url: string;
}

/**
 * The nightly cycle, once per cluster. Planning is a recurring job (one round per period across the
 * cluster, leased), and a round holds an advisory lock besides, so a tick made by hand never plans
 * alongside it; the planner looks at each partner's Operational Schedule and each biller's posting-file configuration and enqueues
 * the steps now due for the business day just ended (T+1 fetch of biller files, the match at each
 * partner's time, and a full run at the last partner's time for biller rows no partner names). Each
 * step is a durable job with a dedupe key per day, so it is done once whichever node, and whatever
 * node dies, runs it; the runners of every node share the jobs by lease.
 */
export class ReconCycle {
  private readonly queue: JobQueue;
  readonly runner: JobRunner;

  constructor(
    private readonly recon: Reconciliation,
    private readonly log: Logger,
    private readonly now: () => Date = () => new Date(),
    owner?: string,
  ) {
    this.queue = new JobQueue(now);
    this.runner = new JobRunner(recon.db, log, { now, batch: 2, ...(owner !== undefined ? { owner } : {}) });
    this.runner.register<RunPayload>(
      RUN_JOB,
      { maxAttempts: 20, backoffMs: exponentialBackoff(30_000, 600_000), leaseMs: 30 * 60_000 },
      async (job) => {
        try {
          const run = await this.recon.runner.run({
            businessDate: job.payload.businessDate,
            ...(job.payload.partnerId !== null ? { partnerId: job.payload.partnerId } : {}),
            trigger: 'schedule',
            actor: 'system:recon-cycle',
          });
          this.log.info(
            { run: run.id, businessDate: run.businessDate, counts: run.counts },
            'nightly reconciliation run done',
          );
        } catch (error) {
          if (error instanceof RunInProgressError) return retryLater(error.message);
          throw error;
        }
      },
    );
    this.runner.register<FetchPayload>(
      FETCH_JOB,
      { maxAttempts: 12, backoffMs: exponentialBackoff(60_000, 900_000) },
      async (job) => {
        const result = await this.fetchBillerFile(job.payload);
        if (result.outcome === 'refused') {
          this.log.error(
            {
              biller: job.payload.billerId,
              businessDate: job.payload.businessDate,
              problems: result.problems.slice(0, 20),
              count: result.problemCount,
            },
            'biller posting file refused',
          );
        }
      },
    );
  }

  /**
   * Plans once per cluster every `everyMs` (a recurring job on this node's runner, RECON_PLAN_JOB)
   * and runs the steps it enqueues, sharing them with the other nodes' runners.
   */
  start(everyMs: number): void {
    this.runner.every(RECON_PLAN_JOB, { everyMs }, async () => {
      await this.tick().catch((error: unknown) => {
        this.log.error({ err: error }, 'reconciliation cycle tick failed');
        throw error;
      });
    });
    this.runner.start(Math.max(250, Math.min(everyMs, 5_000)));
  }

  async stop(): Promise<void> {
    await this.runner.stop();
  }

  /** One planning round (on the node that holds the lock); answers the jobs it enqueued, or undefined when another node planned. */
  async tick(): Promise<string[] | undefined> {
    const now = this.now();
    const tz = this.recon.timeZone;
    const partners = await this.recon.configs.partners();
    const billers = await this.recon.configs.allBillers();
    return oncePerCluster(this.recon.db, RECON_CYCLE_LOCK, async (tx) => {
      const enqueued: string[] = [];
      const today = businessDayOf(now, tz);
      for (let back = CATCH_UP_DAYS; back >= 1; back -= 1) {
        const day = addDays(today, -back);
        const next = addDays(day, 1);
        for (const b of billers) {
          const fetch = b.postingFile.fetch;
          if (fetch === undefined || now < wallClock(next, fetch.at, tz)) continue;
          const key = `recon:fetch:${b.billerId}:${day}`;
          const payload: FetchPayload = {
            businessDate: day,
            billerId: b.billerId,
            url: fetch.url.replace('{date}', day),
          };
          if (await this.queue.enqueue(tx, { kind: FETCH_JOB, dedupeKey: key, payload })) enqueued.push(key);
        }
        let last: Date | undefined;
        for (const p of partners) {
          const at = wallClock(next, p.recon.cycle.matchAt, tz);
          if (last === undefined || at > last) last = at;
          if (now < at) continue;
          const key = `recon:run:${day}:${p.partnerId}`;
          const payload: RunPayload = { businessDate: day, partnerId: p.partnerId };
          if (
            await this.queue.enqueue(tx, { kind: RUN_JOB, dedupeKey: key, orderingKey: 'recon', payload })
          ) {
            enqueued.push(key);
          }
        }
        if (last !== undefined && now >= last) {
          const key = `recon:run:${day}:all`;
          const payload: RunPayload = { businessDate: day, partnerId: null };
          if (
            await this.queue.enqueue(tx, { kind: RUN_JOB, dedupeKey: key, orderingKey: 'recon', payload })
          ) {
            enqueued.push(key);
          }
        }
      }
      return enqueued;
    });
  }

  /** Fetches a biller's posting file (streamed to a temporary file) and takes it in. */
  async fetchBillerFile(p: FetchPayload): Promise<IntakeResult> {
    const res = await fetch(p.url, { signal: AbortSignal.timeout(120_000) });
    if (res.status !== 200 || res.body === null) throw new Error(`GET ${p.url} answered ${res.status}`);
    const dir = mkdtempSync(join(tmpdir(), 'billgate-recon-fetch-'));
    try {
      const file = join(dir, `${p.billerId}-${p.businessDate}.csv`);
      await pipeline(
        Readable.fromWeb(res.body as Parameters<typeof Readable.fromWeb>[0]),
        createWriteStream(file),
      );
      return await this.recon.intake.ingest({
        path: file,
        source: 'biller',
        sourceId: p.billerId,
        businessDate: p.businessDate,
        receivedVia: 'scheduled-fetch',
        receivedBy: 'system:recon-cycle',
        fileName: `${p.billerId}-${p.businessDate}.csv`,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
