import type { Db, Tx } from '../../domain/db';
import type { IdempotencyRepository } from '../../domain/idempotency/idempotency.repository';
import type { Payment, PaymentState } from '../../domain/payments/payment';
import type { PaymentEventSink } from '../../domain/payments/payment-events';
import type { PaymentsRepository } from '../../domain/payments/payments.repository';
import type { CoreBankingRefunds } from '../../domain/posting/core-banking-refunds';
import type { ReasonCode } from '../../domain/reason-codes';
import type { Logger } from '../../infrastructure/logging/logger';
import type { Metrics } from '../../infrastructure/metrics/metrics';
import { resultOf, serialiseResult } from '../bill-pay-result';
import { NOTHING_OWED, type PostingUndo, type UndoOwed } from '../posting-undo';
import { paymentNeedsAttentionEvent, paymentResolvedEvent, type ResolvedBy } from './resolution-events';

/** What a payment that was left undecided becomes. */
export type Decision =
  | { readonly to: 'APPROVED'; readonly billerReceipt?: string }
  /** Undoes the posting (float credited, agent limit restored, core-banking refund owed). */
  | {
      readonly to: 'DECLINED';
      readonly reasonCode: ReasonCode;
      readonly memo: string;
      /** The agent banking core never recorded the collection: nothing to undo there. */
      readonly agentCoreHasNothing?: boolean;
    }
  /** Still waiting, at a later stage (the biller has now been asked, say). */
  | { readonly to: 'PENDING'; readonly reasonCode: ReasonCode };

export interface Decided {
  readonly before: Payment;
  readonly payment: Payment;
  /** What undoing the posting owes outside (a refund, an agent-core reversal): attempted after the commit. */
  readonly owed: UndoOwed;
}

export interface PaymentDecisionsDeps {
  readonly db: Db;
  readonly payments: PaymentsRepository;
  readonly idempotency: IdempotencyRepository;
  readonly refunds: CoreBankingRefunds;
  /** Undoes a posting and records what that owes outside (the refund, the agent-core reversal). */
  readonly undo: PostingUndo;
  readonly events?: PaymentEventSink;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly now?: () => Date;
}

/**
 * The one way a payment that was left undecided gets decided later, by its resolution or by ops:
 * under the payment's row lock (its idempotency key first, the order every path takes), only from
 * the states the caller expects — so a resolution and a late finish, a reversal or a decision on
 * another node never both act — and in one transaction with everything the decision implies: the
 * reversing journal, the refund owed, the agent-core reversal to forward, the partner's answer to a
 * retry with the same key, and the partner's `payment.resolved` event.
 */
export class PaymentDecisions {
  private readonly now: () => Date;

  constructor(private readonly d: PaymentDecisionsDeps) {
    this.now = d.now ?? (() => new Date());
  }

  async decideInTx(
    tx: Tx,
    paymentId: string,
    decision: Decision,
    options: { readonly from: readonly PaymentState[]; readonly by: ResolvedBy },
  ): Promise<Decided | undefined> {
    const now = this.now();
    const key = await this.d.idempotency.lockByPayment(tx, paymentId);
    const state = await this.d.payments.lockState(tx, paymentId);
    if (!options.from.includes(state)) return undefined;
    const before = await this.d.payments.findById(tx, paymentId);
    if (before === undefined) return undefined;

    const owed =
      decision.to === 'DECLINED'
        ? await this.d.undo.inTx(tx, before, decision.memo, {
            ...(decision.agentCoreHasNothing === true ? { agentCoreHasNothing: true } : {}),
          })
        : NOTHING_OWED;
    const payment = await this.d.payments.update(tx, paymentId, {
      state: decision.to,
      reasonCode: decision.to === 'APPROVED' ? 'APPROVED' : decision.reasonCode,
      ...(decision.to === 'APPROVED' && decision.billerReceipt !== undefined
        ? { billerReceipt: decision.billerReceipt }
        : {}),
    });
    // A retry with the same key is answered with the outcome from now on, never a second payment.
    if (key !== undefined) {
      await this.d.idempotency.complete(tx, key, serialiseResult(resultOf(payment)), now);
    }
    if (decision.to !== 'PENDING' && resultOf(before).status === 'PENDING') {
      await this.d.events?.record(tx, [paymentResolvedEvent(payment, options.by, now)]);
      this.d.metrics.resolutions.inc({ outcome: decision.to, by: options.by });
    }
    return { before, payment, owed };
  }

  /**
   * Parks a payment for ops (NEEDS_ATTENTION) with the reason, in the caller's transaction. A partner
   * still waiting for the outcome is told it is held (`payment.needs_attention`); a partner that has
   * its outcome already is not bothered with the bank's follow-up.
   */
  async parkInTx(tx: Tx, paymentId: string, reason: string): Promise<Payment | undefined> {
    const now = this.now();
    await this.d.idempotency.lockByPayment(tx, paymentId);
    const state = await this.d.payments.lockState(tx, paymentId);
    if (!['PENDING', 'APPROVED', 'DECLINED', 'REVERSED', 'NEEDS_ATTENTION'].includes(state)) return undefined;
    const parked = await this.d.payments.park(tx, paymentId, reason, now);
    if (state === 'PENDING') await this.d.events?.record(tx, [paymentNeedsAttentionEvent(parked, now)]);
    if (state !== 'NEEDS_ATTENTION') this.d.metrics.parked.inc({ from: state });
    this.d.log.error({ paymentId, from: state, reason }, 'payment needs attention');
    return parked;
  }

  /** The refund a payment owes or owed a bank customer, as ops see it. */
  refundOf(paymentId: string): ReturnType<CoreBankingRefunds['find']> {
    return this.d.refunds.find(this.d.db, paymentId);
  }

  /** Decides in a transaction of its own, then makes the first attempts of what the decision owes. */
  async decide(
    paymentId: string,
    decision: Decision,
    options: { readonly from: readonly PaymentState[]; readonly by: ResolvedBy },
  ): Promise<Decided | undefined> {
    const decided = await this.d.db
      .transaction()
      .execute((tx) => this.decideInTx(tx, paymentId, decision, options));
    if (decided !== undefined) await this.afterCommit(decided);
    return decided;
  }

  /**
   * The first attempts of what a committed decision owes (issue 10, item 2: a refund only ever follows
   * a committed reversal). Unconfirmed, each stays with its retry loop or job.
   */
  async afterCommit(decided: Decided): Promise<void> {
    await this.d.undo.afterCommit(decided.payment.id, decided.owed);
  }
}
