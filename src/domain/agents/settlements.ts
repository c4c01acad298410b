import { sql } from 'kysely';
import type { Db } from '../db';
import type { Ledger } from '../ledger/ledger';
import { AgentProblem, bankCashAccountId } from './agent';
import { AgentsRepository } from './agents.repository';
import type { Attribution, OpsAuditAppender } from './ops-audit';

export interface SettlementInput {
  readonly agentId: string;
  readonly amountMinor: bigint;
  readonly currency: string;
  /** The deposit slip or sweep reference: the same one settles once. */
  readonly reference: string;
  readonly source: 'ops' | 'agent-banking-core';
}

export interface Settlement {
  readonly id: string;
  readonly agentId: string;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly reference: string;
  readonly source: 'ops' | 'agent-banking-core';
  readonly journalEntryId: string;
  readonly actor: string;
  readonly reason: string;
  readonly createdAt: Date;
  /** Cash still unsettled at the agent after this settlement. */
  readonly unsettledAfterMinor: bigint;
}

/**
 * An agent hands the bank the cash it collected (a deposit at a branch, or a branch sweep): one
 * balanced journal (bank's cash debited, the agent's cash account credited) and the agent's
 * unsettled cash lowered in the same transaction, so its limit is free at once.
 */
export class AgentSettlements {
  private readonly agents = new AgentsRepository();

  constructor(
    private readonly db: Db,
    private readonly ledger: Ledger,
    private readonly audit: OpsAuditAppender,
    private readonly newId: () => string,
  ) {}

  async settle(
    input: SettlementInput,
    by: Attribution,
  ): Promise<{ settlement: Settlement; replayed: boolean }> {
    return this.db.transaction().execute(async (tx) => {
      // The agent's row lock orders this against concurrent payments and settlements of the agent.
      const agent = await this.agents.find(tx, input.agentId, true);
      if (agent === undefined) {
        throw new AgentProblem('not-found', 'agent-not-found', `no agent ${input.agentId}`);
      }
      const earlier = await tx
        .selectFrom('agent_settlements')
        .selectAll()
        .where('agent_id', '=', agent.id)
        .where('reference', '=', input.reference)
        .executeTakeFirst();
      if (earlier !== undefined) {
        if (BigInt(earlier.amount) !== input.amountMinor || earlier.currency.trim() !== input.currency) {
          throw new AgentProblem(
            'conflict',
            'settlement-reference-reused',
            `reference ${input.reference} already settled a different amount`,
          );
        }
        return {
          replayed: true,
          settlement: { ...toSettlement(earlier), unsettledAfterMinor: agent.unsettledMinor },
        };
      }
      if (input.currency !== agent.currency) {
        throw new AgentProblem('invalid', 'currency-mismatch', `agent ${agent.id} holds ${agent.currency}`);
      }
      if (input.amountMinor > agent.unsettledMinor) {
        throw new AgentProblem(
          'conflict',
          'settlement-exceeds-unsettled',
          `agent ${agent.id} holds ${agent.unsettledMinor} minor units unsettled, less than ${input.amountMinor}`,
        );
      }
      const cash = bankCashAccountId(agent.currency);
      await tx
        .insertInto('ledger_accounts')
        .values({ id: cash, kind: 'clearing', owner_id: null, currency: agent.currency })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
      const journalEntryId = await this.ledger.post(tx, {
        paymentId: null,
        kind: 'adjustment',
        currency: agent.currency,
        memo: `agent ${agent.id} settlement ${input.reference}`,
        lines: [
          { accountId: cash, side: 'D', amount: input.amountMinor },
          { accountId: agent.cashAccountId, side: 'C', amount: input.amountMinor },
        ],
      });
      const updated = await tx
        .updateTable('agents')
        .set({ unsettled_cash: sql`unsettled_cash - ${input.amountMinor}` })
        .where('id', '=', agent.id)
        .returning('unsettled_cash')
        .executeTakeFirstOrThrow();
      const row = await tx
        .insertInto('agent_settlements')
        .values({
          id: this.newId(),
          agent_id: agent.id,
          amount: input.amountMinor,
          currency: agent.currency,
          journal_entry_id: journalEntryId,
          source: input.source,
          reference: input.reference,
          actor: by.actor,
          reason: by.reason,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      const settlement = { ...toSettlement(row), unsettledAfterMinor: BigInt(updated.unsettled_cash) };
      await this.audit.append(tx, {
        ...by,
        action: 'agent.settlement',
        subjectType: 'agent',
        subjectId: agent.id,
        before: { unsettledMinor: agent.unsettledMinor.toString() },
        after: {
          settlementId: settlement.id,
          amountMinor: settlement.amountMinor.toString(),
          reference: settlement.reference,
          unsettledMinor: settlement.unsettledAfterMinor.toString(),
        },
      });
      return { settlement, replayed: false };
    });
  }

  async list(agentId: string): Promise<Omit<Settlement, 'unsettledAfterMinor'>[]> {
    const rows = await this.db
      .selectFrom('agent_settlements')
      .selectAll()
      .where('agent_id', '=', agentId)
      .orderBy('created_at', 'desc')
      .limit(500)
      .execute();
    return rows.map(toSettlement);
  }
}

function toSettlement(r: {
  id: string;
  agent_id: string;
  amount: bigint;
  currency: string;
  reference: string;
  source: 'ops' | 'agent-banking-core';
  journal_entry_id: string;
  actor: string;
  reason: string;
  created_at: Date;
}): Omit<Settlement, 'unsettledAfterMinor'> {
  return {
    id: r.id,
    agentId: r.agent_id,
    amountMinor: BigInt(r.amount),
    currency: r.currency.trim(),
    reference: r.reference,
    source: r.source,
    journalEntryId: String(r.journal_entry_id),
    actor: r.actor,
    reason: r.reason,
    createdAt: r.created_at,
  };
}
