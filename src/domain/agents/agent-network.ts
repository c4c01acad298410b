import { randomBytes } from 'node:crypto';
import type { Db, Tx } from '../db';
import { hashApiKey } from '../partners/api-key-authenticator';
import { AgentProblem, agentCashAccountId, type Agent, type Terminal } from './agent';
import { AgentsRepository } from './agents.repository';
import type { Attribution, OpsAuditAppender } from './ops-audit';
import { TerminalsRepository } from './terminals.repository';

export interface CreateAgent {
  readonly id: string;
  readonly partnerId: string;
  readonly region: string;
  readonly currency: string;
  readonly cashLimitMinor: bigint;
  readonly varianceThresholdMinor?: bigint;
}

export interface AgentLimits {
  readonly cashLimitMinor?: bigint;
  readonly varianceThresholdMinor?: bigint;
  readonly region?: string;
}

export interface IssueTerminal {
  readonly id: string;
  readonly label: string;
  readonly offlineMaxCount: number;
  readonly offlineMaxTotalMinor: bigint;
}

/** Default count-sheet variance threshold: BDT 500.00. */
export const DEFAULT_VARIANCE_THRESHOLD_MINOR = 50_000n;

/**
 * Ops' side of the agent network: agents of an OTC network partner, their terminals (each with its
 * own device key, revocable alone) and limits. Every write is attributed, carries a reason and is
 * appended to the ops audit chain in its own transaction.
 */
export class AgentNetwork {
  readonly agents = new AgentsRepository();
  readonly terminals = new TerminalsRepository();

  constructor(
    private readonly db: Db,
    private readonly audit: OpsAuditAppender,
  ) {}

  get(id: string): Promise<Agent | undefined> {
    return this.agents.find(this.db, id);
  }

  async require(db: Db | Tx, id: string, forUpdate = false): Promise<Agent> {
    const agent = await this.agents.find(db, id, forUpdate);
    if (agent === undefined) throw new AgentProblem('not-found', 'agent-not-found', `no agent ${id}`);
    return agent;
  }

  list(filter: { partnerId?: string; region?: string }): Promise<Agent[]> {
    return this.agents.list(this.db, filter);
  }

  async create(input: CreateAgent, by: Attribution): Promise<Agent> {
    return this.db.transaction().execute(async (tx) => {
      const partner = await tx
        .selectFrom('partners')
        .select(['id', 'kind'])
        .where('id', '=', input.partnerId)
        .executeTakeFirst();
      if (partner === undefined || partner.kind !== 'otc-network') {
        throw new AgentProblem(
          'invalid',
          'partner-not-otc-network',
          `partner ${input.partnerId} is not an OTC network partner`,
        );
      }
      const cashAccountId = agentCashAccountId(input.id);
      await tx
        .insertInto('ledger_accounts')
        .values({ id: cashAccountId, kind: 'agent', owner_id: input.id, currency: input.currency })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
      const inserted = await this.agents.insert(tx, {
        ...input,
        varianceThresholdMinor: input.varianceThresholdMinor ?? DEFAULT_VARIANCE_THRESHOLD_MINOR,
        cashAccountId,
      });
      if (!inserted) throw new AgentProblem('conflict', 'agent-exists', `agent ${input.id} already exists`);
      const agent = await this.require(tx, input.id);
      await this.audit.append(tx, {
        ...by,
        action: 'agent.create',
        subjectType: 'agent',
        subjectId: agent.id,
        after: auditView(agent),
      });
      return agent;
    });
  }

  suspend(id: string, by: Attribution): Promise<Agent> {
    return this.changeStatus(id, 'suspended', by.reason, by, 'agent.suspend');
  }

  reinstate(id: string, by: Attribution): Promise<Agent> {
    return this.changeStatus(id, 'active', null, by, 'agent.reinstate');
  }

  /** Suspends inside a caller's transaction (a count sheet past its threshold). */
  async suspendInTx(tx: Tx, agent: Agent, reason: string, by: Attribution): Promise<void> {
    await this.agents.setStatus(tx, agent.id, 'suspended', reason);
    await this.audit.append(tx, {
      ...by,
      action: 'agent.suspend',
      subjectType: 'agent',
      subjectId: agent.id,
      before: { status: agent.status },
      after: { status: 'suspended', suspensionReason: reason },
    });
  }

  /** An ops write of a neighbouring module (count sheets) recorded in the same chain. */
  async auditInTx(tx: Tx, entry: Parameters<OpsAuditAppender['append']>[1]): Promise<void> {
    await this.audit.append(tx, entry);
  }

  async reinstateInTx(tx: Tx, agent: Agent, by: Attribution): Promise<void> {
    await this.agents.setStatus(tx, agent.id, 'active', null);
    await this.audit.append(tx, {
      ...by,
      action: 'agent.reinstate',
      subjectType: 'agent',
      subjectId: agent.id,
      before: { status: agent.status, suspensionReason: agent.suspensionReason },
      after: { status: 'active' },
    });
  }

