import { sql } from 'kysely';
import type { Tx } from '../db';
import { memos } from '../ledger/journal-writer';
import type { Ledger } from '../ledger/ledger';
import { PostingDeclined, type PostingRequest, type PostingEngine } from './posting-engine';

/** The bank's business day, in its own time zone: count sheets and variances belong to one. */
export function businessDate(at: Date, timeZone = 'Asia/Dhaka'): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(at);
}

/**
 * Agent banking (OTC): the customer hands the agent cash, so the bank's claim on the agent's till (its
 * cash account) is debited and the biller's settlement account credited.
 *
 * Trust is bounded: the agent's cash limit counts cash collected and not yet settled. It is held by a
 * guarded UPDATE on the agent's row (`unsettled_cash + amount <= daily_cash_limit`, status active)
 * in the posting's transaction, so concurrent payments from one agent on several nodes can never
 * together exceed it; a settlement lowers unsettled_cash and frees the limit at once.
 *
 * One exception, decided by data: an offline payment the terminal took within its offline allowance
 * (agent_offline_items.within_allowance) was already paid in cash at the counter, so at sync it is
 * posted even past the limit and recorded in agent_limit_breaches for ops.
 */
export class AgentEngine implements PostingEngine {
  readonly kind = 'agent-banking' as const;
  readonly owedOnUndo = 'agent-core-reversal' as const;

  constructor(private readonly ledger: Ledger) {}

  async post(tx: Tx, req: PostingRequest): Promise<void> {
    const agent = await tx
      .selectFrom('agents')
      .select(['id', 'account_id', 'currency', 'daily_cash_limit', 'status'])
      .where('id', '=', req.payer.id)
      .where('partner_id', '=', req.partnerId)
      .executeTakeFirst();
    if (agent === undefined || agent.status !== 'active') {
      throw new PostingDeclined('AGENT_NOT_FOUND', `agent ${req.payer.id} is unknown or inactive`);
    }
    if (agent.currency.trim() !== req.currency) {
      throw new PostingDeclined('CURRENCY_NOT_SUPPORTED', `agent ${agent.id} operates in ${agent.currency}`);
    }

    const held = await tx
      .updateTable('agents')
      .set({ unsettled_cash: sql`unsettled_cash + ${req.amountMinor}` })
      .where('id', '=', agent.id)
      .where('status', '=', 'active')
      .where(sql<boolean>`unsettled_cash + ${req.amountMinor} <= daily_cash_limit`)
      .returning('unsettled_cash')
      .executeTakeFirst();
    if (held === undefined) await this.postPastLimit(tx, req, agent.id);

    await this.ledger.post(tx, {
      paymentId: req.paymentId,
      kind: 'payment',
      currency: req.currency,
      memo: memos.agentCash(req.paymentId, agent.id),
      lines: [
        { accountId: agent.account_id, side: 'D', amount: req.amountMinor },
        { accountId: req.settlementAccount, side: 'C', amount: req.amountMinor },
      ],
    });
  }

  /** An offline payment taken within the terminal's allowance is honoured and flagged; nothing else is. */
  private async postPastLimit(tx: Tx, req: PostingRequest, agentId: string): Promise<void> {
    const offline = await tx
      .selectFrom('agent_offline_items')
      .select(['terminal_id', 'batch_id', 'within_allowance'])
      .where('payment_id', '=', req.paymentId)
      .executeTakeFirst();
    if (offline?.within_allowance !== true) {
      throw new PostingDeclined(
        'DAILY_LIMIT_EXCEEDED',
        `agent ${agentId} would exceed its cash limit until it settles`,
      );
    }
    const row = await tx
      .updateTable('agents')
      .set({ unsettled_cash: sql`unsettled_cash + ${req.amountMinor}` })
      .where('id', '=', agentId)
      .where('status', '=', 'active')
      .returning(['unsettled_cash', 'daily_cash_limit'])
      .executeTakeFirst();
    if (row === undefined) {
      throw new PostingDeclined('AGENT_NOT_FOUND', `agent ${agentId} is unknown or inactive`);
    }
    const over = BigInt(row.unsettled_cash) - BigInt(row.daily_cash_limit);
    await tx
      .insertInto('agent_limit_breaches')
      .values({
        payment_id: req.paymentId,
        agent_id: agentId,
        terminal_id: offline.terminal_id,
        batch_id: offline.batch_id,
        amount: req.amountMinor,
        over_by: over < req.amountMinor ? over : req.amountMinor,
        currency: req.currency,
      })
      .execute();
  }

  async reverse(tx: Tx, req: PostingRequest, memo: string): Promise<void> {
    // The cash goes back to the customer from the till: the agent holds that much less for the bank.
    await tx
      .updateTable('agents')
      .set({ unsettled_cash: sql`unsettled_cash - ${req.amountMinor}` })
      .where('id', '=', req.payer.id)
      .execute();
    await this.ledger.reverseOf(tx, req.paymentId, memo);
  }
}
