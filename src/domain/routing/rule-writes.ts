import type { Logger } from '../../infrastructure/logging/logger';
import type { Metrics } from '../../infrastructure/metrics/metrics';
import type { Db } from '../db';
import { PartnersRepository } from '../partners/partners.repository';
import { AuditedRoutingRules, type RuleChange, type RuleWriter } from './audited-routing-rules';
import type { RouteKey } from './route';
import type { RouteResolver } from './route-resolver';
import { RoutingReferenceData } from './rule-validator';
import {
  RoutingError,
  isWildcard,
  keyOfRule,
  tupleOf,
  type ChangeContext,
  type NewRule,
} from './routing-rule';

/**
 * What every ops change of the routing table goes through, whichever way it came (API, CSV import,
 * a scheduled change): written by AuditedRoutingRules with its audit entry, counted, and written
 * through to the route cache after commit.
 */
export class RuleWrites {
  readonly rules: AuditedRoutingRules;
  private readonly partners: PartnersRepository;

  constructor(
    private readonly db: Db,
    private readonly resolver: RouteResolver,
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {
    this.rules = new AuditedRoutingRules(db);
    this.partners = new PartnersRepository(db);
  }

  /** One change in a transaction of its own, then counted and written through. */
  async write<T extends RuleChange | undefined>(
    ctx: ChangeContext,
    op: (w: RuleWriter) => Promise<T>,
    via: string,
  ): Promise<T> {
    const change = await this.rules.run(ctx, op);
    if (change !== undefined) await this.committed([change], via);
    return change;
  }

  /** After the transaction that wrote `changes` has committed: count them and refresh the cache. */
  async committed(changes: readonly RuleChange[], via: string): Promise<void> {
    for (const c of changes) this.metrics.routingChanges.inc({ action: c.action, via });
    await this.refreshAfter(changes);
  }

  /** The rule's references (bill type, partner, biller, settlement account) exist and agree. */
  async checkReference(rule: Omit<NewRule, 'id'>): Promise<void> {
    const errors = (await RoutingReferenceData.load(this.db)).validate(rule);
    if (errors.length > 0) throw new RoutingError('validation', 'the routing rule is not valid', { errors });
  }

  /** Every route key a change may answer differently: a `*` rule serves every partner. */
  private async affectedKeys(changes: readonly RuleChange[]): Promise<RouteKey[]> {
    const keys = new Map<string, RouteKey>();
    let partners: string[] | undefined;
    for (const c of changes) {
      const rule = c.after ?? c.before;
      if (rule === null) continue;
      const key = keyOfRule(rule);
      keys.set(tupleOf(key), key);
      if (isWildcard(rule)) {
        partners ??= await this.partners.listIds();
        for (const partnerId of partners) {
          const k = { ...key, partnerId };
          keys.set(tupleOf(k), k);
        }
      }
    }
    return [...keys.values()];
  }

  /** Write-through after commit. A failure here is logged, never surfaced: the change is committed. */
  private async refreshAfter(changes: readonly RuleChange[]): Promise<void> {
    try {
      await this.resolver.refresh(await this.affectedKeys(changes));
    } catch (error) {
      this.log.warn({ err: error }, 'route cache write-through failed; entries expire within the TTL');
    }
  }
}
