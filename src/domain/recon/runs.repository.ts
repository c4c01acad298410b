import { sql } from 'kysely';
import type { Executor } from '../db';
import { isUniqueViolation } from '../db';

export type RunTrigger = 'schedule' | 'cli' | 'api';
export type RunState = 'running' | 'done' | 'failed';

export interface ReconRun {
  readonly id: string;
  readonly businessDate: string;
  readonly partnerId: string | null;
  readonly trigger: RunTrigger;
  readonly state: RunState;
  readonly phase: string;
  readonly progress: { readonly done: number; readonly total: number };
  readonly counts: Record<string, unknown>;
  readonly files: unknown[];
  readonly error: string | null;
  readonly startedBy: string;
  readonly startedAt: Date;
  readonly finishedAt: Date | null;
}

/** Another run holds the cluster's one running slot. */
export class RunInProgressError extends Error {
  constructor(readonly running: ReconRun | undefined) {
    super(
      running === undefined
        ? 'a reconciliation run is in progress'
        : `reconciliation run ${running.id} (${running.businessDate}) is in progress`,
    );
    this.name = 'RunInProgressError';
  }
}

/** A running run silent for this long (its node died) is marked failed and its slot freed. */
export const ABANDONED_AFTER_MS = 120_000;

const COLUMNS = [
  'id',
  sql<string>`business_date::text`.as('business_date'),
  'partner_id',
  'trigger',
  'state',
  'phase',
  'progress_done',
  'progress_total',
  'counts',
  'files',
  'error',
  'started_by',
  'started_at',
  'finished_at',
] as const;

interface RunRow {
  id: string;
  business_date: string;
  partner_id: string | null;
  trigger: RunTrigger;
  state: RunState;
  phase: string;
  progress_done: bigint;
  progress_total: bigint;
  counts: Record<string, unknown> | null;
  files: unknown[] | null;
  error: string | null;
  started_by: string;
  started_at: Date;
  finished_at: Date | null;
}

function runOf(r: RunRow): ReconRun {
  return {
    id: r.id,
    businessDate: r.business_date,
    partnerId: r.partner_id,
    trigger: r.trigger,
    state: r.state,
    phase: r.phase,
    progress: { done: Number(r.progress_done), total: Number(r.progress_total) },
    counts: r.counts ?? {},
    files: r.files ?? [],
    error: r.error,
    startedBy: r.started_by,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}

/** recon_runs: each run of a day's match, its progress while it runs, its counts when done. */
export class ReconRunsRepository {
  /**
   * Takes the cluster's one running slot (a unique partial index), freeing it first if the run
   * holding it was abandoned. Throws RunInProgressError when another live run holds it.
   */
  async start(
    db: Executor,
    run: {
      id: string;
      businessDate: string;
      partnerId: string | null;
      trigger: RunTrigger;
      startedBy: string;
    },
    now: Date,
  ): Promise<ReconRun> {
    await db
      .updateTable('recon_runs')
      .set({ state: 'failed', error: 'abandoned: its node stopped renewing it', finished_at: now })
      .where('state', '=', 'running')
      .where('heartbeat_at', '<', new Date(now.getTime() - ABANDONED_AFTER_MS))
      .execute();
    try {
      await db
        .insertInto('recon_runs')
        .values({
          id: run.id,
          business_date: run.businessDate,
          partner_id: run.partnerId,
          trigger: run.trigger,
          state: 'running',
          started_by: run.startedBy,
          started_at: now,
          heartbeat_at: now,
        })
        .execute();
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      throw new RunInProgressError(await this.running(db));
    }
    return (await this.get(db, run.id))!;
  }

  async running(db: Executor): Promise<ReconRun | undefined> {
    const r = await db
      .selectFrom('recon_runs')
      .select(COLUMNS)
      .where('state', '=', 'running')
      .executeTakeFirst();
    return r === undefined ? undefined : runOf(r);
  }

  async progress(db: Executor, id: string, phase: string, done: number, total: number): Promise<void> {
    await db
      .updateTable('recon_runs')
      .set({ phase, progress_done: done, progress_total: total, heartbeat_at: new Date() })
      .where('id', '=', id)
      .execute();
  }

  async finish(
    db: Executor,
    id: string,
    outcome: {
      state: 'done' | 'failed';
      counts?: Record<string, unknown>;
      files?: unknown[];
      error?: string;
    },
    now: Date,
  ): Promise<void> {
    await db
      .updateTable('recon_runs')
      .set({
        state: outcome.state,
        phase: outcome.state,
        finished_at: now,
        ...(outcome.counts !== undefined ? { counts: JSON.stringify(outcome.counts) } : {}),
        ...(outcome.files !== undefined ? { files: JSON.stringify(outcome.files) } : {}),
        ...(outcome.error !== undefined ? { error: outcome.error } : {}),
      })
      .where('id', '=', id)
      .execute();
  }

  async get(db: Executor, id: string): Promise<ReconRun | undefined> {
    const r = await db.selectFrom('recon_runs').select(COLUMNS).where('id', '=', id).executeTakeFirst();
    return r === undefined ? undefined : runOf(r);
  }

  async list(db: Executor, filter: { businessDate?: string; limit?: number }): Promise<ReconRun[]> {
    let q = db.selectFrom('recon_runs').select(COLUMNS);
    if (filter.businessDate !== undefined) q = q.where('business_date', '=', filter.businessDate);
    const rows = await q
      .orderBy('started_at', 'desc')
      .limit(Math.min(filter.limit ?? 50, 500))
      .execute();
    return rows.map(runOf);
  }
}
