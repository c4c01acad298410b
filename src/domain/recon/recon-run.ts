import { sql } from 'kysely';
import type { Db, Executor } from '../db';
import { formatMajorAmount } from '../money/money';
import { BREAK_CODES, type BreakCode } from './break-codes';
import type { ReconBreakEventsRepository } from './break-events.repository';
import type { BreakDraft, ReconBreaksRepository } from './breaks.repository';
import { addDays, businessDayOf, dayWindow, wallClock } from './business-day';
import { draftForOtherDay, draftForPayment, draftForUnmatched, unmatchedKey } from './classify';
import { DayComparison, type DayWindow, type ScopedFile } from './day-comparison';
import type { ReconFile, ReconFilesRepository } from './files.repository';
import type { ReconMatchesRepository } from './matches.repository';
import type { ReconConfigs } from './recon-configs';
import { reversalEvidence } from './reversal-evidence';
import type { ReconRun, ReconRunsRepository, RunTrigger } from './runs.repository';

export interface RunRequest {
  readonly businessDate: string;
  readonly partnerId?: string;
  readonly trigger: RunTrigger;
  readonly actor: string;
}

export interface RunProgress {
  readonly runId: string;
  readonly phase: string;
  readonly done: number;
  readonly total: number;
}

export interface RunCounts {
  readonly ourPayments: number;
  readonly files: number;
  readonly partnerRows: number;
  readonly billerRows: number;
  readonly matched: number;
  readonly ambiguous: number;
  readonly duplicate: number;
  readonly breaks: {
    readonly standing: number;
    readonly raised: number;
    readonly changed: number;
    readonly reopened: number;
    readonly cleared: number;
    readonly byCode: Partial<Record<BreakCode, number>>;
  };
}

export interface RunDeps {
  readonly db: Db;
  readonly files: ReconFilesRepository;
  readonly matches: ReconMatchesRepository;
  readonly runs: ReconRunsRepository;
  readonly breaks: ReconBreaksRepository;
  readonly events: ReconBreakEventsRepository;
  readonly configs: ReconConfigs;
  readonly timeZone: string;
  readonly newId: () => string;
  readonly now?: () => Date;
}

/** Our payments this many days either side of the business day may match a row (shifted dates). */
const MATCH_WINDOW_DAYS = 3;

/**
 * One run of a business day's three-way match: match every current file of the day against our
 * payments, compare the three sources, and merge the result into the day's breaks. Idempotent: a
 * re-run (late or corrected file) recomputes the breaks; one that still stands keeps its id, its
 * assignee, its comments and its resolution; one that no longer stands is cleared, and comes back
 * (reopened) if a later run finds it again. One run at a time in the cluster (recon_runs).
 */
export class ReconRunner {
  private readonly comparison = new DayComparison();
  private readonly now: () => Date;

  constructor(private readonly d: RunDeps) {
    this.now = d.now ?? (() => new Date());
  }

  async run(req: RunRequest, onProgress?: (p: RunProgress) => void): Promise<ReconRun> {
    const { done } = await this.begin(req, onProgress);
    return done;
  }

  /**
   * Takes the cluster's running slot and answers at once with the run as started (RunInProgressError
   * when another run holds the slot); `done` settles when the run has finished or failed.
   */
  async begin(
    req: RunRequest,
    onProgress?: (p: RunProgress) => void,
  ): Promise<{ run: ReconRun; done: Promise<ReconRun> }> {
    const { db } = this.d;
    const runId = this.d.newId();
    const run = await this.d.runs.start(
      db,
      {
        id: runId,
        businessDate: req.businessDate,
        partnerId: req.partnerId ?? null,
        trigger: req.trigger,
        startedBy: req.actor,
      },
      this.now(),
    );
    const progress = async (phase: string, done: number, total: number): Promise<void> => {
      onProgress?.({ runId, phase, done, total });
      await this.d.runs.progress(db, runId, phase, done, total);
    };
    const done = (async () => {
      try {
        const { counts, files } = await this.execute(runId, req, progress);
        await this.d.runs.finish(db, runId, { state: 'done', counts: { ...counts }, files }, this.now());
      } catch (error) {
        await this.d.runs.finish(
          db,
          runId,
          { state: 'failed', error: error instanceof Error ? error.message : String(error) },
          this.now(),
        );
        throw error;
      }
      return (await this.d.runs.get(db, runId))!;
    })();
    return { run, done };
  }

