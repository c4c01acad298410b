import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { request } from 'undici';

/** One request of the load and what came back (status 0: no answer at all). */
export interface Exchange {
  readonly fault: string;
  readonly client: number;
  readonly node: string;
  readonly partner: 'demo-mfs' | 'demo-bank';
  readonly key: string;
  readonly body: Record<string, unknown>;
  readonly sentAt: number;
  answeredAt: number;
  status: number;
  paymentStatus?: string;
  paymentId?: string;
  error?: string;
}

const KEYS = { 'demo-mfs': 'demo-key-demo-mfs', 'demo-bank': 'demo-key-demo-bank' } as const;

export function bodyFor(partner: Exchange['partner'], n: number): Record<string, unknown> {
  return {
    billType: n % 3 === 0 ? 'WATER' : 'ELECTRICITY',
    billReference: `FAULT-${n}`,
    amount: `${1 + (n % 50)}.${String(n % 100).padStart(2, '0')}`,
    currency: 'BDT',
    payer:
      partner === 'demo-bank'
        ? { account: '1001000000001' }
        : { wallet: `0171${String(n).padStart(7, '0')}` },
    partnerReference: `fault-${n}`,
  };
}

/** POSTs one payment; never throws (a refused connection or a timeout is status 0). */
export async function send(
  nodeUrl: string,
  partner: Exchange['partner'],
  key: string,
  body: Record<string, unknown>,
  timeoutMs = 15_000,
): Promise<{ status: number; json: Record<string, unknown>; error?: string }> {
  try {
    const res = await request(`${nodeUrl}/bill/pay`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${KEYS[partner]}`,
        'idempotency-key': key,
        'content-type': 'application/json',
      },
      body: JSON.stringify(body),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const text = await res.body.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      /* not JSON */
    }
    return { status: res.statusCode, json };
  } catch (error) {
    return { status: 0, json: {}, error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Closed-loop clients with unique keys, spread over the nodes (client i starts on node i mod n and,
 * like a client behind an L4 balancer, moves to the next node when its node stops answering), one in three paying from a core-banking account. Every
 * request and its answer is kept and appended to `journalFile` as JSON lines.
 */
export class Load {
  readonly exchanges: Exchange[] = [];
  private running = false;
  private done: Promise<void> | undefined;
  private sequence = 0;
  fault = 'warm-up';

  constructor(
    private readonly nodes: readonly { name: string; url: string }[],
    private readonly clients: number,
    private readonly journalFile: string,
  ) {}

  start(): void {
    this.running = true;
    this.done = Promise.all(Array.from({ length: this.clients }, (_, i) => this.client(i))).then(
      () => undefined,
    );
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }

  /** Records a request sent outside the closed loop (a fault's own), answered through answered(). */
  track(node: string, partner: Exchange['partner'], body: Record<string, unknown>): Exchange {
    const x: Exchange = {
      fault: this.fault,
      client: -1,
      node,
      partner,
      key: randomUUID(),
      body,
      sentAt: Date.now(),
      answeredAt: 0,
      status: 0,
    };
    this.exchanges.push(x);
    return x;
  }

  answered(x: Exchange, res: Awaited<ReturnType<typeof send>>): void {
    x.answeredAt = Date.now();
    x.status = res.status;
    if (typeof res.json.status === 'string') x.paymentStatus = res.json.status;
    if (typeof res.json.id === 'string') x.paymentId = res.json.id;
    if (res.error !== undefined) x.error = res.error;
    appendFileSync(this.journalFile, JSON.stringify(x) + '\n');
  }

  private async client(i: number): Promise<void> {
    let n = i;
    const partner: Exchange['partner'] = i % 3 === 2 ? 'demo-bank' : 'demo-mfs';
    while (this.running) {
      const node = this.nodes[n % this.nodes.length]!;
      const seq = ++this.sequence;
      const key = randomUUID();
      const body = bodyFor(partner, seq);
      const x: Exchange = {
        fault: this.fault,
        client: i,
        node: node.name,
        partner,
        key,
        body,
        sentAt: Date.now(),
        answeredAt: 0,
        status: 0,
      };
      this.exchanges.push(x);
      const res = await send(node.url, partner, key, body);
      this.answered(x, res);
      // No answer at all: the balancer takes this client to the next node (the request itself stays
      // unanswered, retried with its key after the fault). A 5xx: back off a little.
      if (res.status === 0) n += 1;
      if (res.status === 0 || res.status >= 500) await new Promise((r) => setTimeout(r, 100));
    }
  }
}
