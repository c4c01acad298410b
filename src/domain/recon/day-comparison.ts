import { sql } from 'kysely';
import type { Executor } from '../db';
import type { FileSource } from './files.repository';
import type { SourceStatus } from './layout';

/** Our payment's final state as the files say it: APPROVED is OK, DECLINED is FAIL; anything else not final. */
export type OurStatus = SourceStatus | 'PENDING';

export interface OurRow {
  readonly paymentId: string;
  readonly partnerId: string;
  readonly billerId: string | null;
  readonly partnerReference: string;
  readonly billerReceipt: string | null;
  readonly amountMinor: bigint;
  readonly currency: string;
  /** payments.status as stored (APPROVED, DECLINED, REVERSED, PENDING, NEEDS_ATTENTION, RECEIVED, POSTED…). */
  readonly rawStatus: string;
  readonly status: OurStatus;
  readonly valueDate: string;
  readonly receivedAt: Date;
  readonly settlementAccount: string | null;
}

export interface SideRow {
  readonly fileId: string;
  readonly line: number;
  readonly paymentId: string | null;
  readonly partnerReference: string | null;
  readonly billerReceipt: string | null;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly status: SourceStatus;
  readonly valueDate: string;
  readonly matchKey: string | null;
}

/** A file in the run and the tolerances its source is allowed. */
export interface ScopedFile {
  readonly fileId: string;
  readonly source: FileSource;
  readonly sourceId: string;
  readonly amountTolerance: bigint;
  readonly dateToleranceDays: number;
}

export interface PaymentCandidate {
  readonly ours: OurRow;
  readonly partner: SideRow | null;
  readonly biller: SideRow | null;
  /** Whether the run has a file of this payment's partner / biller (no file: that side is not compared). */
  readonly partnerFile: ScopedFile | null;
  readonly billerFile: ScopedFile | null;
}

export interface OtherDayCandidate {
  readonly ours: OurRow;
  readonly file: ScopedFile;
  readonly row: SideRow;
}

export interface UnmatchedCandidate {
  readonly file: ScopedFile;
  readonly row: SideRow;
  readonly outcome: 'unmatched' | 'ambiguous' | 'duplicate';
  readonly candidates: number;
  /** The payment a duplicate row names (already matched by an earlier row). */
  readonly paymentId: string | null;
}

export interface DayWindow {
  readonly businessDate: string;
  readonly start: Date;
  readonly end: Date;
  readonly timeZone: string;
  readonly partnerId?: string;
}

const OUR_STATUS = sql`case p.status when 'APPROVED' then 'OK' when 'DECLINED' then 'FAIL'
                                     when 'REVERSED' then 'REVERSED' else 'PENDING' end`;

function filesJson(files: readonly ScopedFile[]): string {
  return JSON.stringify(
    files.map((f) => ({
      file_id: f.fileId,
      source_id: f.sourceId,
      tol_amount: f.amountTolerance.toString(),
      tol_days: f.dateToleranceDays,
    })),
  );
}

type RawRow = Record<string, unknown>;

function text(r: RawRow, key: string): string {
  const v = r[key];
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return v.toString();
  throw new Error(`column ${key} is not text`);
}

function textOrNull(r: RawRow, key: string): string | null {
  return r[key] === null || r[key] === undefined ? null : text(r, key);
}

function ourOf(r: RawRow): OurRow {
  return {
    paymentId: text(r, 'id'),
    partnerId: text(r, 'partner_id'),
    billerId: textOrNull(r, 'biller_endpoint'),
    partnerReference: text(r, 'partner_reference'),
    billerReceipt: textOrNull(r, 'biller_receipt'),
    amountMinor: BigInt(text(r, 'amount')),
    currency: text(r, 'currency').trim(),
    rawStatus: text(r, 'raw_status'),
    status: text(r, 'st') as OurStatus,
    valueDate: text(r, 'vd'),
    receivedAt: new Date(r.received_at as Date | string),
    settlementAccount: textOrNull(r, 'settlement_account'),
  };
}

function sideOf(r: RawRow, prefix: string): SideRow | null {
  if (r[`${prefix}line_no`] === null || r[`${prefix}line_no`] === undefined) return null;
  return {
    fileId: text(r, `${prefix}file_id`),
    line: Number(text(r, `${prefix}line_no`)),
    paymentId: textOrNull(r, `${prefix}payment_id`),
    partnerReference: textOrNull(r, `${prefix}partner_reference`),
    billerReceipt: textOrNull(r, `${prefix}biller_receipt`),
    amountMinor: BigInt(text(r, `${prefix}amount`)),
    currency: text(r, `${prefix}currency`).trim(),
    status: text(r, `${prefix}status`) as SourceStatus,
    valueDate: text(r, `${prefix}value_date`),
    matchKey: textOrNull(r, `${prefix}match_key`),
  };
}

