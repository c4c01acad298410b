import { JsonServer } from './json-server';

interface Collection {
  readonly agentId: string;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly reference: string;
  reversed: boolean;
}

/**
 * Stands in for the agent banking core, the system of record of the bank's agents, on loopback.
 * Every cash collection at an agent is posted to it, idempotent by our payment id:
 *   POST /agents/{agentId}/collections { paymentId, amountMinor, currency } → 201 { reference }
 *   POST /agents/{agentId}/collections/{paymentId}/reversal                → 201 { reference }
 *   GET  /agents/{agentId}                  → { collectedMinor } (net of reversals)
 * An agent id starting with BLOCKED is refused (423); one starting with DOWN gets 503.
 */
export class AgentBankingCoreSimulator {
  private readonly server: JsonServer;
  private readonly collections = new Map<string, Collection>();
  private sequence = 0;
  url = '';

  constructor() {
    this.server = new JsonServer((method, path, body) => this.handle(method, path, body));
  }

  async start(port = 0): Promise<string> {
    this.url = await this.server.listen(port);
    return this.url;
  }

  stop(): Promise<void> {
    return this.server.close();
  }

  /** What the core has recorded for an agent, net of reversals. */
  collected(agentId: string): bigint {
    let total = 0n;
    for (const c of this.collections.values()) {
      if (c.agentId === agentId && !c.reversed) total += c.amountMinor;
    }
    return total;
  }

  private handle(method: string, path: string[], body: unknown): { status: number; body: unknown } {
    if (method === 'GET' && path[0] === 'health') return { status: 200, body: { status: 'ok' } };
    const agentId = path[0] === 'agents' ? path[1] : undefined;
    if (agentId === undefined) return { status: 404, body: { message: 'no such route' } };
    if (method === 'GET' && path.length === 2) {
      return { status: 200, body: { agentId, collectedMinor: this.collected(agentId).toString() } };
    }
    if (agentId.startsWith('DOWN')) return { status: 503, body: { status: 'UNAVAILABLE' } };
    if (agentId.startsWith('BLOCKED')) return { status: 423, body: { status: 'AGENT_BLOCKED' } };
    if (method === 'POST' && path[2] === 'collections' && path.length === 3) {
      const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
      const paymentId = typeof b.paymentId === 'string' ? b.paymentId : '';
      const amount = typeof b.amountMinor === 'string' ? b.amountMinor : '';
      if (paymentId === '' || !/^[1-9][0-9]{0,17}$/.test(amount) || typeof b.currency !== 'string') {
        return {
          status: 400,
          body: { message: 'paymentId, a positive amountMinor and currency are required' },
        };
      }
      const known = this.collections.get(paymentId);
      if (known !== undefined) return { status: 201, body: { status: 'DONE', reference: known.reference } };
      this.sequence += 1;
      const reference = `ABC${String(this.sequence).padStart(10, '0')}`;
      this.collections.set(paymentId, {
        agentId,
        amountMinor: BigInt(amount),
        currency: b.currency,
        reference,
        reversed: false,
      });
      return { status: 201, body: { status: 'DONE', reference } };
    }
    if (method === 'POST' && path[2] === 'collections' && path[4] === 'reversal' && path[3] !== undefined) {
      const known = this.collections.get(path[3]);
      if (known === undefined) return { status: 404, body: { status: 'UNKNOWN_COLLECTION' } };
      known.reversed = true;
      return { status: 201, body: { status: 'REVERSED', reference: known.reference } };
    }
    return { status: 404, body: { message: 'no such route' } };
  }
}
