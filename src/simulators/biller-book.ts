import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One bill a simulated biller was paid for, as the biller itself keeps it. */
export interface PaidBill {
  readonly paymentId: string;
  /** The biller id from the URL (`/billers/{billerId}/payments`), upper-cased as in receipts. */
  readonly billerId: string;
  readonly receipt: string;
  readonly billReference: string;
  /** Decimal string of minor units, as the gateway sent it. */
  readonly amountMinor: string;
  readonly currency: string;
  readonly paidAt: Date;
  readonly reversed: boolean;
  readonly reversedAt: Date | null;
  readonly reversalReason: string | null;
}

type BookEvent =
  | {
      readonly type: 'paid';
      readonly paymentId: string;
      readonly billerId: string;
      readonly receipt: string;
      readonly billReference: string;
      readonly amountMinor: string;
      readonly currency: string;
      readonly at: string;
    }
  | { readonly type: 'reversed'; readonly paymentId: string; readonly at: string; readonly reason?: string };

const FILE = 'biller-book.jsonl';

/**
 * What a simulated biller was told, kept the way an outside party keeps its own records: across its
 * own restarts, independent of the gateway's database. With a state directory every change is
 * appended to a JSON-lines file (written synchronously before the biller answers, so an answer is
 * never given for something the book could lose) and replayed on start; without one the book lives
 * in memory, as the tests' and benchmarks' simulators do.
 */
export class BillerBook {
  private readonly bills = new Map<string, PaidBill>();
  private sequence = 0;
  private readonly file: string | undefined;

  constructor(stateDir?: string) {
    if (stateDir === undefined) return;
    mkdirSync(stateDir, { recursive: true });
    this.file = join(stateDir, FILE);
    let text = '';
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    for (const line of text.split('\n')) {
      // A torn last line (the simulator killed mid-write) was never answered: drop it.
      if (line.trim() === '') continue;
      let event: BookEvent;
      try {
        event = JSON.parse(line) as BookEvent;
      } catch {
        continue;
      }
      this.apply(event);
    }
  }

  find(paymentId: string): PaidBill | undefined {
    return this.bills.get(paymentId);
  }

  /** Every bill in the order it was paid. */
  all(): readonly PaidBill[] {
    return [...this.bills.values()];
  }

  get size(): number {
    return this.bills.size;
  }

  /** The next receipt number: unique across the simulator's restarts. */
  nextReceipt(billerId: string): string {
    return `${billerId.toUpperCase()}-${String(this.sequence + 1).padStart(8, '0')}`;
  }

  recordPaid(bill: Omit<PaidBill, 'reversed' | 'reversedAt' | 'reversalReason'>): PaidBill {
    this.write({
      type: 'paid',
      paymentId: bill.paymentId,
      billerId: bill.billerId,
      receipt: bill.receipt,
      billReference: bill.billReference,
      amountMinor: bill.amountMinor,
      currency: bill.currency,
      at: bill.paidAt.toISOString(),
    });
    return this.bills.get(bill.paymentId)!;
  }

  /** Marks a paid bill reversed (once: a second reversal keeps the first one's time and reason). */
  markReversed(paymentId: string, at: Date, reason?: string): PaidBill | undefined {
    const bill = this.bills.get(paymentId);
    if (bill === undefined) return undefined;
    if (!bill.reversed) {
      this.write({ type: 'reversed', paymentId, at: at.toISOString(), ...(reason ? { reason } : {}) });
    }
    return this.bills.get(paymentId);
  }

  private write(event: BookEvent): void {
    if (this.file !== undefined) appendFileSync(this.file, `${JSON.stringify(event)}\n`);
    this.apply(event);
  }

  private apply(event: BookEvent): void {
    if (event.type === 'paid') {
      if (this.bills.has(event.paymentId)) return;
      this.sequence += 1;
      this.bills.set(event.paymentId, {
        paymentId: event.paymentId,
        billerId: event.billerId,
        receipt: event.receipt,
        billReference: event.billReference,
        amountMinor: event.amountMinor,
        currency: event.currency,
        paidAt: new Date(event.at),
        reversed: false,
        reversedAt: null,
        reversalReason: null,
      });
      return;
    }
    const bill = this.bills.get(event.paymentId);
    if (bill === undefined || bill.reversed) return;
    this.bills.set(event.paymentId, {
      ...bill,
      reversed: true,
      reversedAt: new Date(event.at),
      reversalReason: event.reason ?? null,
    });
  }
}
