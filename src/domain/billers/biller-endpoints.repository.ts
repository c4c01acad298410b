import type { Executor } from '../db';

export interface BillerEndpointRecord {
  readonly id: string;
  readonly billerName: string;
  readonly billType: string;
  readonly url: string;
  readonly timeoutMs: number;
  /** How long "no such payment" at the biller may still mean "not yet" (status inquiries). */
  readonly statusWindowMs: number;
  readonly currency: string;
}

/** The biller_endpoints table: where each biller is, what it serves and how long it may take. */
export class BillerEndpointsRepository {
  constructor(private readonly db: Executor) {}

  /** Every endpoint (a few hundred rows at most: read whole and kept by the callers). */
  async list(db: Executor = this.db): Promise<BillerEndpointRecord[]> {
    const rows = await db
      .selectFrom('biller_endpoints')
      .select(['id', 'biller_name', 'bill_type', 'url', 'timeout_ms', 'status_window_ms', 'currency'])
      .execute();
    return rows.map((r) => ({
      id: r.id,
      billerName: r.biller_name,
      billType: r.bill_type,
      url: r.url,
      timeoutMs: r.timeout_ms,
      statusWindowMs: r.status_window_ms,
      currency: r.currency.trim(),
    }));
  }
}
