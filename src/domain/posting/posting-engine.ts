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
