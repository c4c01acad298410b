import { type PayerType } from '../reason-codes';

export const PARTNER_KINDS = ['bank', 'mfs', 'aggregator', 'card-scheme', 'otc-network'] as const;
export type PartnerKind = (typeof PARTNER_KINDS)[number];

/** A stored partner kind; one this code does not know reads as 'bank'. */
export function asPartnerKind(kind: string): PartnerKind {
  return (PARTNER_KINDS as readonly string[]).includes(kind) ? (kind as PartnerKind) : 'bank';
}

export { isPayerType } from '../reason-codes';

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