  async setLimits(id: string, limits: AgentLimits, by: Attribution): Promise<Agent> {
    return this.db.transaction().execute(async (tx) => {
      const before = await this.require(tx, id, true);
      await this.agents.setLimits(tx, id, limits);
      const after = await this.require(tx, id);
      await this.audit.append(tx, {
        ...by,
        action: 'agent.limits',
        subjectType: 'agent',
        subjectId: id,
        before: auditView(before),
        after: auditView(after),
      });
      return after;
    });
  }

  /** The device key is returned once, here; only its hash is kept. */
  async issueTerminal(
    agentId: string,
    input: IssueTerminal,
    by: Attribution,
  ): Promise<{ terminal: Terminal; key: string }> {
    const key = `bgt_${randomBytes(24).toString('base64url')}`;
    return this.db.transaction().execute(async (tx) => {
      await this.require(tx, agentId);
      if ((await this.terminals.find(tx, input.id)) !== undefined) {
        throw new AgentProblem('conflict', 'terminal-exists', `terminal ${input.id} already exists`);
      }
      await this.terminals.insert(tx, {
        ...input,
        agentId,
        keyHash: hashApiKey(key),
        keyHint: key.slice(-4),
      });
      const terminal = await this.requireTerminal(tx, agentId, input.id);
      await this.audit.append(tx, {
        ...by,
        action: 'agent.terminal.issue',
        subjectType: 'agent-terminal',
        subjectId: terminal.id,
        after: terminalAuditView(terminal),
      });
      return { terminal, key };
    });
  }

  async revokeTerminal(agentId: string, terminalId: string, by: Attribution): Promise<Terminal> {
    return this.db.transaction().execute(async (tx) => {
      const before = await this.requireTerminal(tx, agentId, terminalId);
      if (before.status === 'revoked') return before;
      await this.terminals.revoke(tx, terminalId, by.reason, new Date());
      const after = await this.requireTerminal(tx, agentId, terminalId);
      await this.audit.append(tx, {
        ...by,
        action: 'agent.terminal.revoke',
        subjectType: 'agent-terminal',
        subjectId: terminalId,
        before: terminalAuditView(before),
        after: terminalAuditView(after),
      });
      return after;
    });
  }

  async setOfflineAllowance(
    agentId: string,
    terminalId: string,
    allowance: { maxCount: number; maxTotalMinor: bigint },
    by: Attribution,
  ): Promise<Terminal> {
    return this.db.transaction().execute(async (tx) => {
      const before = await this.requireTerminal(tx, agentId, terminalId);
      await this.terminals.setAllowance(tx, terminalId, allowance.maxCount, allowance.maxTotalMinor);
      const after = await this.requireTerminal(tx, agentId, terminalId);
      await this.audit.append(tx, {
        ...by,
        action: 'agent.terminal.offline-allowance',
        subjectType: 'agent-terminal',
        subjectId: terminalId,
        before: terminalAuditView(before),
        after: terminalAuditView(after),
      });
      return after;
    });
  }

  listTerminals(agentId: string): Promise<Terminal[]> {
    return this.terminals.listForAgent(this.db, agentId);
  }

  async requireTerminal(db: Db | Tx, agentId: string, terminalId: string): Promise<Terminal> {
    const t = await this.terminals.find(db, terminalId);
    if (t === undefined || t.agentId !== agentId) {
      throw new AgentProblem(
        'not-found',
        'terminal-not-found',
        `no terminal ${terminalId} at agent ${agentId}`,
      );
    }
    return t;
  }

  private async changeStatus(
    id: string,
    status: 'active' | 'suspended',
    suspensionReason: string | null,
    by: Attribution,
    action: string,
  ): Promise<Agent> {
    return this.db.transaction().execute(async (tx) => {
      const before = await this.require(tx, id, true);
      await this.agents.setStatus(tx, id, status, suspensionReason);
      const after = await this.require(tx, id);
      await this.audit.append(tx, {
        ...by,
        action,
        subjectType: 'agent',
        subjectId: id,
        before: auditView(before),
        after: auditView(after),
      });
      return after;
    });
  }
}

/** What an audit entry records of an agent (amounts as strings: the chain is JSON). */
function auditView(a: Agent): Record<string, string> {
  return {
    partnerId: a.partnerId,
    region: a.region,
    status: a.status,
    currency: a.currency,
    cashLimitMinor: a.cashLimitMinor.toString(),
    varianceThresholdMinor: a.varianceThresholdMinor.toString(),
  };
}

function terminalAuditView(t: Terminal): Record<string, string | number> {
  return {
    agentId: t.agentId,
    label: t.label,
    status: t.status,
    keyHint: t.keyHint,
    offlineMaxCount: t.offlineMaxCount,
    offlineMaxTotalMinor: t.offlineMaxTotalMinor.toString(),
  };
}
