import type { PayerRef } from '../domain/partners/classify';
import type { PayerType, PaymentStatus, ReasonCode } from '../domain/reason-codes';

/* The one internal command every protocol is translated into, and its result. The canonical schema
 * is proto/billgate/v1/bill_pay.proto; bill-pay-command.proto.spec.ts fails if these drift from it. */

export type Protocol = 'rest' | 'iso8583' | 'iso20022';

export interface BillPayCommand {
  readonly id: string;
  readonly partnerId: string;
  readonly lane: string;
  readonly protocol: Protocol;
  readonly payerType: PayerType;
  readonly billType: string;
  readonly billReference: string;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly payer: PayerRef;
  readonly partnerReference: string;
  readonly idempotencyKey: string;
  readonly receivedAt: Date;
  /** What the translator needs to answer (STAN, RRN, MsgId...). The pipeline never reads it. */
  readonly origin: Readonly<Record<string, string>>;
}

export interface RouteExplanation {
  readonly ruleId: string;
  readonly version: number;
  readonly billerEndpoint: string;
  readonly settlementAccount: string;
}

export interface BillPayResult {
  readonly paymentId: string;
  readonly status: PaymentStatus;
  readonly reasonCode: ReasonCode;
  readonly billerReceipt: string | null;
  readonly billType: string;
  readonly billReference: string;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly payerType: PayerType;
  readonly partnerReference: string;
  readonly createdAt: Date;
  readonly route: RouteExplanation | null;
}

/** How the idempotency key of a command is scoped and what "the same request" means for it. */
export interface IdempotencyContext {
  readonly scope: string;
  /** Fingerprint of the request's canonical content, computed by the translator. */
  readonly fingerprint: string;
}

export type PayOutcome =
  | { readonly kind: 'processed'; readonly result: BillPayResult }
  | { readonly kind: 'replayed'; readonly result: BillPayResult }
  | { readonly kind: 'conflict'; readonly paymentId: string | null }
  | { readonly kind: 'in-flight'; readonly paymentId: string | null };
