import { sql } from 'kysely';
import type { Executor } from '../db';

export type FileSource = 'partner' | 'biller';
export type FileFormat = 'csv' | 'camt.053' | 'camt.054';
export type ReceivedVia = 'ops-upload' | 'partner-upload' | 'watched-directory' | 'scheduled-fetch' | 'cli';

/** A reconciliation file as stored: what it is, where it came from and how many rows it had. */
export interface ReconFile {
  readonly id: string;
  readonly sha256: string;
  readonly source: FileSource;
  readonly sourceId: string;
  readonly format: FileFormat;
  readonly businessDate: string;
  readonly rowCount: number;
  readonly byteSize: number;
  readonly fileName: string | null;
  readonly receivedVia: ReceivedVia;
  readonly receivedBy: string;
  readonly receivedAt: Date;
}

export type NewReconFile = Omit<ReconFile, 'receivedAt'>;

const COLUMNS = [
  'id',
  'sha256',
  'source',
  'source_id',
  'format',
  sql<string>`business_date::text`.as('business_date'),
  'row_count',
  'byte_size',
  'file_name',
  'received_via',
  'received_by',
  'received_at',
] as const;

type Row = {
  id: string;
  sha256: string;
  source: FileSource;
  source_id: string;
  format: FileFormat;
  business_date: string;
  row_count: number;
  byte_size: bigint;
  file_name: string | null;
  received_via: ReceivedVia;
  received_by: string;
  received_at: Date;
};

function fileOf(r: Row): ReconFile {
  return {
    id: r.id,
    sha256: r.sha256,
    source: r.source,
    sourceId: r.source_id,
    format: r.format,
    businessDate: r.business_date,
    rowCount: Number(r.row_count),
    byteSize: Number(r.byte_size),
    fileName: r.file_name,
    receivedVia: r.received_via,
    receivedBy: r.received_by,
    receivedAt: r.received_at,
  };
}

/** recon_files: one row per distinct file (by SHA-256, per source and business day). */
export class ReconFilesRepository {
  async insert(db: Executor, f: NewReconFile): Promise<void> {
    await db
      .insertInto('recon_files')
      .values({
        id: f.id,
        sha256: f.sha256,
        source: f.source,
        source_id: f.sourceId,
        format: f.format,
        business_date: f.businessDate,
        row_count: f.rowCount,
        byte_size: f.byteSize,
        file_name: f.fileName,
        received_via: f.receivedVia,
        received_by: f.receivedBy,
      })
      .execute();
  }

  /** The file already stored with these bytes for this source and business day. */
  async same(
    db: Executor,
    f: { source: FileSource; sourceId: string; businessDate: string; sha256: string },
  ): Promise<ReconFile | undefined> {
    const r = await db
      .selectFrom('recon_files')
      .select(COLUMNS)
      .where('source', '=', f.source)
      .where('source_id', '=', f.sourceId)
      .where('business_date', '=', f.businessDate)
      .where('sha256', '=', f.sha256)
      .executeTakeFirst();
    return r === undefined ? undefined : fileOf(r);
  }

  async byId(db: Executor, id: string): Promise<ReconFile | undefined> {
    const r = await db.selectFrom('recon_files').select(COLUMNS).where('id', '=', id).executeTakeFirst();
    return r === undefined ? undefined : fileOf(r);
  }

  async list(
    db: Executor,
    filter: { businessDate?: string; source?: FileSource; sourceId?: string; limit?: number },
  ): Promise<ReconFile[]> {
    let q = db.selectFrom('recon_files').select(COLUMNS);
    if (filter.businessDate !== undefined) q = q.where('business_date', '=', filter.businessDate);
    if (filter.source !== undefined) q = q.where('source', '=', filter.source);
    if (filter.sourceId !== undefined) q = q.where('source_id', '=', filter.sourceId);
    const rows = await q
      .orderBy('received_at', 'desc')
      .limit(Math.min(filter.limit ?? 200, 1000))
      .execute();
    return rows.map((r) => fileOf(r));
  }

  /**
   * The file each source counts with on a day: the one received last (a corrected file replaces the
   * one before it). Partner files optionally of one partner.
   */
  async current(db: Executor, businessDate: string, partnerId?: string): Promise<ReconFile[]> {
    let q = db
      .selectFrom('recon_files')
      .select(COLUMNS)
      .distinctOn(['source', 'source_id'])
      .where('business_date', '=', businessDate);
    if (partnerId !== undefined) {
      q = q.where((eb) => eb.or([eb('source', '=', 'biller'), eb('source_id', '=', partnerId)]));
    }
    const rows = await q
      .orderBy('source')
      .orderBy('source_id')
      .orderBy('received_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    return rows.map((r) => fileOf(r));
  }
}
