import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { demoBillerSecret } from '../demo/demo-biller-secrets';
import type { BillerSimulator } from './biller-simulator';

/**
 * A control endpoint that makes the simulated biller change its mind about a payment it was paid
 * for: `POST /billers/{billerId}/control/reversals` with `{ paymentId, gatewayUrl, reason? }`. The
 * biller signs a reversal with its secret (Standard Webhooks, as any biller must) and pushes it to
 * the gateway's `POST /billers/sim-{billerId}/reversals`; its book records the reversal once the
 * gateway accepts it. The gateway's answer is passed back. The reversal id is derived from the
 * payment, so repeating the control call repeats the same reversal.
 */
export function addReversalControl(sim: BillerSimulator): void {
  sim.addRoute('POST', '/billers/:billerId/control/reversals', async ({ params, body }) => {
    const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const paymentId = typeof b.paymentId === 'string' ? b.paymentId : '';
    const gatewayUrl = typeof b.gatewayUrl === 'string' ? b.gatewayUrl.replace(/\/+$/, '') : '';
    const reason = typeof b.reason === 'string' && b.reason.length > 0 ? b.reason : 'reversed by the biller';
    if (paymentId === '' || !/^https?:\/\//.test(gatewayUrl)) {
      return { status: 400, body: { message: 'paymentId and gatewayUrl (http[s]://...) required' } };
    }
    const bill = sim.book.find(paymentId);
    if (bill === undefined)
      return { status: 404, body: { message: 'this biller was not paid for that payment' } };
    const gatewayBillerId = `sim-${params.billerId ?? ''}`;
    const raw = JSON.stringify({
      reversalId: `${paymentId}:biller-reversal`,
      paymentId,
      receipt: bill.receipt,
      amountMinor: bill.amountMinor,
      currency: bill.currency,
      reason,
    });
    const id = `msg_${randomUUID()}`;
    const at = new Date();
    const res = await fetch(`${gatewayUrl}/billers/${gatewayBillerId}/reversals`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': new Webhook(demoBillerSecret(gatewayBillerId)).sign(id, at, raw),
      },
      body: raw,
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    let answer: unknown = text;
    try {
      answer = JSON.parse(text);
    } catch {
      // not JSON: passed back as text
    }
    if (res.status === 200) sim.book.markReversed(paymentId, sim.now(), reason);
    return { status: res.status === 200 ? 200 : 502, body: { gatewayStatus: res.status, gateway: answer } };
  });
}