const SIDE_COLUMNS = (alias: string) =>
  sql.raw(
    [
      'file_id',
      'line_no',
      'payment_id',
      'partner_reference',
      'biller_receipt',
      'amount',
      'currency',
      'status',
      'match_key',
    ]
      .map((c) => `${alias}.${c} as ${alias}_${c}`)
      .join(', ') + `, ${alias}.value_date::text as ${alias}_value_date`,
  );

/**
 * The three sources of one business day side by side, in SQL: our payments of the day against the
 * rows of the partner's and the biller's file they matched. Only disagreeing transactions leave the
 * database (a day of a million agreeing rows returns nothing), so classifying them in code is cheap.
 * Plain PostgreSQL: joins on the payment id, which is also what a distributed (Citus) layout
 * co-locates on.
 */
export class DayComparison {
  async paymentCandidates(
    db: Executor,
    day: DayWindow,
    files: readonly ScopedFile[],
  ): Promise<PaymentCandidate[]> {
    const partnerFiles = files.filter((f) => f.source === 'partner');
    const billerFiles = files.filter((f) => f.source === 'biller');
    const { rows } = await sql`
      with pf as (
        select * from jsonb_to_recordset(${filesJson(partnerFiles)}::jsonb)
          as x(file_id uuid, source_id text, tol_amount bigint, tol_days int)
      ),
      bf as (
        select * from jsonb_to_recordset(${filesJson(billerFiles)}::jsonb)
          as x(file_id uuid, source_id text, tol_amount bigint, tol_days int)
      ),
      ours as (
        select p.id, p.partner_id, p.biller_endpoint, p.partner_reference, p.biller_receipt, p.amount,
               p.currency, p.status as raw_status, ${OUR_STATUS} as st, p.received_at, p.settlement_account,
               (p.received_at at time zone ${day.timeZone})::date as vd
        from payments p
        where p.received_at >= ${day.start} and p.received_at < ${day.end}
          ${day.partnerId !== undefined ? sql`and p.partner_id = ${day.partnerId}` : sql``}
      ),
      pm as (
        select m.payment_id as matched_payment, m.match_key, m.file_id, m.line_no, m.amount, m.currency, m.status, m.value_date,
               pf.tol_amount, pf.tol_days
        from pf join recon_matches m on m.file_id = pf.file_id and m.outcome = 'matched'
        where m.file_id = any(${partnerFiles.map((f) => f.fileId)}::uuid[])
      ),
      bm as (
        select m.payment_id as matched_payment, m.match_key, m.file_id, m.line_no, m.amount, m.currency, m.status, m.value_date,
               bf.tol_amount, bf.tol_days
        from bf join recon_matches m on m.file_id = bf.file_id and m.outcome = 'matched'
        where m.file_id = any(${billerFiles.map((f) => f.fileId)}::uuid[])
      ),
      flagged as (
        select o.id, o.partner_id, o.biller_endpoint, o.partner_reference, o.biller_receipt, o.amount, o.currency,
               o.raw_status, o.st, o.received_at, o.settlement_account, o.vd::text as vd,
               pfx.file_id as pf_file, bfx.file_id as bf_file,
               pm.file_id as pm_file, pm.line_no as pm_line, pm.match_key as pm_key,
               bm.file_id as bm_file, bm.line_no as bm_line, bm.match_key as bm_key
        from ours o
        left join pf pfx on pfx.source_id = o.partner_id
        left join bf bfx on bfx.source_id = o.biller_endpoint
        left join pm on pm.matched_payment = o.id
        left join bm on bm.matched_payment = o.id
        where (pfx.file_id is not null and pm.line_no is null and o.st in ('OK', 'PENDING'))
           or (bfx.file_id is not null and bm.line_no is null and o.st = 'OK')
           or (pm.line_no is not null and (abs(pm.amount - o.amount) > pm.tol_amount or pm.currency <> o.currency
                or pm.status <> o.st or abs(pm.value_date - o.vd) > pm.tol_days))
           or (bm.line_no is not null and (abs(bm.amount - o.amount) > bm.tol_amount or bm.currency <> o.currency
                or bm.status <> o.st or abs(bm.value_date - o.vd) > bm.tol_days))
      )
      -- Only the disagreeing transactions fetch their rows, one primary-key lookup each (lateral with
      -- a limit: never a hash join over the million rows of the files).
      select f.*, ${SIDE_COLUMNS('pm')}, ${SIDE_COLUMNS('bm')}
      from flagged f
      left join lateral (
        select r.*, f.pm_key as match_key from recon_source_rows r
        where r.file_id = f.pm_file and r.line_no = f.pm_line limit 1
      ) pm on true
      left join lateral (
        select r.*, f.bm_key as match_key from recon_source_rows r
        where r.file_id = f.bm_file and r.line_no = f.bm_line limit 1
      ) bm on true`.execute(db);
    const byId = new Map(files.map((f) => [f.fileId, f]));
    return rows.map((r) => {
      const row = r as RawRow;
      return {
        ours: ourOf(row),
        partner: sideOf(row, 'pm_'),
        biller: sideOf(row, 'bm_'),
        partnerFile: byId.get(textOrNull(row, 'pf_file') ?? '') ?? null,
        billerFile: byId.get(textOrNull(row, 'bf_file') ?? '') ?? null,
      };
    });
  }

