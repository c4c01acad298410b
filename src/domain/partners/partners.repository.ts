import type { Db } from '../db';
import { asPartnerKind, isPayerType, type Partner } from './partner';

/** Partner records, remembered briefly: they change rarely and are read on every message of a TCP lane. */
export class PartnersRepository {
  private readonly cache = new Map<string, { partner: Partner | undefined; until: number }>();

  constructor(
    private readonly db: Db,
    private readonly cacheMs = 5_000,
  ) {}

  async findById(id: string): Promise<Partner | undefined> {
    const now = Date.now();
    const hit = this.cache.get(id);
    if (hit !== undefined && hit.until > now) return hit.partner;
    const row = await this.db
      .selectFrom('partners')
      .select(['id', 'name', 'kind', 'payer_types', 'status'])
      .where('id', '=', id)
      .executeTakeFirst();
    const partner: Partner | undefined =
      row === undefined
        ? undefined
        : {
            id: row.id,
            name: row.name,
            kind: asPartnerKind(row.kind),
            payerTypes: row.payer_types.filter(isPayerType),
            status: row.status,
          };
    this.cache.set(id, { partner, until: now + this.cacheMs });
    return partner;
  }

  async listIds(): Promise<string[]> {
    return (await this.db.selectFrom('partners').select('id').orderBy('id').execute()).map((r) => r.id);
  }
}
