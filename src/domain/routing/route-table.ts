import { WILDCARD_PARTNER, type RouteKey } from './route';
import type { RoutingRule } from './routing-rule';

/**
 * The routing table evaluated in memory, with the same semantics as RoutingRulesReader.findRoute:
 * the enabled rule for the exact tuple wins, else the enabled `*` rule for the bill and payer type.
 * Used by the dry run to answer "what if" without writing anything.
 */
export function evaluateRoute(rules: readonly RoutingRule[], key: RouteKey): RoutingRule | undefined {
  let wildcard: RoutingRule | undefined;
  for (const r of rules) {
    if (!r.enabled || r.billType !== key.billType || r.payerType !== key.payerType) continue;
    if (r.partnerId === key.partnerId) return r;
    if (r.partnerId === WILDCARD_PARTNER) wildcard = r;
  }
  return wildcard;
}

export type ProposedChange =
  | { readonly action: 'create'; readonly rule: Omit<RoutingRule, 'id' | 'version'> & { id?: string } }
  | {
      readonly action: 'update';
      readonly id: string;
      readonly patch: Partial<Pick<RoutingRule, 'billerEndpoint' | 'settlementAccount' | 'enabled'>>;
    }
  | { readonly action: 'delete'; readonly id: string };

export const PROPOSED_RULE_ID = 'proposed';

/** The table with the change applied; undefined when the change names a rule that does not exist. */
export function applyInMemory(
  rules: readonly RoutingRule[],
  change: ProposedChange,
): { rules: RoutingRule[]; touched: RoutingRule } | undefined {
  switch (change.action) {
    case 'create': {
      const rule: RoutingRule = { ...change.rule, id: change.rule.id ?? PROPOSED_RULE_ID, version: 1 };
      return { rules: [...rules, rule], touched: rule };
    }
    case 'update': {
      const current = rules.find((r) => r.id === change.id);
      if (current === undefined) return undefined;
      const next: RoutingRule = {
        ...current,
        billerEndpoint: change.patch.billerEndpoint ?? current.billerEndpoint,
        settlementAccount: change.patch.settlementAccount ?? current.settlementAccount,
        enabled: change.patch.enabled ?? current.enabled,
        version: current.version + 1,
      };
      return { rules: rules.map((r) => (r.id === change.id ? next : r)), touched: next };
    }
    case 'delete': {
      const current = rules.find((r) => r.id === change.id);
      if (current === undefined) return undefined;
      return { rules: rules.filter((r) => r.id !== change.id), touched: current };
    }
  }
}

export interface RoutedTo {
  readonly ruleId: string;
  readonly billerEndpoint: string;
  readonly settlementAccount: string;
}

export interface PastPayment {
  readonly id: string;
  readonly billType: string;
  readonly payerType: string;
  readonly partnerId: string;
  readonly createdAt: Date;
  readonly route: RoutedTo | null;
}

export interface DryRunChange {
  readonly paymentId: string;
  readonly partnerId: string;
  readonly createdAt: string;
  readonly from: RoutedTo | null;
  readonly to: RoutedTo | null;
}

export type Rerouting =
  | { readonly kind: 'same' }
  | { readonly kind: 'other-rule'; readonly to: RoutedTo }
  | { readonly kind: 'changed'; readonly to: RoutedTo | null };

/**
 * A payment is routed differently when, under the proposed table, it would have gone to another
 * biller endpoint or settlement account than it did (or found no route where it had one, or the
 * reverse). A payment whose destination stays the same but whose rule changes is told apart.
 */
export function reroute(
  proposed: readonly RoutingRule[],
  p: Omit<PastPayment, 'id' | 'createdAt'>,
): Rerouting {
  const rule = evaluateRoute(proposed, {
    billType: p.billType,
    payerType: p.payerType as RouteKey['payerType'],
    partnerId: p.partnerId,
  });
  const to: RoutedTo | null =
    rule === undefined
      ? null
      : { ruleId: rule.id, billerEndpoint: rule.billerEndpoint, settlementAccount: rule.settlementAccount };
  const from = p.route;
  if (from === null && to === null) return { kind: 'same' };
  if (
    from !== null &&
    to !== null &&
    from.billerEndpoint === to.billerEndpoint &&
    from.settlementAccount === to.settlementAccount
  ) {
    return from.ruleId === to.ruleId ? { kind: 'same' } : { kind: 'other-rule', to };
  }
  return { kind: 'changed', to };
}

export function compareRouting(
  proposed: readonly RoutingRule[],
  payments: readonly PastPayment[],
): { changed: DryRunChange[]; sameDestinationOtherRule: number } {
  const changed: DryRunChange[] = [];
  let sameDestinationOtherRule = 0;
  for (const p of payments) {
    const r = reroute(proposed, p);
    if (r.kind === 'other-rule') sameDestinationOtherRule += 1;
    if (r.kind !== 'changed') continue;
    changed.push({
      paymentId: p.id,
      partnerId: p.partnerId,
      createdAt: p.createdAt.toISOString(),
      from: p.route,
      to: r.to,
    });
  }
  return { changed, sameDestinationOtherRule };
}

export function destinationLabel(r: RoutedTo | null): string {
  return r === null ? '(no route)' : `${r.billerEndpoint} / ${r.settlementAccount}`;
}
