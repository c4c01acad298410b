import { BillerBook, type PaidBill } from './biller-book';
import { JsonServer, type JsonAnswer } from './json-server';
import { SimulatorRoutes, type SimulatorRouteHandler } from './simulator-routes';

export interface BillerSimulatorOptions {
  /** How long a SLOW-… reference takes to be answered. */
  readonly slowMs?: number;
  /** How long a TIMEOUT-… reference is held before any answer (longer than any biller timeout). */
  readonly hangMs?: number;
  /** Where the biller keeps its book across restarts (BILLER_SIMULATOR_STATE_DIR); memory when absent. */
  readonly stateDir?: string;
  /** The biller's own clock (tests move business days with it). */
  readonly now?: () => Date;
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
 *   SLOW…     → approved after slowMs DOWN…    → 503 unavailable
 *   TIMEOUT…  → held past the biller timeout, and never paid (the request was lost on the way)
 *   LATE…     → paid at once, the answer held past the biller timeout (the answer was lost)
 *   anything else → approved with a receipt
 * A repeated payment id is answered with the original receipt, as a real biller must; the status of
 * a payment is asked by our payment id (GET …/payments/{id}: PAID, REVERSED, or 404). What it was
 * paid and what was reversed is kept in its BillerBook; further capabilities add their endpoints
 * with addRoute.
 */
export class BillerSimulator {
  private readonly server: JsonServer;
  private readonly routes = new SimulatorRoutes();
  readonly book: BillerBook;
  readonly now: () => Date;
  url = '';

  constructor(private readonly options: BillerSimulatorOptions = {}) {
    this.book = new BillerBook(options.stateDir);
    this.now = options.now ?? (() => new Date());
    this.server = new JsonServer(
      (method, path, body, query) =>
        this.routes.dispatch(method, path, body, query) ?? this.handle(method, path, body),
    );
  }

  /** Adds an endpoint (`/billers/:billerId/...`); added routes are matched before the built-in ones. */
  addRoute(method: string, pattern: string, handler: SimulatorRouteHandler): void {
    this.routes.add(method, pattern, handler);
  }

  /** Listens on loopback unless told otherwise (`billgate simulators --host 0.0.0.0` in a container). */
  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    this.url = await this.server.listen(port, host);
    return this.url;
  }

  stop(): Promise<void> {
    return this.server.close();
  }

  /** The biller endpoint URL for one biller hosted by this simulator. */
  endpoint(billerId: string): string {
    return billerSimulatorEndpoint(this.url, billerId);
  }

  paidBill(paymentId: string): PaidBill | undefined {
    return this.book.find(paymentId);
  }

  get paidCount(): number {
    return this.book.size;
  }

  private handle(method: string, path: string[], body: unknown): JsonAnswer {
    if (method === 'GET' && path[0] === 'health') return { status: 200, body: { status: 'ok' } };
    // GET /billers/{biller}/payments/{id}: what the biller holds under our payment id
    if (method === 'GET' && path[0] === 'billers' && path[2] === 'payments' && path.length === 4) {
      return this.status(path[3] ?? '');
    }
    // /billers/{biller}/payments[/{id}/reversal]
    if (method !== 'POST' || path[0] !== 'billers' || path[2] !== 'payments' || path[1] === undefined) {
      return { status: 404, body: { message: 'no such route' } };
    }
    const biller = path[1].toUpperCase();
    if (path.length === 5 && path[4] === 'reversal') {
      const bill = this.book.markReversed(path[3] ?? '', this.now());
      if (bill === undefined) return { status: 404, body: { message: 'unknown payment' } };
      return { status: 200, body: { status: 'REVERSED', receipt: bill.receipt } };
    }
    if (path.length !== 3) return { status: 404, body: { message: 'no such route' } };

    const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const paymentId = typeof b.paymentId === 'string' ? b.paymentId : '';
    const reference = typeof b.billReference === 'string' ? b.billReference : '';
    if (paymentId === '' || reference === '')
      return { status: 400, body: { message: 'paymentId and billReference required' } };

    const previous = this.book.find(paymentId);
    if (previous !== undefined) return { status: 200, body: { status: 'PAID', receipt: previous.receipt } };

    const upper = reference.toUpperCase();
    if (upper.startsWith('DECLINE'))
      return { status: 422, body: { status: 'DECLINED', message: 'bill already settled' } };
    if (upper.startsWith('UNKNOWN'))
      return { status: 404, body: { status: 'UNKNOWN', message: 'no such customer' } };
    if (upper.startsWith('DOWN')) return { status: 503, body: { status: 'UNAVAILABLE' } };
    if (upper.startsWith('TIMEOUT'))
      return { status: 504, body: { status: 'TIMEOUT' }, delayMs: this.options.hangMs ?? 30_000 };

    // LATE…: the biller takes the payment, its answer arrives after the gateway stopped waiting.
    const late = upper.startsWith('LATE');
    const receipt = this.book.nextReceipt(biller);
    this.book.recordPaid({
      paymentId,
      billerId: biller,
      receipt,
      billReference: reference,
      amountMinor: typeof b.amountMinor === 'string' ? b.amountMinor : '',
      currency: typeof b.currency === 'string' ? b.currency : '',
      paidAt: this.now(),
    });
    const answer = { status: 200, body: { status: 'PAID', receipt } };
    if (late) return { ...answer, delayMs: this.options.hangMs ?? 30_000 };
    return upper.startsWith('SLOW') ? { ...answer, delayMs: this.options.slowMs ?? 300 } : answer;
  }

  private status(paymentId: string): JsonAnswer {
    const bill = this.book.find(paymentId);
    if (bill === undefined) return { status: 404, body: { status: 'NOT_FOUND' } };
    return {
      status: 200,
      body: {
        status: bill.reversed ? 'REVERSED' : 'PAID',
        receipt: bill.receipt,
        amountMinor: bill.amountMinor,
        currency: bill.currency,
        paidAt: bill.paidAt.toISOString(),
        reversedAt: bill.reversedAt?.toISOString() ?? null,
      },
    };
  }
}
