import type { Db } from '../db';
import { schedulesSchema } from '../partners/onboarding';
import type { ReconBillerConfigsRepository } from './biller-configs.repository';
import type { BillerPostingFile, PartnerReconciliation } from './layout';

/**
 * Where reconciliation reads its configuration: each partner's Operational Schedule (validated at
 * onboarding, so a stored one always parses) and each biller's posting-file configuration.
 */
export class ReconConfigs {
  constructor(
    private readonly db: Db,
    private readonly billers: ReconBillerConfigsRepository,
  ) {}

  /** The partner's reconciliation terms; undefined when it declares none, null when no such partner. */
  async partner(partnerId: string): Promise<PartnerReconciliation | undefined | null> {
    const row = await this.db
      .selectFrom('partners')
      .select(['schedules'])
      .where('id', '=', partnerId)
      .executeTakeFirst();
    if (row === undefined) return null;
    return schedulesSchema.safeParse(row.schedules ?? {}).data?.operational?.reconciliation;
  }

  /** Every partner that declares reconciliation terms. */
  async partners(): Promise<{ partnerId: string; recon: PartnerReconciliation }[]> {
    const rows = await this.db.selectFrom('partners').select(['id', 'schedules']).orderBy('id').execute();
    const out: { partnerId: string; recon: PartnerReconciliation }[] = [];
    for (const r of rows) {
      const recon = schedulesSchema.safeParse(r.schedules ?? {}).data?.operational?.reconciliation;
      if (recon !== undefined) out.push({ partnerId: r.id, recon });
    }
    return out;
  }

  async biller(billerId: string): Promise<BillerPostingFile | undefined> {
    return (await this.billers.get(this.db, billerId))?.postingFile;
  }

  async allBillers(): Promise<{ billerId: string; postingFile: BillerPostingFile }[]> {
    return (await this.billers.all(this.db)).map((c) => ({
      billerId: c.billerId,
      postingFile: c.postingFile,
    }));
  }
}
