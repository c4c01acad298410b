import { sql } from 'kysely';
import { copyInOf, copyText } from '../../infrastructure/database/copy-in';
import type { Db, Executor } from '../db';
import { copyLine } from './csv-copy';
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

const COLUMNS = [
  'file_id',
  'line_no',
  'payment_id',
  'partner_reference',
  'biller_receipt',
  'amount',
  'currency',
  'status',
  'value_date',
] as const;

/**
 * recon_source_rows: the rows of every stored file in one shape. A file's rows go in by COPY (see
 * load), which is what loads a million-row file in a few seconds; COPY is plain PostgreSQL, so
 * Citus too.
 */
export class ReconSourceRowsRepository {
  /**
   * Streams a file's rows into the table inside the transaction `tx` of `db`, batch by batch as
   * they are read: by COPY where the database offers it (both engines opened by openDatabase),
   * otherwise by batched inserts.
   */
  async load(
    db: Db,
    tx: Executor,
    fileId: string,
    batches: AsyncIterable<readonly SourceRow[]>,
  ): Promise<void> {
    const copy = copyInOf(db);
    if (copy === undefined) {
      for await (const rows of batches) await this.insertBatch(tx, fileId, rows);
      return;
    }
    const text = async function* (): AsyncIterable<string> {
      const file = copyText(fileId);
      for await (const rows of batches) {
        let chunk = '';
        for (const r of rows) chunk += copyLine(file, r);
        yield chunk;
      }
    };
    await copy(tx, 'recon_source_rows', COLUMNS, text());
  }

  /** Whether `db` takes rows as COPY text (loadCopyText); both engines of openDatabase do. */
  takesCopyText(db: Db): boolean {
    return copyInOf(db) !== undefined;
  }

  /** Streams rows already in COPY text (see copyLine) into the table inside `tx` of `db`. */
  async loadCopyText(db: Db, tx: Executor, chunks: AsyncIterable<string>): Promise<void> {
    const copy = copyInOf(db);
    if (copy === undefined) throw new Error('this database takes no COPY text');
    await copy(tx, 'recon_source_rows', COLUMNS, chunks);
  }

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
