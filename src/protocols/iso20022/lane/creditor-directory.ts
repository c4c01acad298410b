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
    return lookupIn(this.byCreditor);
  }

  private async reload(): Promise<void> {
    const rows = await this.endpoints.list();
    const map = creditorMap(
      rows.map((r) => ({ id: r.id, biller_name: r.billerName, bill_type: r.billType })),
    );
    this.byCreditor = map;
    this.loadedAt = Date.now();
  }
}

/** A biller as the creditor lookup sees it (a row of biller_endpoints, or the demo's catalogue). */
export interface CreditorBiller {
  readonly id: string;
  readonly biller_name: string;
  readonly bill_type: string;
}

function creditorMap(billers: readonly CreditorBiller[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const r of billers) {
    map.set(r.bill_type.toUpperCase(), r.bill_type);
    map.set(r.biller_name.toUpperCase(), r.bill_type);
  }
  // Endpoint ids last: they are the most specific name and win over a clash.
  for (const r of billers) map.set(r.id.toUpperCase(), r.bill_type);
  return map;
}

function lookupIn(map: ReadonlyMap<string, string>): CreditorBillTypeLookup {
  return (creditorId) => map.get(creditorId.trim().toUpperCase());
}

/** The same lookup over a fixed list of billers: what `billgate iso20022` uses offline. */
export function creditorLookupOf(billers: readonly CreditorBiller[]): CreditorBillTypeLookup {
  return lookupIn(creditorMap(billers));
}
