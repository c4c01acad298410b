import { sql } from 'kysely';
import type { Tx } from '../db';
import { InsufficientFundsError, type Ledger } from '../ledger/ledger';
import { PostingDeclined, type PostingRequest } from './posting-engine';

/** The bank's business day, in its own time zone: an agent's cash limit resets at local midnight. */
export function businessDate(at: Date, timeZone = 'Asia/Dhaka'): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(at);
}

/**
 * Agent banking (OTC): debits the agent's account within its daily cash limit. The limit is held by
 * a guarded upsert on the agent's row for the day, so concurrent payments from one agent on several
 * nodes can never together exceed it.
 */
export class AgentEngine {
  constructor(
    private readonly ledger: Ledger,
    private readonly timeZone = 'Asia/Dhaka',
  ) {}

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
    const limit = BigInt(agent.daily_cash_limit);
    if (req.amountMinor > limit)
      throw new PostingDeclined('DAILY_LIMIT_EXCEEDED', 'amount exceeds the daily limit');

    const day = businessDate(req.receivedAt, this.timeZone);
    const used = await tx
      .insertInto('agent_daily_usage')
      .values({ agent_id: agent.id, business_date: day, used: req.amountMinor })
      .onConflict((oc) =>
        oc
          .columns(['agent_id', 'business_date'])
          .doUpdateSet({ used: sql`agent_daily_usage.used + excluded.used` })
          .where(sql<boolean>`agent_daily_usage.used + excluded.used <= ${limit}`),
      )
      .returning('used')
      .executeTakeFirst();
    if (used === undefined) {
      throw new PostingDeclined(
        'DAILY_LIMIT_EXCEEDED',
        `agent ${agent.id} would exceed its daily cash limit`,
      );
    }

    try {
      await this.ledger.post(tx, {
        paymentId: req.paymentId,
        kind: 'payment',
        currency: req.currency,
        memo: `bill payment ${req.paymentId} at agent ${agent.id}`,
        lines: [
          { accountId: agent.account_id, side: 'D', amount: req.amountMinor },
          { accountId: req.settlementAccount, side: 'C', amount: req.amountMinor },
        ],
      });
    } catch (error) {
      if (error instanceof InsufficientFundsError) {
        throw new PostingDeclined('INSUFFICIENT_FUNDS', `agent ${agent.id} account cannot cover the payment`);
      }
      throw error;
    }
  }

  async reverse(tx: Tx, req: PostingRequest, memo: string): Promise<void> {
    const agent = await tx
      .selectFrom('agents')
      .select(['id', 'account_id'])
      .where('id', '=', req.payer.id)
      .executeTakeFirstOrThrow();
    await tx
      .updateTable('agent_daily_usage')
      .set({ used: sql`greatest(used - ${req.amountMinor}, 0)` })
      .where('agent_id', '=', agent.id)
      .where('business_date', '=', businessDate(req.receivedAt, this.timeZone))
      .execute();
    await this.ledger.post(tx, {
      paymentId: req.paymentId,
      kind: 'reversal',
      currency: req.currency,
      memo,
      lines: [
        { accountId: req.settlementAccount, side: 'D', amount: req.amountMinor },
        { accountId: agent.account_id, side: 'C', amount: req.amountMinor },
      ],
    });
  }
}
