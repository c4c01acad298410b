import { sql } from 'kysely';
import type { Db } from '../db';
import { formatMajorAmount } from '../money/money';
import { dayWindow } from './business-day';

/** One movement of a partner's settlement position on a day, as the ledger recorded it. */
export interface StatementLine {
  readonly settlementAccount: string;
  readonly journalEntryId: string;
  readonly kind: 'payment' | 'reversal';
  readonly paymentId: string;
  readonly partnerReference: string;
  readonly billerReceipt: string | null;
  readonly billType: string;
  readonly amountMinor: bigint;
  readonly currency: string;
  /** DBIT: the partner owes it (a payment made for it); CRDT: it is owed back (a reversal). */
  readonly direction: 'DBIT' | 'CRDT';
  readonly bookedAt: Date;
}

export interface StatementTotals {
  readonly settlementAccount: string;
  readonly currency: string;
  readonly payments: number;
  readonly reversals: number;
  readonly debitsMinor: bigint;
  readonly creditsMinor: bigint;
  /** Debits minus credits: what the partner owes on this account for the day (negative: is owed). */
  readonly netMinor: bigint;
}

export interface StatementHeader {
  readonly partnerId: string;
  readonly businessDate: string;
  readonly timeZone: string;
  readonly from: Date;
  readonly to: Date;
  readonly totals: readonly StatementTotals[];
}

/**
 * Our own settlement statement for a partner and a business day: every payment and reversal journal
 * of the partner's payments booked in the day, per settlement account, with the net the partner owes
 * or is owed. Read from the ledger's journals, so it says what our books say. Lines stream in pages.
 */
export class SettlementStatements {
  constructor(
    private readonly db: Db,
    private readonly timeZone: string,
  ) {}

  async header(partnerId: string, businessDate: string): Promise<StatementHeader> {
    const { start, end } = dayWindow(businessDate, this.timeZone);
    const { rows } = await sql<{
      settlement_account: string;
      currency: string;
      payments: bigint;
      reversals: bigint;
      debits: bigint;
      credits: bigint;
    }>`
      select p.settlement_account, p.currency,
             count(*) filter (where e.kind = 'payment')::bigint as payments,
             count(*) filter (where e.kind = 'reversal')::bigint as reversals,
             coalesce(sum(p.amount) filter (where e.kind = 'payment'), 0)::bigint as debits,
             coalesce(sum(p.amount) filter (where e.kind = 'reversal'), 0)::bigint as credits
      from journal_entries e join payments p on p.id = e.payment_id
      where p.partner_id = ${partnerId} and e.kind in ('payment', 'reversal')
        and e.created_at >= ${start} and e.created_at < ${end} and p.settlement_account is not null
      group by p.settlement_account, p.currency
      order by p.settlement_account`.execute(this.db);
    return {
      partnerId,
      businessDate,
      timeZone: this.timeZone,
      from: start,
      to: end,
      totals: rows.map((r) => ({
        settlementAccount: r.settlement_account,
        currency: r.currency.trim(),
        payments: Number(r.payments),
        reversals: Number(r.reversals),
        debitsMinor: BigInt(r.debits),
        creditsMinor: BigInt(r.credits),
        netMinor: BigInt(r.debits) - BigInt(r.credits),
      })),
    };
  }

  /** The lines of one settlement account, in booking order, a page at a time. */
  async *lines(
    header: StatementHeader,
    settlementAccount: string,
    pageSize = 5_000,
  ): AsyncIterable<StatementLine> {
    let after = 0n;
    for (;;) {
      const { rows } = await sql<{
        id: bigint;
        kind: 'payment' | 'reversal';
        created_at: Date;
        payment_id: string;
        partner_reference: string;
        biller_receipt: string | null;
        bill_type: string;
        amount: bigint;
        currency: string;
      }>`
        select e.id, e.kind, e.created_at, p.id as payment_id, p.partner_reference, p.biller_receipt, p.bill_type,
               p.amount, p.currency
        from journal_entries e join payments p on p.id = e.payment_id
        where p.partner_id = ${header.partnerId} and e.kind in ('payment', 'reversal')
          and e.created_at >= ${header.from} and e.created_at < ${header.to}
          and p.settlement_account = ${settlementAccount} and e.id > ${after}
        order by e.id limit ${pageSize}`.execute(this.db);
      for (const r of rows) {
        yield {
          settlementAccount,
          journalEntryId: String(r.id),
          kind: r.kind,
          paymentId: r.payment_id,
          partnerReference: r.partner_reference,
          billerReceipt: r.biller_receipt,
          billType: r.bill_type,
          amountMinor: BigInt(r.amount),
          currency: r.currency.trim(),
          direction: r.kind === 'payment' ? 'DBIT' : 'CRDT',
          bookedAt: new Date(r.created_at),
        };
      }
      if (rows.length < pageSize) return;
      after = BigInt(rows[rows.length - 1]!.id);
    }
  }

  /** The statement as CSV: one line per movement, then one `net` line per settlement account. */
  async *csv(partnerId: string, businessDate: string): AsyncIterable<string> {
    const header = await this.header(partnerId, businessDate);
    yield 'settlement_account,kind,payment_id,partner_reference,biller_receipt,bill_type,direction,amount,currency,booked_at\n';
    for (const t of header.totals) {
      for await (const l of this.lines(header, t.settlementAccount)) {
        yield (
          [
            l.settlementAccount,
            l.kind,
            l.paymentId,
            csvCell(l.partnerReference),
            csvCell(l.billerReceipt ?? ''),
            l.billType,
            l.direction,
            formatMajorAmount(l.amountMinor, l.currency),
            l.currency,
            l.bookedAt.toISOString(),
          ].join(',') + '\n'
        );
      }
    }
    for (const t of header.totals) {
      const net = t.netMinor < 0n ? -t.netMinor : t.netMinor;
      yield (
        [
          t.settlementAccount,
          'net',
          '',
          `payments=${t.payments}`,
          `reversals=${t.reversals}`,
          '',
          t.netMinor < 0n ? 'CRDT' : 'DBIT',
          formatMajorAmount(net, t.currency),
          t.currency,
          '',
        ].join(',') + '\n'
      );
    }
  }
}

/** A CSV cell, quoted when it holds a delimiter, a quote or a line break; formula starts are defused. */
export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
