import { type PayerType } from '../reason-codes';
import { WILDCARD_PARTNER, type RouteKey } from './route';

/** A routing rule as ops see it (API, CSV, audit before/after). */
export interface RoutingRule {
  readonly id: string;
  readonly billType: string;
  readonly payerType: PayerType;
  readonly partnerId: string;
  readonly billerEndpoint: string;
  readonly settlementAccount: string;
  readonly enabled: boolean;
  readonly version: number;
}

export interface NewRule {
  /** Optional: a caller (CSV import, demo seed) may choose the id; otherwise one is generated. */
  readonly id?: string;
  readonly billType: string;
  readonly payerType: PayerType;
  readonly partnerId: string;
  readonly billerEndpoint: string;
  readonly settlementAccount: string;
  readonly enabled?: boolean;
}

/** What a change does to a rule (audit entries and scheduled changes say the same). */
export type RuleAction = 'create' | 'update' | 'delete';

/** What a PATCH may change; the tuple (bill type, payer type, partner) never changes. */
export interface RulePatch {
  readonly billerEndpoint?: string;
  readonly settlementAccount?: string;
  readonly enabled?: boolean;
}

/** Who is changing the table and why; every write carries both. */
export interface ChangeContext {
  readonly actor: string;
  readonly reason: string;
  readonly scheduledChangeId?: string;
}

export interface FieldError {
  readonly field: string;
  readonly message: string;
}

export type RoutingErrorKind =
  'validation' | 'not-found' | 'conflict' | 'version-mismatch' | 'import-rejected' | 'schedule-not-found';

/** A refusal of an ops change, mapped to problem+json by the ops controllers. */
export class RoutingError extends Error {
  constructor(
    readonly kind: RoutingErrorKind,
    message: string,
    readonly details: {
      readonly errors?: readonly FieldError[];
      readonly conflictingRuleId?: string;
      readonly currentVersion?: number;
      readonly badRows?: readonly { line: number; field: string; message: string }[];
    } = {},
  ) {
    super(message);
    this.name = 'RoutingError';
  }
}

export function keyOfRule(rule: Pick<RoutingRule, 'billType' | 'payerType' | 'partnerId'>): RouteKey {
  return { billType: rule.billType, payerType: rule.payerType, partnerId: rule.partnerId };
}

export function tupleOf(rule: Pick<RoutingRule, 'billType' | 'payerType' | 'partnerId'>): string {
  return `${rule.billType}|${rule.payerType}|${rule.partnerId}`;
}

export function isWildcard(rule: Pick<RoutingRule, 'partnerId'>): boolean {
  return rule.partnerId === WILDCARD_PARTNER;
}

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
