import type { Tx } from '../db';
import { memos } from '../ledger/journal-writer';
import { InsufficientFundsError, type Ledger, LedgerIntegrityError } from '../ledger/ledger';
import { floatAccountId, PostingDeclined, type PostingRequest, type PostingEngine } from './posting-engine';

/** MFS float: debits the partner's pre-funded float in our own ledger, never below zero. */
export class FloatEngine implements PostingEngine {
  readonly kind = 'mfs-float' as const;
  readonly owedOnUndo = 'nothing' as const;

  constructor(private readonly ledger: Ledger) {}

  async post(tx: Tx, req: PostingRequest): Promise<void> {
    const float = floatAccountId(req.partnerId, req.currency);
    try {
      await this.ledger.post(tx, {
        paymentId: req.paymentId,
        kind: 'payment',
        currency: req.currency,
        memo: memos.float(req.paymentId, req.partnerId),
        lines: [
          { accountId: float, side: 'D', amount: req.amountMinor },
          { accountId: req.settlementAccount, side: 'C', amount: req.amountMinor },
        ],
      });
    } catch (error) {
      if (error instanceof InsufficientFundsError) {
        throw new PostingDeclined('INSUFFICIENT_FUNDS', `float ${float} cannot cover the payment`);
      }
      if (error instanceof LedgerIntegrityError && error.message.includes(float)) {
        throw new PostingDeclined('FLOAT_NOT_FOUND', `no ${req.currency} float for partner ${req.partnerId}`);
      }
      throw error;
    }
  }

  async reverse(tx: Tx, req: PostingRequest, memo: string): Promise<void> {
    await this.ledger.reverseOf(tx, req.paymentId, memo);
  }
}
