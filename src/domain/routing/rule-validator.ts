import type { Executor } from '../db';
import { WILDCARD_PARTNER } from './route';
import { isPayerType } from '../reason-codes';
import { type FieldError, type NewRule } from './routing-rule';

/** What a rule may point at, loaded once per change (the tables hold hundreds of rows at most). */
export class RoutingReferenceData {
  private constructor(
    readonly billTypes: ReadonlySet<string>,
    readonly partners: ReadonlyMap<string, readonly string[]>,
    readonly billers: ReadonlyMap<string, { readonly billType: string; readonly currency: string }>,
    readonly accounts: ReadonlyMap<string, { readonly kind: string; readonly currency: string }>,
  ) {}

  static async load(db: Executor): Promise<RoutingReferenceData> {
    // One after another: on a transaction they share one connection anyway.
    const billTypes = await db.selectFrom('bill_types').select('code').execute();
    const partners = await db.selectFrom('partners').select(['id', 'payer_types']).execute();
    const billers = await db.selectFrom('biller_endpoints').select(['id', 'bill_type', 'currency']).execute();
    const accounts = await db.selectFrom('ledger_accounts').select(['id', 'kind', 'currency']).execute();
    return new RoutingReferenceData(
      new Set(billTypes.map((b) => b.code)),
      new Map(partners.map((p) => [p.id, p.payer_types])),
      new Map(billers.map((b) => [b.id, { billType: b.bill_type, currency: b.currency.trim() }])),
      new Map(accounts.map((a) => [a.id, { kind: a.kind, currency: a.currency.trim() }])),
    );
  }

  /**
   * Everything about one rule that can be checked without the rest of the table: the bill type,
   * payer type and partner exist; the biller serves that bill type; the settlement account exists,
   * is a settlement account, and holds the biller's currency.
   */
  validate(rule: Omit<NewRule, 'id'>): FieldError[] {
    const errors: FieldError[] = [];
    if (!this.billTypes.has(rule.billType)) {
      errors.push({ field: 'billType', message: `unknown bill type '${rule.billType}'` });
    }
    if (!isPayerType(rule.payerType)) {
      errors.push({ field: 'payerType', message: `unknown payer type '${String(rule.payerType)}'` });
    }
    if (rule.partnerId !== WILDCARD_PARTNER) {
      const payerTypes = this.partners.get(rule.partnerId);
      if (payerTypes === undefined) {
        errors.push({ field: 'partnerId', message: `unknown partner '${rule.partnerId}' (or '*' for all)` });
      } else if (isPayerType(rule.payerType) && !payerTypes.includes(rule.payerType)) {
        errors.push({
          field: 'payerType',
          message: `partner '${rule.partnerId}' does not send payer type '${rule.payerType}'`,
        });
      }
    }
    const biller = this.billers.get(rule.billerEndpoint);
    if (biller === undefined) {
      errors.push({ field: 'billerEndpoint', message: `unknown biller endpoint '${rule.billerEndpoint}'` });
    } else if (biller.billType !== rule.billType) {
      errors.push({
        field: 'billerEndpoint',
        message: `biller endpoint '${rule.billerEndpoint}' serves ${biller.billType}, not ${rule.billType}`,
      });
    }
    const account = this.accounts.get(rule.settlementAccount);
    if (account === undefined) {
      errors.push({
        field: 'settlementAccount',
        message: `unknown settlement account '${rule.settlementAccount}'`,
      });
    } else if (account.kind !== 'settlement') {
      errors.push({
        field: 'settlementAccount',
        message: `account '${rule.settlementAccount}' is ${/^[aeiou]/.test(account.kind) ? 'an' : 'a'} ${account.kind} account, not a settlement account`,
      });
    } else if (biller !== undefined && account.currency !== biller.currency) {
      errors.push({
        field: 'settlementAccount',
        message: `account '${rule.settlementAccount}' holds ${account.currency} but biller '${rule.billerEndpoint}' settles in ${biller.currency}`,
      });
    }
    return errors;
  }
}
