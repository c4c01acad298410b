import type { Tx } from '../db';
import type { ReasonCode, PayerType } from '../reason-codes';
import type { PayerRef } from '../partners/classify';

export type EngineKind = 'core-banking' | 'mfs-float' | 'agent-banking';

/** Which engine posts a payer type. Card schemes and aggregators settle against a pre-funded float. */
export function engineFor(payerType: PayerType): EngineKind {
  switch (payerType) {
    case 'bank-customer':
      return 'core-banking';
    case 'otc-agent':
      return 'agent-banking';
    case 'mfs-user':
    case 'wallet-aggregator':
    case 'card-on-file':
      return 'mfs-float';
  }
}

/**
 * What undoing a posting owes a party outside our ledger once the undo has committed: a bank
 * customer's refund at core banking, an agent's collection at the agent banking core, or nothing
 * (a float lives entirely in our ledger).
 */
export type OwedOnUndo = 'core-banking-refund' | 'agent-core-reversal' | 'nothing';

/**
 * A posting engine: how one kind of payer's payments enter our double-entry ledger and leave it.
 * Chosen once per payment from its payer type (Engines.of in the pipeline); nothing else asks
 * which engine a payment used.
 */
export interface PostingEngine {
  readonly kind: EngineKind;
  /** Posts the payment (for core banking: records the debit core banking already made). */
  post(tx: Tx, req: PostingRequest): Promise<void>;
  /** Undoes the posting in our ledger: the exact mirror of what was posted. */
  reverse(tx: Tx, req: PostingRequest, memo: string): Promise<void>;
  readonly owedOnUndo: OwedOnUndo;
}

export interface PostingRequest {
  readonly paymentId: string;
  readonly partnerId: string;
  readonly payer: PayerRef;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly settlementAccount: string;
  readonly receivedAt: Date;
}

/** A business refusal raised inside a posting transaction: the caller rolls back and records a decline. */
export class PostingDeclined extends Error {
  constructor(
    readonly reason: ReasonCode,
    detail: string,
  ) {
    super(detail);
    this.name = 'PostingDeclined';
  }
}

export function floatAccountId(partnerId: string, currency: string): string {
  return `float:${partnerId}:${currency}`;
}

export function coreBankingClearingAccountId(currency: string): string {
  return `clearing:core-banking:${currency}`;
}
