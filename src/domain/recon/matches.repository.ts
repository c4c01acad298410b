import { sql, type RawBuilder } from 'kysely';
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
 * never a silent pick; a second row naming a payment already taken is a `duplicate`. Plain SQL
 * (window functions, anti-joins): the statements run unchanged on Citus.
 */
export class ReconMatchesRepository {
  async clear(db: Executor, fileId: string): Promise<void> {
    await db.deleteFrom('recon_matches').where('file_id', '=', fileId).execute();
  }

  async match(db: Executor, s: MatchScope): Promise<MatchCounts> {
    const owner = s.source === 'partner' ? sql`p.partner_id` : sql`p.biller_endpoint`;
    const inScope = sql`${owner} = ${s.sourceId} and p.received_at >= ${s.from} and p.received_at < ${s.to}`;
    await sql`
      insert into recon_matches (file_id, line_no, payment_id, match_key, outcome, candidates)
      select r.file_id, r.line_no, p.id, 'payment-id',
             case when row_number() over (partition by p.id order by r.line_no) = 1
                  then 'matched' else 'duplicate' end,
             1
      from recon_source_rows r
      join payments p on p.id = r.payment_id and ${inScope}
      where r.file_id = ${s.fileId} and r.payment_id is not null`.execute(db);
    await this.byKey(db, s, inScope, 'partner-reference', sql`partner_reference`);
    await this.byKey(db, s, inScope, 'biller-receipt', sql`biller_receipt`);
    const { rows } = await sql<{ outcome: string; n: bigint }>`
      select outcome, count(*)::bigint as n from recon_matches where file_id = ${s.fileId} group by outcome`.execute(
      db,
    );
    const n = (o: string): number => Number(rows.find((r) => r.outcome === o)?.n ?? 0n);
    return { matched: n('matched'), ambiguous: n('ambiguous'), duplicate: n('duplicate') };
  }

  private async byKey(
    db: Executor,
    s: MatchScope,
    inScope: RawBuilder<unknown>,
    key: 'partner-reference' | 'biller-receipt',
    column: RawBuilder<unknown>,
  ): Promise<void> {
    await sql`
      with candidates as (
        select r.file_id, r.line_no, p.id as payment_id,
               count(*) over (partition by r.line_no) as n_ours
        from recon_source_rows r
        join payments p on p.${column} = r.${column} and ${inScope}
        where r.file_id = ${s.fileId} and r.${column} is not null
          and not exists (select 1 from recon_matches m
                          where m.file_id = r.file_id and m.line_no = r.line_no)
          and not exists (select 1 from recon_matches m
                          where m.file_id = r.file_id and m.payment_id = p.id and m.outcome <> 'ambiguous')
      ),
      single as (
        select file_id, line_no, payment_id,
               row_number() over (partition by payment_id order by line_no) as nth
        from candidates where n_ours = 1
      )
      insert into recon_matches (file_id, line_no, payment_id, match_key, outcome, candidates)
      select file_id, line_no, payment_id, ${key}, case when nth = 1 then 'matched' else 'duplicate' end, 1
      from single
      union all
      select file_id, line_no, null, ${key}, 'ambiguous', max(n_ours)::int
      from candidates where n_ours > 1
      group by file_id, line_no`.execute(db);
  }
}
