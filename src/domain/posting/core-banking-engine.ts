import type { Tx } from '../db';
import { memos } from '../ledger/journal-writer';
import { type Ledger } from '../ledger/ledger';
import type { CoreBankingAnswer, CoreBankingClient, CoreBankingStatus } from './core-banking-client';
import { refundReference, type RefundOrder } from './core-banking-refunds';
import { coreBankingClearingAccountId, type PostingRequest, type PostingEngine } from './posting-engine';

/**
 * Core banking: the customer's account lives in the core banking system, which is debited first
 * (strict, slow, auditable); our ledger then records the claim on core banking against the biller's
 * settlement account.
 */
export class CoreBankingEngine implements PostingEngine {
  readonly kind = 'core-banking' as const;
  readonly owedOnUndo = 'core-banking-refund' as const;

  constructor(
    private readonly ledger: Ledger,
    private readonly client: CoreBankingClient,
  ) {}

  debitCustomer(req: PostingRequest): Promise<CoreBankingAnswer> {
    return this.client.debit(req.payer.id, req.amountMinor, req.currency, req.paymentId);
  }

  /** Whether core banking made the debit of a payment whose answer we never got (by its reference). */
  debitStatus(paymentId: string): Promise<CoreBankingStatus> {
    return this.client.status(paymentId);
  }

  refundCustomer(req: PostingRequest): Promise<CoreBankingAnswer> {
    return this.refund(refundOrderOf(req));
  }

  /** Credits the customer back; the same payment always carries the same reference (deduplicated). */
  refund(order: RefundOrder): Promise<CoreBankingAnswer> {
    return this.client.credit(
      order.account,
      order.amountMinor,
      order.currency,
      refundReference(order.paymentId),
    );
  }

  async post(tx: Tx, req: PostingRequest): Promise<void> {
    await this.ledger.post(tx, {
      paymentId: req.paymentId,
      kind: 'payment',
      currency: req.currency,
      memo: memos.coreBanking(req.paymentId),
      lines: [
        { accountId: coreBankingClearingAccountId(req.currency), side: 'D', amount: req.amountMinor },
        { accountId: req.settlementAccount, side: 'C', amount: req.amountMinor },
      ],
    });
  }

  async reverse(tx: Tx, req: PostingRequest, memo: string): Promise<void> {
    await this.ledger.reverseOf(tx, req.paymentId, memo);
  }
}

export function refundOrderOf(req: PostingRequest): RefundOrder {
  return {
    paymentId: req.paymentId,
    account: req.payer.id,
    amountMinor: req.amountMinor,
    currency: req.currency,
  };
}
