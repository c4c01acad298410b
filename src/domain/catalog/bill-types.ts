import type { Db } from '../db';

/**
 * The bill types billgate knows (one per biller family). Read on every payment, changed rarely: kept
 * in memory and reloaded every few seconds, or at once when a code is not found, so a new biller
 * shows up without a restart and a typo never costs more than one query a second.
 */
export class BillTypeCatalog {
  private codes = new Set<string>();
  private loadedAt = 0;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly db: Db,
    private readonly refreshMs = 10_000,
  ) {}

  async has(code: string): Promise<boolean> {
    const age = Date.now() - this.loadedAt;
    if (age > this.refreshMs || (!this.codes.has(code) && age > 1000)) await this.reload();
    return this.codes.has(code);
  }

  /** The known codes, from memory unless the copy is older than the refresh interval. */
  async snapshot(): Promise<ReadonlySet<string>> {
    if (Date.now() - this.loadedAt > this.refreshMs) await this.reload();
    return this.codes;
  }

  async list(): Promise<string[]> {
    return [...(await this.snapshot())].sort();
  }

  reload(): Promise<void> {
    this.loading ??= this.db
      .selectFrom('bill_types')
      .select('code')
      .execute()
      .then((rows) => {
        this.codes = new Set(rows.map((r) => r.code));
        this.loadedAt = Date.now();
      })
      .finally(() => {
        this.loading = undefined;
      });
    return this.loading;
  }
}
