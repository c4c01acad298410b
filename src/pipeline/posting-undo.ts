import type { Db, Tx } from '../domain/db';
import type { Ledger } from '../domain/ledger/ledger';
import type { Payment } from '../domain/payments/payment';
import { refundOrderOf } from '../domain/posting/core-banking-engine';
import type { CoreBankingRefunds } from '../domain/posting/core-banking-refunds';
import type { Logger } from '../infrastructure/logging/logger';
import { engineOf, postingRequestOf, type Engines } from './posting-reversal';
import { FIRST_ATTEMPT_GRACE_MS, type FollowUps } from './resolution/follow-ups';

/** What an undo owes outside our ledger, to attempt once its transaction has committed. */
export interface UndoOwed {
  readonly refund: boolean;
  readonly agentCoreReversal: boolean;
}

export const NOTHING_OWED: UndoOwed = { refund: false, agentCoreReversal: false };

export interface PostingUndoDeps extends Engines {
  readonly db: Db;
  readonly ledger: Ledger;
  readonly refunds: CoreBankingRefunds;
  readonly followUps: FollowUps;
  /** Whether agent payments are recorded at an agent banking core (and so undone there too). */
  readonly agentCore: boolean;
  /** The first attempt at undoing an agent's collection at the agent banking core. */
  readonly attemptAgentCoreReversal?: (paymentId: string) => Promise<void>;
  readonly log: Logger;
  readonly now?: () => Date;
}

/**
 * Undoing a payment's posting, the same way whoever asks (a biller's decline, a partner's reversal,
 * a biller's reversal, a resolution or an ops decision): inside the caller's transaction the posting
 * is mirrored (only if our ledger holds it and it was not undone already: undoing what was never
 * posted would create money) and what that owes outside is recorded with it — a refund owed to a
 * bank customer, an agent-core reversal to forward. Those are attempted only after the commit
 * (issue 10, item 2), and whatever fails then is retried from what was recorded.
 */
export class PostingUndo {
  constructor(private readonly d: PostingUndoDeps) {}

  async inTx(
    tx: Tx,
    payment: Payment,
    memo: string,
    options: { readonly agentCoreHasNothing?: boolean } = {},
  ): Promise<UndoOwed> {
    const journals = await this.d.ledger.postingsOf(tx, payment.id);
    if (!journals.posted || journals.reversed) return NOTHING_OWED;
    const engine = engineOf(this.d, payment.payerType);
    const req = postingRequestOf(payment);
    await engine.reverse(tx, req, memo);
    const now = this.d.now?.() ?? new Date();
    switch (engine.owedOnUndo) {
      case 'core-banking-refund':
        await this.d.refunds.owe(tx, refundOrderOf(req), now);
        return { refund: true, agentCoreReversal: false };
      case 'agent-core-reversal':
        if (!this.d.agentCore || options.agentCoreHasNothing === true) return NOTHING_OWED;
        return {
          refund: false,
          agentCoreReversal: await this.d.followUps.reverseAtAgentCore(
            tx,
            payment.id,
            new Date(now.getTime() + FIRST_ATTEMPT_GRACE_MS),
          ),
        };
      case 'nothing':
        return NOTHING_OWED;
    }
  }

  /** The first attempts of what a committed undo owes; unconfirmed, each stays with its retry. */
  async afterCommit(paymentId: string, owed: UndoOwed): Promise<void> {
    if (owed.refund) {
      const answer = await this.d.refunds
        .attempt(this.d.db, paymentId, this.d.now?.() ?? new Date())
        .catch((error: unknown) => {
          this.d.log.warn({ paymentId, err: String(error) }, 'core banking refund owed; retried');
          return undefined;
        });
      if (answer !== undefined && answer.outcome !== 'debited') {
        this.d.log.warn(
          { paymentId, refund: answer.outcome },
          'core banking refund not confirmed; owed and retried',
        );
      }
    }
    if (owed.agentCoreReversal) {
      await this.d
        .attemptAgentCoreReversal?.(paymentId)
        .catch((error: unknown) =>
          this.d.log.warn({ paymentId, err: String(error) }, 'agent banking core reversal queued'),
        );
    }
  }
}
