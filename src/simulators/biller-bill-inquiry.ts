import { createHash } from 'node:crypto';
import type { BillerSimulator } from './biller-simulator';

/**
 * The biller simulator's bill inquiry: `POST /billers/{billerId}/inquiries { billReference, currency }`
 * → 200 { billReference, customerName, amountDueMinor, currency, dueDate }. The amount billed is
 * derived from the reference (stable across restarts, BDT 100.00 to 5,099.99); what the biller's book
 * says was paid on the reference (and not reversed) is taken off it. Behaviour by reference as for
 * payments: UNKNOWN… → 404, DOWN… → 503, TIMEOUT… → held past the gateway's timeout.
 */
export function addBillInquiry(sim: BillerSimulator, hangMs = 30_000): void {
  sim.addRoute('POST', '/billers/:billerId/inquiries', ({ params, body }) => {
    const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const reference = typeof b.billReference === 'string' ? b.billReference : '';
    const currency = typeof b.currency === 'string' ? b.currency : 'BDT';
    if (reference === '') return { status: 400, body: { message: 'billReference required' } };
    const upper = reference.toUpperCase();
    if (upper.startsWith('UNKNOWN'))
      return { status: 404, body: { status: 'UNKNOWN', message: 'no such customer' } };
    if (upper.startsWith('DOWN')) return { status: 503, body: { status: 'UNAVAILABLE' } };
    if (upper.startsWith('TIMEOUT')) return { status: 504, body: { status: 'TIMEOUT' }, delayMs: hangMs };
    const digest = createHash('sha256')
      .update(`${params.billerId ?? ''}:${reference}`)
      .digest();
    const billed = 10_000n + (digest.readBigUInt64BE(0) % 500_000n);
    let paid = 0n;
    for (const bill of sim.book.all()) {
      if (bill.billReference === reference && !bill.reversed && /^[0-9]+$/.test(bill.amountMinor)) {
        paid += BigInt(bill.amountMinor);
      }
    }
    const due = billed > paid ? billed - paid : 0n;
    const dueDate = new Date(sim.now().getTime() + 10 * 86_400_000).toISOString().slice(0, 10);
    return {
      status: 200,
      body: {
        status: 'FOUND',
        billReference: reference,
        customerName: `Customer ${reference.slice(-4)}`,
        amountDueMinor: due.toString(),
        currency,
        dueDate,
      },
    };
  });
}
