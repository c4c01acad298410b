import { sql } from 'kysely';
import type { Executor } from '../db';
import type { BreakCode, BreakOwner, BreakState } from './break-codes';

export interface ReconBreak {
  readonly id: string;
  readonly businessDate: string;
  readonly key: string;
  readonly code: BreakCode;
  readonly owner: BreakOwner;
  readonly partnerId: string | null;
  readonly billerId: string | null;
  readonly paymentId: string | null;
  readonly currency: string | null;
  readonly amountMinor: bigint | null;
  readonly summary: string;
  readonly evidence: Record<string, unknown>;
  readonly state: BreakState;
  readonly assignee: string | null;
  readonly resolutionCode: string | null;
  readonly journalEntryId: string | null;
  readonly raisedAt: Date;
  readonly lastRunId: string | null;
  readonly updatedAt: Date;
  readonly resolvedAt: Date | null;
  readonly resolvedBy: string | null;
  readonly clearedAt: Date | null;
}

export interface BreakFilter {
  readonly businessDate?: string;
  readonly code?: BreakCode;
  readonly owner?: BreakOwner;
  readonly partnerId?: string;
  readonly state?: BreakState;
  /** Raised at least this many seconds ago. */
  readonly minAgeSeconds?: number;
  readonly assignee?: string;
  readonly limit?: number;
  /** Keyset paging: breaks after this id (ids are UUIDv7, so in raising order). */
  readonly after?: string;
}

/** What a run computed for one break, before it is merged with what is stored. */
export interface BreakDraft {
  readonly key: string;
  readonly code: BreakCode;
  readonly owner: BreakOwner;
  readonly partnerId: string | null;
  readonly billerId: string | null;
  readonly paymentId: string | null;
  readonly currency: string | null;
  readonly amountMinor: bigint | null;
  readonly summary: string;
  readonly evidence: Record<string, unknown>;
}

const COLUMNS = [
  'id',
  sql<string>`business_date::text`.as('business_date'),
  'break_key',
  'code',
  'owner',
  'partner_id',
  'biller_id',
  'payment_id',
  'currency',
  'amount',
  'summary',
  'evidence',
  'state',
  'assignee',
  'resolution_code',
  'journal_entry_id',
  'raised_at',
  'last_run_id',
  'updated_at',
  'resolved_at',
  'resolved_by',
  'cleared_at',
] as const;

interface BreakRow {
  id: string;
  business_date: string;
  break_key: string;
  code: string;
  owner: string;
  partner_id: string | null;
  biller_id: string | null;
  payment_id: string | null;
  currency: string | null;
  amount: bigint | null;
  summary: string;
  evidence: Record<string, unknown> | null;
  state: BreakState;
  assignee: string | null;
  resolution_code: string | null;
  journal_entry_id: string | null;
  raised_at: Date;
  last_run_id: string | null;
  updated_at: Date;
  resolved_at: Date | null;
  resolved_by: string | null;
  cleared_at: Date | null;
}

function breakOf(r: BreakRow): ReconBreak {
  return {
    id: r.id,
    businessDate: r.business_date,
    key: r.break_key,
    code: r.code as BreakCode,
    owner: r.owner as BreakOwner,
    partnerId: r.partner_id,
    billerId: r.biller_id,
    paymentId: r.payment_id,
    currency: r.currency === null ? null : r.currency.trim(),
    amountMinor: r.amount === null ? null : BigInt(r.amount),
    summary: r.summary,
    evidence: r.evidence ?? {},
    state: r.state,
    assignee: r.assignee,
    resolutionCode: r.resolution_code,
    journalEntryId: r.journal_entry_id === null ? null : String(r.journal_entry_id),
    raisedAt: r.raised_at,
    lastRunId: r.last_run_id,
    updatedAt: r.updated_at,
    resolvedAt: r.resolved_at,
    resolvedBy: r.resolved_by,
    clearedAt: r.cleared_at,
  };
}

/** recon_breaks: one row per disagreeing transaction and business day, with the work done on it. */
export class ReconBreaksRepository {
  async insert(
    db: Executor,
    rows: readonly (BreakDraft & { id: string; businessDate: string; runId: string })[],
    now: Date,
  ): Promise<void> {
    for (let i = 0; i < rows.length; i += 500) {
      await db
        .insertInto('recon_breaks')
        .values(
          rows.slice(i, i + 500).map((b) => ({
            id: b.id,
            business_date: b.businessDate,
            break_key: b.key,
            code: b.code,
            owner: b.owner,
            partner_id: b.partnerId,
            biller_id: b.billerId,
            payment_id: b.paymentId,
            currency: b.currency,
            amount: b.amountMinor,
            summary: b.summary,
            evidence: JSON.stringify(b.evidence),
            state: 'open' as const,
            raised_at: now,
            last_run_id: b.runId,
            updated_at: now,
          })),
        )
        .execute();
    }
  }

  /** Writes a re-run's view of a break that still stands; its state, assignee and resolution stay. */
  async refresh(
    db: Executor,
    id: string,
    b: BreakDraft,
    runId: string,
    now: Date,
    reopen: boolean,
  ): Promise<void> {
    await db
      .updateTable('recon_breaks')
      .set({
        code: b.code,
        owner: b.owner,
        partner_id: b.partnerId,
        biller_id: b.billerId,
        payment_id: b.paymentId,
        currency: b.currency,
        amount: b.amountMinor,
        summary: b.summary,
        evidence: JSON.stringify(b.evidence),
        last_run_id: runId,
        updated_at: now,
        ...(reopen ? { state: 'open' as const, cleared_at: null } : {}),
      })
      .where('id', '=', id)
      .execute();
  }

