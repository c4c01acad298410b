import { sql } from 'kysely';
import type { Executor } from '../db';
import type { FileSource } from './files.repository';

/** The file being matched and which of our payments it may name. */
export interface MatchScope {
  readonly fileId: string;
  readonly source: FileSource;
  /** The partner (partner files) or biller endpoint (biller files) the file is from. */
  readonly sourceId: string;
  /** Our payments received in [from, to) are candidates: the business day and its neighbours. */
  readonly from: Date;
  readonly to: Date;
  /** The file's business day: a match outside it is marked (a shifted date, compared as B5). */
  readonly dayStart: Date;
  readonly dayEnd: Date;
}

export interface MatchCounts {
  readonly matched: number;
  readonly ambiguous: number;
  readonly duplicate: number;
}

/**
 * recon_matches: how each row of a file matched one of our payments, one-to-one. Keys are tried in
 * order (our payment id, the partner's reference, the biller's receipt), each only for rows and
 * payments the keys before it left unmatched. A row naming several of our payments is `ambiguous`,
 * never a silent pick; a second row naming a payment already taken is a `duplicate`; a row naming
 * none is `unmatched`. Each entry carries the row's amount, currency, status and value date, so the
 * comparison never reads the file's rows again. Plain SQL (window functions, anti-joins): the
 * statements run unchanged on Citus.
 */
const ROW_VALUES = sql`r.amount, r.currency, r.status, r.value_date`;

export class ReconMatchesRepository {
  async clear(db: Executor, fileId: string): Promise<void> {
    await db.deleteFrom('recon_matches').where('file_id', '=', fileId).execute();
  }

  async match(db: Executor, s: MatchScope): Promise<MatchCounts> {
    // One statement: each key is tried only on the rows the keys before it left unmatched
    // (anti-joins), a row with several candidates under its key is ambiguous, and a payment claimed
    // by several rows goes to the first by key order, then line (the others are duplicates).
    const scoped = (alias: string) =>
      sql`${sql.ref(`${alias}.${s.source === 'partner' ? 'partner_id' : 'biller_endpoint'}`)} = ${s.sourceId}
          and ${sql.ref(`${alias}.received_at`)} >= ${s.from} and ${sql.ref(`${alias}.received_at`)} < ${s.to}`;
    // Only the keys the file carries are tried: a partner file of references never pays for a join
    // on payment ids it does not have.
    const { rows: present } = await sql<{
      ids: boolean | null;
      refs: boolean | null;
      receipts: boolean | null;
    }>`
      select bool_or(payment_id is not null) as ids, bool_or(partner_reference is not null) as refs,
             bool_or(biller_receipt is not null) as receipts
      from recon_source_rows where file_id = ${s.fileId}`.execute(db);
    const has = present[0] ?? { ids: false, refs: false, receipts: false };
    // A file that carries our payment ids is first joined to our payments by id once (a left join,
    // materialized as `f`): the rows it leaves unmatched are the only ones the other keys are tried
    // on, and f is every row of the file, so neither the later keys nor the unmatched rows need an
    // anti-join against our payments or another scan of the file. A file without ids reads its rows
    // from the table directly.
    const rowsOf = has.ids === true ? sql`f r` : sql`recon_source_rows r`;
    const left = has.ids === true ? sql`r.by_id is null` : sql`r.file_id = ${s.fileId}`;
    const byRef = sql`exists (select 1 from payments q2 where q2.partner_reference = r.partner_reference and ${scoped('q2')})`;
    const branches = [
      has.ids === true
        ? sql`select r.line_no, r.by_id as id, 1 as rank, r.by_id_at as received_at, ${ROW_VALUES}
              from f r where r.by_id is not null`
        : undefined,
      has.refs === true
        ? sql`select r.line_no, p.id, 2 as rank, p.received_at, ${ROW_VALUES}
              from ${rowsOf} join payments p on p.partner_reference = r.partner_reference and ${scoped('p')}
              where ${left}`
        : undefined,
      has.receipts === true
        ? sql`select r.line_no, p.id, 3 as rank, p.received_at, ${ROW_VALUES}
              from ${rowsOf} join payments p on p.biller_receipt = r.biller_receipt and ${scoped('p')}
              where ${left} ${has.refs === true ? sql`and not ${byRef}` : sql``}`
        : undefined,
    ].filter((b) => b !== undefined);
    if (branches.length > 0) {
      const candidates = sql.join(branches, sql` union all `);
      const byId =
        has.ids === true
          ? sql`f as materialized (
              select r.line_no, r.partner_reference, r.biller_receipt, ${ROW_VALUES},
                     p.id as by_id, p.received_at as by_id_at
              from recon_source_rows r left join payments p on p.id = r.payment_id and ${scoped('p')}
              where r.file_id = ${s.fileId}),`
          : sql``;
      // The candidates are computed once (materialized) and read by both halves of the insert; the
      // matched row's values go along for the comparison (see recon_matches).
      await sql`
        with ${byId} k as materialized (${candidates}),
        c as (select k.*, count(*) over (partition by line_no) as n from k)
        insert into recon_matches (file_id, line_no, payment_id, match_key, outcome, candidates, other_day,
                                   amount, currency, status, value_date)
        select ${s.fileId}::uuid, line_no, id,
               case rank when 1 then 'payment-id' when 2 then 'partner-reference' else 'biller-receipt' end,
               case when nth = 1 then 'matched' else 'duplicate' end, 1,
               received_at < ${s.dayStart} or received_at >= ${s.dayEnd},
               amount, currency, status, value_date
        from (
          select c.*, row_number() over (partition by id order by rank, line_no) as nth
          from c where n = 1
        ) single
        union all
        select ${s.fileId}::uuid, line_no, null,
               case min(rank) when 1 then 'payment-id' when 2 then 'partner-reference' else 'biller-receipt' end,
               'ambiguous', count(*)::int, false, null, null, null, null
        from c where n > 1
        group by line_no
        union all
        select ${s.fileId}::uuid, r.line_no, null, null, 'unmatched', 0, false, ${ROW_VALUES}
        from ${rowsOf}
        where ${has.ids === true ? sql`true` : sql`r.file_id = ${s.fileId}`}
          and not exists (select 1 from c where c.line_no = r.line_no)`.execute(db);
    } else {
      await sql`
        insert into recon_matches (file_id, line_no, payment_id, match_key, outcome, candidates, other_day,
                                   amount, currency, status, value_date)
        select ${s.fileId}::uuid, r.line_no, null, null, 'unmatched', 0, false, ${ROW_VALUES}
        from recon_source_rows r where r.file_id = ${s.fileId}`.execute(db);
    }
    const { rows } = await sql<{ outcome: string; n: bigint }>`
      select outcome, count(*)::bigint as n from recon_matches where file_id = ${s.fileId} group by outcome`.execute(
      db,
    );
    const n = (o: string): number => Number(rows.find((r) => r.outcome === o)?.n ?? 0n);
    return { matched: n('matched'), ambiguous: n('ambiguous'), duplicate: n('duplicate') };
  }
}
