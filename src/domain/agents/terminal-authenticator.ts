import type { Db } from '../db';
import { hashApiKey } from '../partners/api-key-authenticator';
import { asPartnerKind, isPayerType, type Partner } from '../partners/partner';
import type { Agent, Terminal } from './agent';
import { AgentsRepository } from './agents.repository';
import { TerminalsRepository } from './terminals.repository';

export interface TerminalPrincipal {
  readonly terminal: Terminal;
  readonly agent: Agent;
  /** The OTC network partner that owns the agent: its lanes and status apply to the terminal too. */
  readonly partner: Partner;
}

/**
 * A terminal authenticates as itself with its device key (stored as SHA-256, like partners' API
 * keys). Nothing is cached: a revoked terminal is refused on its very next request, while the
 * agent's other terminals go on.
 */
export class TerminalAuthenticator {
  private readonly terminals = new TerminalsRepository();
  private readonly agents = new AgentsRepository();

  constructor(private readonly db: Db) {}

  async authenticate(presentedKey: string): Promise<TerminalPrincipal | undefined> {
    const terminal = await this.terminals.findActiveByKeyHash(this.db, hashApiKey(presentedKey));
    if (terminal === undefined) return undefined;
    const agent = await this.agents.find(this.db, terminal.agentId);
    if (agent === undefined) return undefined;
    const p = await this.db
      .selectFrom('partners')
      .select(['id', 'name', 'kind', 'payer_types', 'status'])
      .where('id', '=', agent.partnerId)
      .executeTakeFirst();
    if (p === undefined) return undefined;
    return {
      terminal,
      agent,
      partner: {
        id: p.id,
        name: p.name,
        kind: asPartnerKind(p.kind),
        payerTypes: p.payer_types.filter(isPayerType),
        status: p.status,
      },
    };
  }
}
