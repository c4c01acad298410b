import type { PayerKind } from '../partners/classify';
import type { PayerType, ReasonCode } from '../reason-codes';

export type PaymentState =
  'RECEIVED' | 'POSTED' | 'APPROVED' | 'DECLINED' | 'PENDING' | 'REVERSED' | 'NEEDS_ATTENTION';

/** States a payment ends in; PENDING waits for its resolution, NEEDS_ATTENTION for a person. */
export const FINAL_STATES = ['APPROVED', 'DECLINED', 'REVERSED'] as const;
export type FinalState = (typeof FINAL_STATES)[number];

export function isFinalState(state: PaymentState): state is FinalState {
  return (FINAL_STATES as readonly string[]).includes(state);
}

/** States a payment can be parked from: still undecided (PENDING), or decided with a follow-up owed. */
export type ParkedFrom = 'PENDING' | FinalState;

/**
 * Why a payment waits for a person. A payment parked from PENDING has no outcome yet; one parked
 * from a final state keeps that outcome (the partner was told it) while a follow-up waits: a refund
 * core banking refused, a reversal the biller would not take.
 */
export interface Attention {
  readonly reason: string;
  readonly parkedFrom: ParkedFrom;
  readonly since: Date;
}

export interface PaymentRoute {
  readonly ruleId: string;
  readonly version: number;
  readonly billerEndpoint: string;
  readonly settlementAccount: string;
}

export interface Payment {
  readonly id: string;
  readonly partnerId: string;
  readonly lane: string;
  readonly protocol: string;
  readonly payerType: PayerType;
  readonly billType: string;
  readonly billReference: string;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly payerKind: PayerKind;
  readonly payerId: string;
  readonly partnerReference: string;
  readonly idempotencyKey: string;
  readonly state: PaymentState;
  readonly reasonCode: ReasonCode;
  readonly billerReceipt: string | null;
  readonly route: PaymentRoute | null;
  readonly coreBankingRef: string | null;
  readonly origin: Readonly<Record<string, string>>;
  /** Set exactly while the state is NEEDS_ATTENTION. */
  readonly attention: Attention | null;
  readonly receivedAt: Date;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}
