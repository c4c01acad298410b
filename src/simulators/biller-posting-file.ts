import type { PaidBill } from './biller-book';
import type { BillerSimulator } from './biller-simulator';

/** A fault the biller's next posting files carry, as a real biller's back office sometimes does. */
export type PostingFault =
  | { readonly paymentId: string; readonly kind: 'drop' }
  | { readonly paymentId: string; readonly kind: 'amount'; readonly amountMinor: string }
  | { readonly paymentId: string; readonly kind: 'status'; readonly status?: 'PAID' | 'FAILED' | 'REVERSED' }
  | { readonly paymentId: string; readonly kind: 'date'; readonly shiftDays?: number };

const HEADER = 'receipt,payment_id,bill_reference,amount,currency,status,posted_on';
const MINOR_DIGITS: Readonly<Record<string, number>> = { JPY: 0, KRW: 0, BHD: 3, KWD: 3, OMR: 3 };

function decimal(minor: string, currency: string): string {
  const digits = MINOR_DIGITS[currency] ?? 2;
  if (!/^\d+$/.test(minor)) return minor;
  if (digits === 0) return minor;
  const padded = minor.padStart(digits + 1, '0');
  return `${padded.slice(0, -digits)}.${padded.slice(-digits)}`;
}

function dayOf(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(at);
}

function shift(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

function cell(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * The biller's daily posting file, made from its own book: every bill it was paid on the business
 * day (in `timeZone`, Asia/Dhaka by default), with its receipt, our payment id, the amount it booked
 * and its status as the biller knows it when the file is made (REVERSED once it has reversed it).
 *
 *   GET    /billers/{billerId}/posting-file?date=YYYY-MM-DD[&timeZone=…]   text/csv
 *   PUT    /billers/{billerId}/control/posting-faults {faults: [...]}      the faults later files carry
 *   DELETE /billers/{billerId}/control/posting-faults
 *
 * Faults (per payment): `drop` the posting, change its `amount`, flip its `status` (PAID → FAILED by
 * default, REVERSED → PAID), shift its `date` (one day later by default), so a demo or a test can
 * provoke every break code against what the biller was really paid.
 */
export function addPostingFile(sim: BillerSimulator): void {
  const faults = new Map<string, PostingFault[]>();

  sim.addRoute('GET', '/billers/:billerId/posting-file', ({ params, query }) => {
    const biller = (params.billerId ?? '').toUpperCase();
    const date = query.get('date') ?? '';
    const timeZone = query.get('timeZone') ?? 'Asia/Dhaka';
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date))
      return { status: 400, body: { message: 'date=YYYY-MM-DD required' } };
    try {
      new Intl.DateTimeFormat('en-US', { timeZone });
    } catch {
      return { status: 400, body: { message: `unknown timeZone ${timeZone}` } };
    }
    const byPayment = new Map((faults.get(biller) ?? []).map((f) => [f.paymentId, f]));
    const lines = [HEADER];
    const bills = sim.book
      .all()
      .filter((b: PaidBill) => b.billerId === biller && dayOf(b.paidAt, timeZone) === date);
    for (const bill of bills) {
      const fault = byPayment.get(bill.paymentId);
      if (fault?.kind === 'drop') continue;
      const reversed = bill.reversed && bill.reversedAt !== null && bill.reversedAt <= sim.now();
      let status = reversed ? 'REVERSED' : 'PAID';
      let amount = bill.amountMinor;
      let postedOn = dayOf(bill.paidAt, timeZone);
      if (fault?.kind === 'amount') amount = fault.amountMinor;
      if (fault?.kind === 'status') status = fault.status ?? (status === 'PAID' ? 'FAILED' : 'PAID');
      if (fault?.kind === 'date') postedOn = shift(postedOn, fault.shiftDays ?? 1);
      lines.push(
        [
          bill.receipt,
          bill.paymentId,
          cell(bill.billReference),
          decimal(amount, bill.currency),
          bill.currency,
          status,
          postedOn,
        ].join(','),
      );
    }
    return { status: 200, body: `${lines.join('\n')}\n`, contentType: 'text/csv; charset=utf-8' };
  });

  sim.addRoute('PUT', '/billers/:billerId/control/posting-faults', ({ params, body }) => {
    const list =
      (typeof body === 'object' && body !== null ? (body as { faults?: unknown }).faults : undefined) ?? [];
    if (!Array.isArray(list)) return { status: 400, body: { message: 'faults: an array' } };
    const parsed: PostingFault[] = [];
    for (const f of list as Record<string, unknown>[]) {
      const paymentId = typeof f.paymentId === 'string' ? f.paymentId : '';
      if (paymentId === '') return { status: 400, body: { message: 'each fault names a paymentId' } };
      if (f.kind === 'drop') parsed.push({ paymentId, kind: 'drop' });
      else if (f.kind === 'amount' && typeof f.amountMinor === 'string' && /^\d+$/.test(f.amountMinor)) {
        parsed.push({ paymentId, kind: 'amount', amountMinor: f.amountMinor });
      } else if (
        f.kind === 'status' &&
        (f.status === undefined || f.status === 'PAID' || f.status === 'FAILED' || f.status === 'REVERSED')
      ) {
        parsed.push({
          paymentId,
          kind: 'status',
          ...(f.status !== undefined ? { status: f.status as 'PAID' } : {}),
        });
      } else if (f.kind === 'date' && (f.shiftDays === undefined || Number.isInteger(f.shiftDays))) {
        parsed.push({
          paymentId,
          kind: 'date',
          ...(f.shiftDays !== undefined ? { shiftDays: Number(f.shiftDays) } : {}),
        });
      } else {
        return {
          status: 400,
          body: { message: 'kind: drop | amount (amountMinor) | status (status?) | date (shiftDays?)' },
        };
      }
    }
    faults.set((params.billerId ?? '').toUpperCase(), parsed);
    return { status: 200, body: { faults: parsed } };
  });

  sim.addRoute('DELETE', '/billers/:billerId/control/posting-faults', ({ params }) => {
    faults.delete((params.billerId ?? '').toUpperCase());
    return { status: 200, body: { faults: [] } };
  });
}
