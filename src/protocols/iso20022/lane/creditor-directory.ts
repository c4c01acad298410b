import type { Db } from '../../../domain/db';
import type { CreditorBillTypeLookup } from '../instructions';

/**
 * Creditor (biller) identification → bill type, for transactions without a bill-type purpose code.
 * A creditor's Id (Cdtr/Id/OrgId/Othr/Id...) names a biller by its endpoint id ("sim-water"), its
 * name ("Simulated water biller") or its bill type code ("WATER"), compared without case. Read from
 * biller_endpoints and kept for a short while: billers change rarely.
 */
export class CreditorDirectory {
  private byCreditor: ReadonlyMap<string, string> = new Map();
  private loadedAt = Number.NEGATIVE_INFINITY;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly db: Db,
    private readonly refreshMs = 30_000,
  ) {}

  /** A synchronous lookup over a fresh-enough snapshot (the instructions are built synchronously). */
  async lookup(): Promise<CreditorBillTypeLookup> {
    if (Date.now() - this.loadedAt > this.refreshMs) {
      this.loading ??= this.reload().finally(() => {
        this.loading = undefined;
      });
      await this.loading;
    }
    const snapshot = this.byCreditor;
    return (creditorId) => snapshot.get(creditorId.trim().toUpperCase());
  }

  private async reload(): Promise<void> {
    const rows = await this.db
      .selectFrom('biller_endpoints')
      .select(['id', 'biller_name', 'bill_type'])
      .execute();
    const map = new Map<string, string>();
    for (const r of rows) {
      map.set(r.bill_type.toUpperCase(), r.bill_type);
      map.set(r.biller_name.toUpperCase(), r.bill_type);
    }
    // Endpoint ids last: they are the most specific name and win over a clash.
    for (const r of rows) map.set(r.id.toUpperCase(), r.bill_type);
    this.byCreditor = map;
    this.loadedAt = Date.now();
  }
}