  private async execute(
    runId: string,
    req: RunRequest,
    progress: (phase: string, done: number, total: number) => Promise<void>,
  ): Promise<{ counts: RunCounts; files: unknown[] }> {
    const { db } = this.d;
    const window = dayWindow(req.businessDate, this.d.timeZone);
    const day: DayWindow = {
      businessDate: req.businessDate,
      start: window.start,
      end: window.end,
      timeZone: this.d.timeZone,
      ...(req.partnerId !== undefined ? { partnerId: req.partnerId } : {}),
    };
    const current = await this.d.files.current(db, req.businessDate, req.partnerId);
    const scoped = await this.scope(current);
    const total = current.reduce((n, f) => n + f.rowCount, 0);
    await progress('matching', 0, total);

    const from = dayWindow(addDays(req.businessDate, -MATCH_WINDOW_DAYS), this.d.timeZone).start;
    const to = dayWindow(addDays(req.businessDate, MATCH_WINDOW_DAYS), this.d.timeZone).end;
    await sql`analyze recon_source_rows`.execute(db);
    let done = 0;
    let matched = 0;
    let ambiguous = 0;
    let duplicate = 0;
    // Each file is matched in its own transaction and touches only its own entries, so the files
    // match side by side on separate connections (one core each on PostgreSQL; the embedded
    // database takes them one after the other). The run holds the cluster's one running slot, so
    // no other run matches the same files meanwhile.
    await Promise.all(
      current.map(async (f) => {
        const counts = await db.transaction().execute(async (tx) => {
          await workMem(tx);
          await this.d.matches.clear(tx, f.id);
          return this.d.matches.match(tx, {
            fileId: f.id,
            source: f.source,
            sourceId: f.sourceId,
            from,
            to,
            dayStart: window.start,
            dayEnd: window.end,
          });
        });
        matched += counts.matched;
        ambiguous += counts.ambiguous;
        duplicate += counts.duplicate;
        done += f.rowCount;
        await progress('matching', done, total);
      }),
    );

    // Fresh statistics after a bulk load and match: without them the planner guesses nested loops
    // over a million rows. ANALYZE samples a fixed number of rows, so it costs the same at any size.
    await sql`analyze recon_source_rows`.execute(db);
    await sql`analyze recon_matches`.execute(db);
    await progress('comparing', done, total);
    const drafts = new Map<string, BreakDraft>();
    const add = (b: BreakDraft): void => {
      let key = b.key;
      for (let n = 2; drafts.has(key); n += 1) key = `${b.key}#${n}`;
      drafts.set(key, { ...b, key });
    };
    const inRun = req.partnerId === undefined ? scoped : scoped.filter((f) => f.source === 'partner');
    const compared = await db.transaction().execute(async (tx) => {
      await workMem(tx);
      return {
        payments: await this.comparison.paymentCandidates(tx, day, scoped),
        otherDay: await this.comparison.otherDayCandidates(tx, day, inRun),
        unmatched: await this.comparison.unmatchedRows(tx, inRun),
      };
    });
    for (const c of compared.payments) {
      const b = draftForPayment(c);
      if (b !== undefined) add(b);
    }
    for (const c of compared.otherDay) {
      if (!drafts.has(`payment:${c.ours.paymentId}`)) add(draftForOtherDay(c, req.businessDate));
    }
    for (const c of compared.unmatched) add(draftForUnmatched(c, unmatchedKey(c)));
    for (const v of await this.comparison.agentVariances(db, day)) {
      const over = v.amountMinor < 0n ? 'short' : 'over';
      add({
        key: `agent-variance:${v.sheetId}`,
        code: 'B8',
        owner: BREAK_CODES.B8.owner,
        partnerId: v.partnerId,
        billerId: null,
        paymentId: null,
        currency: v.currency,
        amountMinor: v.amountMinor,
        summary: `B8 ${BREAK_CODES.B8.meaning}: agent ${v.agentId} counted ${formatMajorAmount(v.amountMinor < 0n ? -v.amountMinor : v.amountMinor, v.currency)} ${v.currency} ${over}`,
        evidence: {
          ours: null,
          partner: null,
          biller: null,
          agent: {
            agentId: v.agentId,
            sheetId: v.sheetId,
            variance: formatMajorAmount(v.amountMinor, v.currency),
            varianceMinor: v.amountMinor.toString(),
            currency: v.currency,
            threshold: formatMajorAmount(v.threshold, v.currency),
            suspended: v.suspended,
            submittedAt: v.createdAt.toISOString(),
          },
          notes: v.suspended
            ? ['the variance is past the agent threshold: the agent is suspended until ops clear it']
            : [],
        },
      });
    }
    await this.addReversalNotes(drafts);

    await progress('publishing', done, total);
    const breaks = await this.merge(runId, req, [...drafts.values()]);
    const byCode: Partial<Record<BreakCode, number>> = {};
    for (const b of drafts.values()) byCode[b.code] = (byCode[b.code] ?? 0) + 1;
    const partnerRows = current.filter((f) => f.source === 'partner').reduce((n, f) => n + f.rowCount, 0);
    return {
      counts: {
        ourPayments: await this.comparison.ourCount(db, day),
        files: current.length,
        partnerRows,
        billerRows: total - partnerRows,
        matched,
        ambiguous,
        duplicate,
        breaks: { ...breaks, standing: drafts.size, byCode },
      },
      files: current.map((f) => ({
        id: f.id,
        source: f.source,
        sourceId: f.sourceId,
        sha256: f.sha256,
        rows: f.rowCount,
        receivedAt: f.receivedAt.toISOString(),
      })),
    };
  }

