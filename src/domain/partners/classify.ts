import type { PayerType } from '../reason-codes';
import type { Partner } from './partner';

export type PayerKind = 'account' | 'wallet' | 'agent' | 'card-token';

export interface PayerRef {
  readonly kind: PayerKind;
  readonly id: string;
}

export interface LaneContext {
  readonly id: string;
  /** Payer types this lane carries; undefined means the lane does not narrow them. */
  readonly payerTypes?: readonly PayerType[];
}

export type Classification =
  | { readonly ok: true; readonly payerType: PayerType }
  | { readonly ok: false; readonly reason: 'PAYER_TYPE_NOT_ALLOWED'; readonly detail: string };

/**
 * The payer type is decided at the edge from who is sending (the partner and its schedule), where
 * it came in (the lane) and what instrument it names; never taken from the payload as a claim.
 */
export function classifyPayer(partner: Partner, lane: LaneContext, payer: PayerRef): Classification {
  const candidates = candidatesFor(partner, payer.kind);
  const allowed = candidates.filter(
    (t) => partner.payerTypes.includes(t) && (lane.payerTypes === undefined || lane.payerTypes.includes(t)),
  );
  const chosen = allowed[0];
  if (chosen === undefined) {
    return {
      ok: false,
      reason: 'PAYER_TYPE_NOT_ALLOWED',
      detail: `partner ${partner.id} may not pay from ${/^[aeiou]/.test(payer.kind) ? 'an' : 'a'} ${payer.kind} on lane ${lane.id} (allowed: ${partner.payerTypes.join(', ')})`,
    };
  }
  return { ok: true, payerType: chosen };
}

function candidatesFor(partner: Partner, kind: PayerKind): PayerType[] {
  switch (kind) {
    case 'account':
      return ['bank-customer'];
    case 'agent':
      return ['otc-agent'];
    case 'card-token':
      return ['card-on-file'];
    case 'wallet':
      // A wallet is an MFS user's when an MFS sends it, an aggregator's customer otherwise.
      return partner.kind === 'mfs' ? ['mfs-user', 'wallet-aggregator'] : ['wallet-aggregator', 'mfs-user'];
  }
}
