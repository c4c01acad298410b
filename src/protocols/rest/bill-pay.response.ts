import { formatMajorAmount } from '../../domain/money/money';
import type { BillPayResult } from '../../pipeline/bill-pay-command';
import { REST_REASONS } from './rest-reasons';

export interface BillPayResponse {
  readonly id: string;
  readonly status: string;
  readonly reasonCode: string;
  readonly reasonMessage: string;
  readonly billerReceipt: string | null;
  readonly billType: string;
  readonly billReference: string;
  readonly amount: string;
  readonly currency: string;
  readonly payerType: string;
  readonly partnerReference: string;
  readonly createdAt: string;
  readonly route?: {
    readonly ruleId: string;
    readonly version: number;
    readonly billerEndpoint: string;
    readonly settlementAccount: string;
  } | null;
}

export function renderBillPay(r: BillPayResult, withRoute: boolean, partnerId?: string): BillPayResponse {
  return {
    id: r.paymentId,
    status: r.status,
    reasonCode: r.reasonCode,
    // Names what ops must create, so the partner can pass it on verbatim.
    reasonMessage:
      r.reasonCode === 'FLOAT_NOT_FOUND' && partnerId !== undefined
        ? `no ${r.currency} float for partner ${partnerId}`
        : REST_REASONS[r.reasonCode].message,
    billerReceipt: r.billerReceipt,
    billType: r.billType,
    billReference: r.billReference,
    amount: formatMajorAmount(r.amountMinor, r.currency),
    currency: r.currency,
    payerType: r.payerType,
    partnerReference: r.partnerReference,
    createdAt: r.createdAt.toISOString(),
    ...(withRoute ? { route: r.route } : {}),
  };
}