  async touch(db: Executor, ids: readonly string[], runId: string): Promise<void> {
    for (let i = 0; i < ids.length; i += 5000) {
      await db
        .updateTable('recon_breaks')
        .set({ last_run_id: runId })
        .where('id', 'in', ids.slice(i, i + 5000))
        .execute();
    }
  }

  async clear(db: Executor, ids: readonly string[], now: Date): Promise<void> {
    for (let i = 0; i < ids.length; i += 5000) {
      await db
        .updateTable('recon_breaks')
        .set({ state: 'cleared', cleared_at: now, updated_at: now })
        .where('id', 'in', ids.slice(i, i + 5000))
        .where('state', '=', 'open')
        .execute();
    }
  }

  /** The stored breaks of a day a run may recompute: all, or those of one partner. */
  async ofDay(db: Executor, businessDate: string, partnerId?: string): Promise<ReconBreak[]> {
    let q = db.selectFrom('recon_breaks').select(COLUMNS).where('business_date', '=', businessDate);
    if (partnerId !== undefined) q = q.where('partner_id', '=', partnerId);
    return (await q.execute()).map(breakOf);
  }

  async get(db: Executor, id: string, forUpdate = false): Promise<ReconBreak | undefined> {
    let q = db.selectFrom('recon_breaks').select(COLUMNS).where('id', '=', id);
    if (forUpdate) q = q.forUpdate();
    const r = await q.executeTakeFirst();
    return r === undefined ? undefined : breakOf(r);
  }

  async list(db: Executor, f: BreakFilter, now: Date): Promise<ReconBreak[]> {
    let q = db.selectFrom('recon_breaks').select(COLUMNS);
    if (f.businessDate !== undefined) q = q.where('business_date', '=', f.businessDate);
    if (f.code !== undefined) q = q.where('code', '=', f.code);
    if (f.owner !== undefined) q = q.where('owner', '=', f.owner);
    if (f.partnerId !== undefined) q = q.where('partner_id', '=', f.partnerId);
    if (f.state !== undefined) q = q.where('state', '=', f.state);
    if (f.assignee !== undefined) q = q.where('assignee', '=', f.assignee);
    if (f.minAgeSeconds !== undefined) {
      q = q.where('raised_at', '<=', new Date(now.getTime() - f.minAgeSeconds * 1000));
    }
    if (f.after !== undefined) q = q.where('id', '>', f.after);
    const rows = await q
      .orderBy('id')
      .limit(Math.min(Math.max(f.limit ?? 100, 1), 100_000))
      .execute();
    return rows.map(breakOf);
  }

  async assign(db: Executor, id: string, assignee: string | null, now: Date): Promise<void> {
    await db.updateTable('recon_breaks').set({ assignee, updated_at: now }).where('id', '=', id).execute();
  }

  async resolve(
    db: Executor,
    id: string,
    r: { code: string; by: string; journalEntryId: string | null },
    now: Date,
  ): Promise<void> {
    await db
      .updateTable('recon_breaks')
      .set({
        state: 'resolved',
        resolution_code: r.code,
        resolved_by: r.by,
        resolved_at: now,
        journal_entry_id: r.journalEntryId,
        cleared_at: null,
        updated_at: now,
      })
      .where('id', '=', id)
      .execute();
  }

  /** Breaks raised per day, code and owner, with how many are resolved and how many within 4 hours. */
  async figures(
    db: Executor,
    range: { from: string; to: string },
  ): Promise<
    {
      businessDate: string;
      code: string;
      owner: string;
      raised: number;
      open: number;
      resolved: number;
      resolvedWithin4h: number;
    }[]
  > {
    const { rows } = await sql<{
      business_date: string;
      code: string;
      owner: string;
      raised: bigint;
      open: bigint;
      resolved: bigint;
      within: bigint;
    }>`
      select business_date::text as business_date, code, owner,
             count(*)::bigint as raised,
             count(*) filter (where state = 'open')::bigint as open,
             count(*) filter (where state = 'resolved')::bigint as resolved,
             count(*) filter (where state = 'resolved' and resolved_at <= raised_at + interval '4 hours')::bigint as within
      from recon_breaks
      where business_date >= ${range.from}::date and business_date <= ${range.to}::date
      group by business_date, code, owner
      order by business_date, code, owner`.execute(db);
    return rows.map((r) => ({
      businessDate: r.business_date,
      code: r.code,
      owner: r.owner,
      raised: Number(r.raised),
      open: Number(r.open),
      resolved: Number(r.resolved),
      resolvedWithin4h: Number(r.within),
    }));
  }

  /** Open breaks by code and owner, and the raising time of the oldest open one. */
  async openNow(
    db: Executor,
  ): Promise<{ byCodeOwner: { code: string; owner: string; open: number }[]; oldestRaisedAt: Date | null }> {
    const { rows } = await sql<{ code: string; owner: string; n: bigint; oldest: Date | null }>`
      select code, owner, count(*)::bigint as n, min(raised_at) as oldest
      from recon_breaks where state = 'open' group by code, owner`.execute(db);
    let oldest: Date | null = null;
    for (const r of rows) {
      const at = r.oldest === null ? null : new Date(r.oldest);
      if (at !== null && (oldest === null || at < oldest)) oldest = at;
    }
    return {
      byCodeOwner: rows.map((r) => ({ code: r.code, owner: r.owner, open: Number(r.n) })),
      oldestRaisedAt: oldest,
    };
  }
}
