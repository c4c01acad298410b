import type { PayerType } from '../reason-codes';

export const PARTNER_KINDS = ['bank', 'mfs', 'aggregator', 'card-scheme', 'otc-network'] as const;
export type PartnerKind = (typeof PARTNER_KINDS)[number];

export interface Partner {
  readonly id: string;
  readonly name: string;
  readonly kind: PartnerKind;
  /** Payer types the partner's technical schedule allows it to send. */
  readonly payerTypes: readonly PayerType[];
  readonly status: string;
}

export type Principal =
  | { readonly type: 'partner'; readonly partner: Partner; readonly credentialId: string }
  | { readonly type: 'ops'; readonly user: string; readonly credentialId: string };
