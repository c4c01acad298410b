import type { Executor } from '../db';
import { billerPostingFileSchema, type BillerPostingFile } from './layout';

export interface BillerReconConfig {
  readonly billerId: string;
  readonly postingFile: BillerPostingFile;
  readonly updatedBy: string;
  readonly updatedAt: Date;
}

/** recon_biller_configs: each biller's posting-file layout and fetch schedule (validated on write). */
export class ReconBillerConfigsRepository {
  async put(
    db: Executor,
    billerId: string,
    postingFile: BillerPostingFile,
    actor: string,
    now: Date,
  ): Promise<void> {
    await db
      .insertInto('recon_biller_configs')
      .values({
        biller_id: billerId,
        posting_file: JSON.stringify(postingFile),
        updated_by: actor,
        updated_at: now,
      })
      .onConflict((oc) =>
        oc.column('biller_id').doUpdateSet({
          posting_file: JSON.stringify(postingFile),
          updated_by: actor,
          updated_at: now,
        }),
      )
      .execute();
  }

  async get(db: Executor, billerId: string): Promise<BillerReconConfig | undefined> {
    const r = await db
      .selectFrom('recon_biller_configs')
      .selectAll()
      .where('biller_id', '=', billerId)
      .executeTakeFirst();
    return r === undefined ? undefined : configOf(r);
  }

  async all(db: Executor): Promise<BillerReconConfig[]> {
    const rows = await db.selectFrom('recon_biller_configs').selectAll().orderBy('biller_id').execute();
    return rows.map(configOf);
  }
}

function configOf(r: {
  biller_id: string;
  posting_file: Record<string, unknown>;
  updated_by: string;
  updated_at: Date;
}): BillerReconConfig {
  return {
    billerId: r.biller_id,
    postingFile: billerPostingFileSchema.parse(r.posting_file),
    updatedBy: r.updated_by,
    updatedAt: r.updated_at,
  };
}