  private async scope(files: readonly ReconFile[]): Promise<ScopedFile[]> {
    const out: ScopedFile[] = [];
    for (const f of files) {
      const tol =
        f.source === 'partner'
          ? (await this.d.configs.partner(f.sourceId))?.tolerances
          : (await this.d.configs.biller(f.sourceId))?.tolerances;
      out.push({
        fileId: f.id,
        source: f.source,
        sourceId: f.sourceId,
        amountTolerance: BigInt(tol?.amountMinor ?? '0'),
        dateToleranceDays: tol?.valueDateDays ?? 0,
      });
    }
    return out;
  }

  /** B4 breaks of payments reversed on our side only: when the biller reversed, whether the partner was told. */
  private async addReversalNotes(drafts: Map<string, BreakDraft>): Promise<void> {
    const reversed = [...drafts.values()].filter(
      (b) =>
        b.code === 'B4' &&
        b.paymentId !== null &&
        (b.evidence.ours as { status?: string } | null)?.status === 'REVERSED',
    );
    if (reversed.length === 0) return;
    const cutoffs = new Map<string, string>();
    for (const b of reversed) {
      if (b.partnerId !== null && !cutoffs.has(b.partnerId)) {
        cutoffs.set(b.partnerId, (await this.d.configs.partner(b.partnerId))?.cycle.partnerFileBy ?? '23:55');
      }
    }
    const evidence = await reversalEvidence(
      this.d.db,
      reversed.map((b) => b.paymentId!),
      (partnerId, receivedAt) => {
        const by = cutoffs.get(partnerId);
        if (by === undefined) return undefined;
        // The cut-off of the payment's own business day.
        return wallClock(businessDayOf(receivedAt, this.d.timeZone), by, this.d.timeZone);
      },
    );
    for (const b of reversed) {
      const e = evidence.get(b.paymentId!);
      if (e === undefined) continue;
      const notes = [...((b.evidence.notes as string[] | undefined) ?? []), ...e.notes];
      drafts.set(b.key, {
        ...b,
        summary: e.notes.length > 0 ? `${b.summary}; ${e.notes.join('; ')}` : b.summary,
        evidence: { ...b.evidence, reversal: e.reversal, notes },
      });
    }
  }

  private async merge(
    runId: string,
    req: RunRequest,
    drafts: readonly BreakDraft[],
  ): Promise<{ raised: number; changed: number; reopened: number; cleared: number }> {
    const now = this.now();
    return this.d.db.transaction().execute(async (tx) => {
      const existing = new Map(
        (await this.d.breaks.ofDay(tx, req.businessDate, req.partnerId)).map((b) => [b.key, b]),
      );
      const fresh: (BreakDraft & { id: string; businessDate: string; runId: string })[] = [];
      const events: Parameters<ReconBreakEventsRepository['add']>[1][number][] = [];
      const unchanged: string[] = [];
      let changed = 0;
      let reopened = 0;
      for (const d of drafts) {
        const old = existing.get(d.key);
        existing.delete(d.key);
        if (old === undefined) {
          const id = this.d.newId();
          fresh.push({ ...d, id, businessDate: req.businessDate, runId });
          events.push({ breakId: id, actor: `recon-run:${runId}`, kind: 'raised', note: d.summary, at: now });
          continue;
        }
        const reopen = old.state === 'cleared';
        const differs = old.code !== d.code || old.summary !== d.summary;
        if (!reopen && !differs) {
          unchanged.push(old.id);
          continue;
        }
        await this.d.breaks.refresh(tx, old.id, d, runId, now, reopen);
        if (reopen) reopened += 1;
        else changed += 1;
        events.push({
          breakId: old.id,
          actor: `recon-run:${runId}`,
          kind: reopen ? 'reopened' : 'changed',
          note: d.summary,
          data: { fromCode: old.code, toCode: d.code },
          at: now,
        });
      }
      await this.d.breaks.insert(tx, fresh, now);
      await this.d.breaks.touch(tx, unchanged, runId);
      const gone = [...existing.values()].filter((b) => b.state === 'open');
      await this.d.breaks.clear(
        tx,
        gone.map((b) => b.id),
        now,
      );
      for (const b of gone) {
        events.push({
          breakId: b.id,
          actor: `recon-run:${runId}`,
          kind: 'cleared',
          note: 'no longer stands: the sources agree in this run',
          at: now,
        });
      }
      for (let i = 0; i < events.length; i += 1000) await this.d.events.add(tx, events.slice(i, i + 1000));
      return { raised: fresh.length, changed, reopened, cleared: gone.length };
    });
  }
}

/**
 * Memory for the sorts and hash tables of one matching or comparing transaction: a million rows
 * hash in memory instead of spilling to disk in batches. SET LOCAL ends with the transaction.
 */
async function workMem(tx: Executor): Promise<void> {
  await sql`set local work_mem = '256MB'`.execute(tx);
  // These statements are big once and then done: compiling them (JIT) costs more than it saves.
  await sql`set local jit = off`.execute(tx);
}
