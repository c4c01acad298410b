import type { PayerKind } from '../partners/classify';
import type { PayerType, ReasonCode } from '../reason-codes';

export type PaymentState = 'RECEIVED' | 'POSTED' | 'APPROVED' | 'DECLINED' | 'PENDING' | 'REVERSED';

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
  readonly receivedAt: Date;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}
