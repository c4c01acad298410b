import type { Db } from '../db';

/**
 * The bill types billgate knows (one per biller family). Read often, changed rarely: kept in memory
 * and refreshed on a short interval so a new biller shows up without a restart.
 */
export class BillTypeCatalog {
  private codes = new Set<string>();
  private loadedAt = 0;

  constructor(
    private readonly db: Db,
    private readonly refreshMs = 10_000,
  ) {}

  async has(code: string): Promise<boolean> {
    if (
      Date.now() - this.loadedAt > this.refreshMs ||
      (!this.codes.has(code) && Date.now() - this.loadedAt > 1000)
    ) {
      await this.reload();
    }
    return this.codes.has(code);
  }

  async list(): Promise<string[]> {
    await this.reload();
    return [...this.codes].sort();
  }

  async reload(): Promise<void> {
    const rows = await this.db.selectFrom('bill_types').select('code').execute();
    this.codes = new Set(rows.map((r) => r.code));
    this.loadedAt = Date.now();
  }
}
