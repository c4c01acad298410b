import { sql } from 'kysely';
import type { Executor } from '../db';
import type { SourceRow, SourceStatus } from './layout';

/** A stored row of a file, with the file's source, as evidence shows it. */
export interface StoredSourceRow {
  readonly fileId: string;
  readonly line: number;
  readonly paymentId: string | null;
  readonly partnerReference: string | null;
  readonly billerReceipt: string | null;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly status: SourceStatus;
  readonly valueDate: string;
}

/**
 * recon_source_rows: the rows of every stored file in one shape. Rows go in as column arrays through
 * unnest(): one parameter per column whatever the batch size, which is what loads a million-row file
 * in seconds on PostgreSQL and PGlite alike (plain SQL, so Citus too).
 */
export class ReconSourceRowsRepository {
  async insertBatch(db: Executor, fileId: string, rows: readonly SourceRow[]): Promise<void> {
    if (rows.length === 0) return;
    const lines: number[] = [];
    const ids: (string | null)[] = [];
    const refs: (string | null)[] = [];
    const receipts: (string | null)[] = [];
    const amounts: string[] = [];
    const currencies: string[] = [];
    const statuses: string[] = [];
    const dates: string[] = [];
    for (const r of rows) {
      lines.push(r.line);
      ids.push(r.paymentId);
      refs.push(r.partnerReference);
      receipts.push(r.billerReceipt);
      amounts.push(r.amountMinor.toString());
      currencies.push(r.currency);
      statuses.push(r.status);
      dates.push(r.valueDate);
    }
    await sql`
      insert into recon_source_rows
        (file_id, line_no, payment_id, partner_reference, biller_receipt, amount, currency, status, value_date)
      select ${fileId}::uuid, u.*
      from unnest(${lines}::int[], ${ids}::uuid[], ${refs}::text[], ${receipts}::text[], ${amounts}::bigint[],
                  ${currencies}::char(3)[], ${statuses}::text[], ${dates}::date[]) as u`.execute(db);
  }

  async find(db: Executor, fileId: string, line: number): Promise<StoredSourceRow | undefined> {
    const r = await db
      .selectFrom('recon_source_rows')
      .select([
        'file_id',
        'line_no',
        'payment_id',
        'partner_reference',
        'biller_receipt',
        'amount',
        'currency',
        'status',
        sql<string>`value_date::text`.as('value_date'),
      ])
      .where('file_id', '=', fileId)
      .where('line_no', '=', line)
      .executeTakeFirst();
    if (r === undefined) return undefined;
    return {
      fileId: r.file_id,
      line: r.line_no,
      paymentId: r.payment_id,
      partnerReference: r.partner_reference,
      billerReceipt: r.biller_receipt,
      amountMinor: BigInt(r.amount),
      currency: r.currency.trim(),
      status: r.status,
      valueDate: r.value_date,
    };
  }
}
