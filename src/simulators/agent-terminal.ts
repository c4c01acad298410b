import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

/** A payment the terminal took while offline, waiting to be synced. */
export interface QueuedPayment {
  readonly idempotencyKey: string;
  readonly capturedAt: string;
  readonly billType: string;
  readonly billReference: string;
  readonly amount: string;
  readonly currency: string;
  readonly partnerReference: string;
}

export interface CachedBill {
  readonly amountDue: string;
  readonly currency: string;
  readonly customerName: string | null;
  readonly at: string;
}

interface TerminalState {
  queue: QueuedPayment[];
  bills: Record<string, CachedBill>;
  allowance: { maxCount: number; maxTotal: string } | null;
}

export type TerminalPayResult =
  | { readonly kind: 'online'; readonly status: number; readonly body: Record<string, unknown> }
  | { readonly kind: 'queued'; readonly item: QueuedPayment }
  | { readonly kind: 'refused-offline'; readonly reason: string };

export interface AgentTerminalOptions {
  readonly gatewayUrl: string;
  /** The terminal's own device key (never the partner's API key). */
  readonly key: string;
  /** Where the queue and cached bills live across runs; memory when absent. */
  readonly stateFile?: string;
  readonly timeoutMs?: number;
  readonly now?: () => Date;
}

/**
 * Stands for an agent's terminal (a device in a shop on 3G): looks bills up and caches them, pays
 * online, and when the gateway cannot be reached (or it is told it is offline) queues payments within
 * its offline allowance, each with its own idempotency key and capture time, until it syncs. A sync
 * whose answer is lost leaves the queue as it was, so the same batch is simply sent again.
 */
export class AgentTerminal {
  private offline = false;
  private readonly state: TerminalState;
  private readonly now: () => Date;

  constructor(private readonly o: AgentTerminalOptions) {
    this.now = o.now ?? (() => new Date());
    this.state =
      o.stateFile !== undefined && existsSync(o.stateFile)
        ? (JSON.parse(readFileSync(o.stateFile, 'utf8')) as TerminalState)
        : { queue: [], bills: {}, allowance: null };
  }

  get queue(): readonly QueuedPayment[] {
    return this.state.queue;
  }

  goOffline(): void {
    this.offline = true;
  }

  goOnline(): void {
    this.offline = false;
  }

  cachedBill(billType: string, billReference: string): CachedBill | undefined {
    return this.state.bills[`${billType}:${billReference}`];
  }

  /** Reads the terminal's offline allowance from the gateway (kept for when it is offline). */
  async refresh(): Promise<void> {
    const r = await this.request('GET', '/agent/me');
    const allowance = (r.body as { offlineAllowance?: { maxCount: number; maxTotal: string } })
      .offlineAllowance;
    if (r.status === 200 && allowance !== undefined) {
      this.state.allowance = allowance;
      this.save();
    }
  }

  async lookup(
    billType: string,
    billReference: string,
    currency = 'BDT',
  ): Promise<{ source: 'biller' | 'cache'; bill: CachedBill } | { source: 'none'; status: number }> {
    const key = `${billType}:${billReference}`;
    if (!this.offline) {
      try {
        const q = new URLSearchParams({ billType, billReference, currency });
        const r = await this.request('GET', `/agent/bill/inquiry?${q.toString()}`);
        if (r.status !== 200) return { source: 'none', status: r.status };
        const b = r.body as { amountDue: string; currency: string; customerName: string | null };
        const bill = {
          amountDue: b.amountDue,
          currency: b.currency,
          customerName: b.customerName,
          at: this.now().toISOString(),
        };
        this.state.bills[key] = bill;
        this.save();
        return { source: 'biller', bill };
      } catch {
        // unreachable: fall back on the cache
      }
    }
    const cached = this.state.bills[key];
    return cached === undefined ? { source: 'none', status: 0 } : { source: 'cache', bill: cached };
  }

  async pay(
    billType: string,
    billReference: string,
    amount: string,
    currency = 'BDT',
  ): Promise<TerminalPayResult> {
    const item: QueuedPayment = {
      idempotencyKey: randomUUID(),
      capturedAt: this.now().toISOString(),
      billType,
      billReference,
      amount,
      currency,
      partnerReference: `term-${randomUUID().slice(0, 12)}`,
    };
    if (!this.offline) {
      try {
        const { idempotencyKey, capturedAt: _at, ...body } = item;
        const r = await this.request('POST', '/agent/pay', body, idempotencyKey);
        return { kind: 'online', status: r.status, body: r.body as Record<string, unknown> };
      } catch {
        // The gateway cannot be reached: the terminal goes on offline.
      }
    }
    return this.enqueue(item);
  }

  /** Sends the queue; answered items leave it (in-flight ones stay for the next sync). */
  async sync(): Promise<{ status: number; body: Record<string, unknown> }> {
    if (this.state.queue.length === 0) return { status: 204, body: { items: [] } };
    const r = await this.request('POST', '/agent/sync', { items: this.state.queue });
    if (r.status === 200) {
      const answered = new Set(
        ((r.body as { items?: { idempotencyKey: string; outcome: string }[] }).items ?? [])
          .filter((i) => i.outcome !== 'in-flight')
          .map((i) => i.idempotencyKey),
      );
      this.state.queue = this.state.queue.filter((q) => !answered.has(q.idempotencyKey));
      this.save();
    }
    return { status: r.status, body: r.body as Record<string, unknown> };
  }

  private enqueue(item: QueuedPayment): TerminalPayResult {
    const a = this.state.allowance;
    if (a === null) return { kind: 'refused-offline', reason: 'no offline allowance known' };
    const total = [...this.state.queue, item].reduce((sum, q) => sum + minor(q.amount), 0n);
    if (this.state.queue.length + 1 > a.maxCount || total > minor(a.maxTotal)) {
      return { kind: 'refused-offline', reason: 'offline allowance used up: sync first' };
    }
    this.state.queue.push(item);
    this.save();
    return { kind: 'queued', item };
  }

  private async request(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    idempotencyKey?: string,
  ): Promise<{ status: number; body: unknown }> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.o.key}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
    const res = await fetch(this.o.gatewayUrl.replace(/\/+$/, '') + path, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(this.o.timeoutMs ?? 10_000),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text.length > 0 ? JSON.parse(text) : {};
    } catch {
      parsed = { text };
    }
    return { status: res.status, body: parsed };
  }

  private save(): void {
    if (this.o.stateFile === undefined) return;
    const tmp = `${this.o.stateFile}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.state, null, 2));
    renameSync(tmp, this.o.stateFile);
  }
}

/** "1250.50" → 125050 (two minor digits, as BDT); the gateway checks amounts properly. */
function minor(amount: string): bigint {
  const [whole = '0', fraction = ''] = amount.split('.');
  return BigInt(whole) * 100n + BigInt(fraction.padEnd(2, '0').slice(0, 2) || '0');
}
