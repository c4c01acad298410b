import { JsonServer } from './json-server';

export interface BillerSimulatorOptions {
  /** How long a SLOW-… reference takes to be answered. */
  readonly slowMs?: number;
  /** How long a TIMEOUT-… reference is held before any answer (longer than any biller timeout). */
  readonly hangMs?: number;
}

interface PaidBill {
  readonly receipt: string;
  readonly billReference: string;
  readonly amountMinor: string;
  reversed: boolean;
}

/**
 * The endpoint of one biller hosted by a biller simulator listening at baseUrl (in this process or
 * its own, `billgate simulators`): `{baseUrl}/billers/{billerId}`.
 */
export function billerSimulatorEndpoint(baseUrl: string, billerId: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/billers/${billerId}`;
}

/**
 * Stands in for billers (electricity, water, gas companies) on loopback. Behaviour is chosen by the
 * bill reference, so tests and demos can provoke every outcome (documented in the README):
 *   DECLINE…  → 422 declined          UNKNOWN… → 404 unknown bill reference
 *   SLOW…     → approved after slowMs TIMEOUT… → held past the biller timeout
 *   DOWN…     → 503 unavailable       anything else → approved with a receipt
 * A repeated payment id is answered with the original receipt, as a real biller must.
 */
export class BillerSimulator {
  private readonly server: JsonServer;
  private readonly paid = new Map<string, PaidBill>();
  private sequence = 0;
  url = '';

  constructor(private readonly options: BillerSimulatorOptions = {}) {
    this.server = new JsonServer((method, path, body) => this.handle(method, path, body));
  }

  async start(port = 0): Promise<string> {
    this.url = await this.server.listen(port);
    return this.url;
  }

  stop(): Promise<void> {
    return this.server.close();
  }

  /** The biller endpoint URL for one biller hosted by this simulator. */
  endpoint(billerId: string): string {
    return billerSimulatorEndpoint(this.url, billerId);
  }

  paidBill(paymentId: string): Readonly<PaidBill> | undefined {
    return this.paid.get(paymentId);
  }

  get paidCount(): number {
    return this.paid.size;
  }

  private handle(
    method: string,
    path: string[],
    body: unknown,
  ): { status: number; body: unknown; delayMs?: number } {
    if (method === 'GET' && path[0] === 'health') return { status: 200, body: { status: 'ok' } };
    // /billers/{biller}/payments[/{id}/reversal]
    if (method !== 'POST' || path[0] !== 'billers' || path[2] !== 'payments' || path[1] === undefined) {
      return { status: 404, body: { message: 'no such route' } };
    }
    const biller = path[1].toUpperCase();
    if (path.length === 5 && path[4] === 'reversal') {
      const bill = this.paid.get(path[3] ?? '');
      if (bill === undefined) return { status: 404, body: { message: 'unknown payment' } };
      bill.reversed = true;
      return { status: 200, body: { status: 'REVERSED', receipt: bill.receipt } };
    }
    if (path.length !== 3) return { status: 404, body: { message: 'no such route' } };

    const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const paymentId = typeof b.paymentId === 'string' ? b.paymentId : '';
    const reference = typeof b.billReference === 'string' ? b.billReference : '';
    if (paymentId === '' || reference === '')
      return { status: 400, body: { message: 'paymentId and billReference required' } };

    const previous = this.paid.get(paymentId);
    if (previous !== undefined) return { status: 200, body: { status: 'PAID', receipt: previous.receipt } };

    const upper = reference.toUpperCase();
    if (upper.startsWith('DECLINE'))
      return { status: 422, body: { status: 'DECLINED', message: 'bill already settled' } };
    if (upper.startsWith('UNKNOWN'))
      return { status: 404, body: { status: 'UNKNOWN', message: 'no such customer' } };
    if (upper.startsWith('DOWN')) return { status: 503, body: { status: 'UNAVAILABLE' } };
    if (upper.startsWith('TIMEOUT'))
      return { status: 504, body: { status: 'TIMEOUT' }, delayMs: this.options.hangMs ?? 30_000 };

    this.sequence += 1;
    const receipt = `${biller}-${String(this.sequence).padStart(8, '0')}`;
    this.paid.set(paymentId, {
      receipt,
      billReference: reference,
      amountMinor: typeof b.amountMinor === 'string' ? b.amountMinor : '',
      reversed: false,
    });
    const answer = { status: 200, body: { status: 'PAID', receipt } };
    return upper.startsWith('SLOW') ? { ...answer, delayMs: this.options.slowMs ?? 300 } : answer;
  }
}
