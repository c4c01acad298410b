import type { PayerType } from '../reason-codes';

export interface RouteKey {
  readonly billType: string;
  readonly payerType: PayerType;
  readonly partnerId: string;
}

/** Where a payment goes, and which rule (at which version) sent it there. */
export interface Route {
  readonly ruleId: string;
  readonly version: number;
  readonly partnerId: string;
  readonly billerEndpoint: { readonly id: string; readonly url: string; readonly timeoutMs: number };
  readonly settlementAccount: { readonly id: string; readonly currency: string };
}

export const WILDCARD_PARTNER = '*';

export function routeCacheKey(k: RouteKey): string {
  return `route:${k.billType}:${k.payerType}:${k.partnerId}`;
}
