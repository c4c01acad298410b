import type { Db } from '../db';
import { findRule, listRules, type RuleChange } from './audited-routing-rules';
import {
  RoutingError,
  type ChangeContext,
  type NewRule,
  type RoutingRule,
  type RulePatch,
} from './routing-rule';
import type { RuleWrites } from './rule-writes';
import type { ScheduledChange, ScheduledRuleChanges } from './scheduled-changes';

export type WriteOutcome =
  | { readonly kind: 'applied'; readonly change: RuleChange | undefined; readonly rule: RoutingRule | null }
  | { readonly kind: 'scheduled'; readonly scheduled: ScheduledChange };

/**
 * The routing table's rules as ops read and change them one at a time: now (audited, written
 * through to the route cache) or, with effectiveAt, scheduled for later.
 */
export class RuleAdmin {
  constructor(
    private readonly db: Db,
    private readonly writes: RuleWrites,
    private readonly scheduled: ScheduledRuleChanges,
  ) {}

  list(filter: { billType?: string; partnerId?: string } = {}): Promise<RoutingRule[]> {
    return listRules(this.db, filter);
  }

  async get(id: string): Promise<RoutingRule> {
    const rule = await findRule(this.db, id);
    if (rule === undefined) throw new RoutingError('not-found', `no routing rule ${id}`);
    return rule;
  }

  async create(rule: NewRule, ctx: ChangeContext, opts: { effectiveAt?: Date } = {}): Promise<WriteOutcome> {
    if (opts.effectiveAt !== undefined) {
      await this.writes.checkReference(rule);
      return this.schedule(this.scheduled.schedule('create', null, { rule }, opts.effectiveAt, ctx));
    }
    const change = await this.writes.write(ctx, (w) => w.create(rule), 'api');
    return { kind: 'applied', change, rule: change.after };
  }

  async update(
    id: string,
    patch: RulePatch,
    ctx: ChangeContext,
    opts: { expectedVersion?: number; effectiveAt?: Date } = {},
  ): Promise<WriteOutcome> {
    if (opts.effectiveAt !== undefined) {
      const current = await this.get(id);
      await this.writes.checkReference({
        ...current,
        billerEndpoint: patch.billerEndpoint ?? current.billerEndpoint,
        settlementAccount: patch.settlementAccount ?? current.settlementAccount,
      });
      const payload = {
        patch,
        ...(opts.expectedVersion !== undefined ? { expectedVersion: opts.expectedVersion } : {}),
      };
      return this.schedule(this.scheduled.schedule('update', id, payload, opts.effectiveAt, ctx));
    }
    const change = await this.writes.write(ctx, (w) => w.update(id, patch, opts.expectedVersion), 'api');
    return { kind: 'applied', change, rule: change?.after ?? (await this.get(id)) };
  }

  async remove(
    id: string,
    ctx: ChangeContext,
    opts: { expectedVersion?: number; effectiveAt?: Date } = {},
  ): Promise<WriteOutcome> {
    if (opts.effectiveAt !== undefined) {
      await this.get(id);
      const payload = opts.expectedVersion !== undefined ? { expectedVersion: opts.expectedVersion } : {};
      return this.schedule(this.scheduled.schedule('delete', id, payload, opts.effectiveAt, ctx));
    }
    const change = await this.writes.write(ctx, (w) => w.remove(id, opts.expectedVersion), 'api');
    return { kind: 'applied', change, rule: null };
  }

  private async schedule(scheduling: Promise<ScheduledChange>): Promise<WriteOutcome> {
    return { kind: 'scheduled', scheduled: await scheduling };
  }
}
