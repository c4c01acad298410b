import type { BillerEndpointsRepository } from '../../../domain/billers/biller-endpoints.repository';
import type { CreditorBillTypeLookup } from '../instructions';

/**
 * Creditor (biller) identification → bill type, for transactions without a bill-type purpose code.
 * A creditor's Id (Cdtr/Id/OrgId/Othr/Id...) names a biller by its endpoint id ("sim-water"), its
 * name ("Simulated water biller") or its bill type code ("WATER"), compared without case. Read from
 * the biller endpoints and kept for a short while: billers change rarely.
 */
export class CreditorDirectory {
  private byCreditor: ReadonlyMap<string, string> = new Map();
  private loadedAt = Number.NEGATIVE_INFINITY;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly endpoints: Pick<BillerEndpointsRepository, 'list'>,
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
    const rows = await this.endpoints.list();
    const map = new Map<string, string>();
    for (const r of rows) {
      map.set(r.billType.toUpperCase(), r.billType);
      map.set(r.billerName.toUpperCase(), r.billType);
    }
    // Endpoint ids last: they are the most specific name and win over a clash.
    for (const r of rows) map.set(r.id.toUpperCase(), r.billType);
    this.byCreditor = map;
    this.loadedAt = Date.now();
  }
}