  /** Rows of the day's files that matched a payment received on another day (a shifted date). */
  async otherDayCandidates(
    db: Executor,
    day: DayWindow,
    files: readonly ScopedFile[],
  ): Promise<OtherDayCandidate[]> {
    if (files.length === 0) return [];
    const { rows } = await sql`
      select p.id, p.partner_id, p.biller_endpoint, p.partner_reference, p.biller_receipt, p.amount, p.currency,
             p.status as raw_status, ${OUR_STATUS} as st, p.received_at, p.settlement_account,
             (p.received_at at time zone ${day.timeZone})::date::text as vd,
             ${SIDE_COLUMNS('r')}
      from (select r0.*, m.match_key, m.payment_id as matched_payment
            from recon_matches m
            join recon_source_rows r0 on r0.file_id = m.file_id and r0.line_no = m.line_no
            where m.file_id = any(${files.map((f) => f.fileId)}::uuid[]) and m.outcome = 'matched'
              and m.other_day) r
      join payments p on p.id = r.matched_payment`.execute(db);
    const byId = new Map(files.map((f) => [f.fileId, f]));
    return rows.map((r) => {
      const row = r as RawRow;
      return { ours: ourOf(row), file: byId.get(text(row, 'r_file_id'))!, row: sideOf(row, 'r_')! };
    });
  }

  /** Rows that matched none of our payments (FAIL rows excepted: nothing moved), or matched ambiguously. */
  async unmatchedRows(db: Executor, files: readonly ScopedFile[]): Promise<UnmatchedCandidate[]> {
    if (files.length === 0) return [];
    const { rows } = await sql`
      select ${SIDE_COLUMNS('r')}, r.outcome, r.candidates, r.dup_payment
      from (select r0.*, m.match_key, m.outcome, m.candidates, m.payment_id as dup_payment
            from recon_matches m
            join recon_source_rows r0 on r0.file_id = m.file_id and r0.line_no = m.line_no
            where m.file_id = any(${files.map((f) => f.fileId)}::uuid[]) and m.outcome <> 'matched') r
      where (r.outcome = 'unmatched' and r.status <> 'FAIL') or r.outcome in ('ambiguous', 'duplicate')
      order by r.file_id, r.line_no`.execute(db);
    const byId = new Map(files.map((f) => [f.fileId, f]));
    return rows.map((r) => {
      const row = r as RawRow;
      const outcome = text(row, 'outcome') as UnmatchedCandidate['outcome'];
      return {
        file: byId.get(text(row, 'r_file_id'))!,
        row: sideOf(row, 'r_')!,
        outcome,
        candidates: Number(textOrNull(row, 'candidates') ?? '0'),
        paymentId: textOrNull(row, 'dup_payment'),
      };
    });
  }

  /** Count-sheet variances of the day that still stand (not superseded by a correction, not cleared). */
  async agentVariances(
    db: Executor,
    day: DayWindow,
  ): Promise<
    {
      sheetId: string;
      agentId: string;
      partnerId: string;
      amountMinor: bigint;
      currency: string;
      threshold: bigint;
      suspended: boolean;
      createdAt: Date;
    }[]
  > {
    const { rows } = await sql<{
      sheet_id: string;
      agent_id: string;
      partner_id: string;
      amount: bigint;
      currency: string;
      threshold: bigint;
      suspended: boolean;
      created_at: Date;
    }>`
      select v.sheet_id, v.agent_id, a.partner_id, v.amount, v.currency, v.threshold, v.suspended, v.created_at
      from agent_cash_variances v join agents a on a.id = v.agent_id
      where v.business_date = ${day.businessDate}::date and v.superseded_by is null and v.cleared_at is null
        ${day.partnerId !== undefined ? sql`and a.partner_id = ${day.partnerId}` : sql``}`.execute(db);
    return rows.map((r) => ({
      sheetId: r.sheet_id,
      agentId: r.agent_id,
      partnerId: r.partner_id,
      amountMinor: BigInt(r.amount),
      currency: String(r.currency).trim(),
      threshold: BigInt(r.threshold),
      suspended: r.suspended,
      createdAt: new Date(r.created_at),
    }));
  }

  /** How many of our payments the day holds (what the run reports as the ledger side). */
  async ourCount(db: Executor, day: DayWindow): Promise<number> {
    const { rows } = await sql<{ n: bigint }>`
      select count(*)::bigint as n from payments p
      where p.received_at >= ${day.start} and p.received_at < ${day.end}
        ${day.partnerId !== undefined ? sql`and p.partner_id = ${day.partnerId}` : sql``}`.execute(db);
    return Number(rows[0]?.n ?? 0n);
  }
}
