import type { Logger } from '../../infrastructure/logging/logger';
import type { Metrics } from '../../infrastructure/metrics/metrics';
import type { Db } from '../db';
import { uuidv7 } from '../ids';
import type { ChainVerdict } from './audit-chain';
import { listAuditEntries, verifyAuditChain, type AuditListEntry } from './audit-log';
import {
  AuditedRoutingRules,
  findRule,
  listRules,
  requireReason,
  type RuleChange,
  type RuleWriter,
} from './audited-routing-rules';
import { PartnersRepository } from '../partners/partners.repository';
import { RecentTrafficRepository, type TrafficWindow } from './recent-traffic.repository';
import type { RouteKey } from './route';
import type { RouteResolver } from './route-resolver';
import {
  applyInMemory,
  destinationLabel,
  reroute,
  type DryRunChange,
  type ProposedChange,
  type RoutedTo,
} from './route-table';
import { RoutingReferenceData } from './rule-validator';
import {
  RoutingError,
  isWildcard,
  keyOfRule,
  tupleOf,
  type ChangeContext,
  type NewRule,
  type RoutingRule,
  type RuleAction,
  type RulePatch,
} from './routing-rule';
import { parseRulesCsv, rulesToCsv, type CsvRowError } from './rules-csv';

export interface ScheduledChange {
  readonly id: string;
  readonly action: RuleAction;
  readonly ruleId: string | null;
  readonly change: unknown;
  readonly effectiveAt: string;
  readonly actor: string;
  readonly reason: string;
  readonly state: 'pending' | 'applied' | 'failed' | 'cancelled';
  readonly createdAt: string;
  readonly appliedAt: string | null;
  readonly auditSeq: number | null;
  readonly error: string | null;
}

export type WriteOutcome =
  | { readonly kind: 'applied'; readonly change: RuleChange | undefined; readonly rule: RoutingRule | null }
  | { readonly kind: 'scheduled'; readonly scheduled: ScheduledChange };

export interface ImportReport {
  readonly rows: number;
  readonly created: number;
  readonly updated: number;
  readonly unchanged: number;
}

export interface DryRunAnswer {
  readonly days: number;
  readonly since: string;
  readonly examined: number;
  readonly changedCount: number;
  readonly changed: readonly DryRunChange[];
  readonly truncated: boolean;
  readonly sameDestinationOtherRule: number;
  readonly summary: readonly { from: string; to: string; payments: number }[];
}

type ScheduledPayload =
  | { readonly rule: NewRule }
  | { readonly patch: RulePatch; readonly expectedVersion?: number }
  | { readonly expectedVersion?: number };

/**
 * Routing as ops own it: the rule table's ops operations (each audited, each written through to the
 * route cache after commit), CSV export and import, scheduled changes, the dry run, and the audit
 * log's listing and verification.
 */
export class RoutingAdmin {
  readonly rules: AuditedRoutingRules;
  private readonly traffic: RecentTrafficRepository;
  private readonly partners: PartnersRepository;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Db,
    private readonly resolver: RouteResolver,
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {
    this.rules = new AuditedRoutingRules(db);
    this.traffic = new RecentTrafficRepository(db);
    this.partners = new PartnersRepository(db);
  }

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
      await this.checkReference(rule);
      return this.schedule('create', null, { rule }, opts.effectiveAt, ctx);
    }
    const change = await this.write(ctx, (w) => w.create(rule), 'api');
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
      await this.checkReference({
        ...current,
        billerEndpoint: patch.billerEndpoint ?? current.billerEndpoint,
        settlementAccount: patch.settlementAccount ?? current.settlementAccount,
      });
      const payload = {
        patch,
        ...(opts.expectedVersion !== undefined ? { expectedVersion: opts.expectedVersion } : {}),
      };
      return this.schedule('update', id, payload, opts.effectiveAt, ctx);
    }
    const change = await this.write(ctx, (w) => w.update(id, patch, opts.expectedVersion), 'api');
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
      return this.schedule('delete', id, payload, opts.effectiveAt, ctx);
    }
    const change = await this.write(ctx, (w) => w.remove(id, opts.expectedVersion), 'api');
    return { kind: 'applied', change, rule: null };
  }

  // ---- CSV ----------------------------------------------------------------------------------

  async exportCsv(): Promise<string> {
    return rulesToCsv(await this.list());
  }

  /**
   * All or nothing: every line is checked (syntax, references, the tuple of an existing rule, the
   * version it was exported at, and whether the resulting table would have two enabled rules for
   * one tuple) and every bad line reported; only a clean file is applied, in one transaction.
   * Rules absent from the file are left as they are.
   */
  async importCsv(text: string, ctx: ChangeContext): Promise<ImportReport> {
    const parsed = parseRulesCsv(text);
    const errors: CsvRowError[] = [...parsed.errors];
    const reference = await RoutingReferenceData.load(this.db);
    const existing = new Map((await this.list()).map((r) => [r.id, r]));
    const seenIds = new Map<string, number>();
    type Planned =
      | { kind: 'create'; line: number; rule: NewRule }
      | {
          kind: 'update';
          line: number;
          id: string;
          patch: RulePatch;
          expectedVersion?: number;
          disables: boolean;
        }
      | { kind: 'unchanged'; line: number };
    const plan: Planned[] = [];
    const finalTable = new Map(existing);

    for (const row of parsed.rows) {
      const rowErrors = reference.validate(row).map((e) => ({ line: row.line, ...e }));
      if (row.id !== undefined) {
        const earlier = seenIds.get(row.id);
        if (earlier !== undefined) {
          rowErrors.push({
            line: row.line,
            field: 'id',
            message: `rule ${row.id} also appears on line ${earlier}`,
          });
        }
        seenIds.set(row.id, row.line);
      }
      const current = row.id !== undefined ? existing.get(row.id) : undefined;
      if (row.id !== undefined && current === undefined) {
        rowErrors.push({
          line: row.line,
          field: 'id',
          message: `no routing rule ${row.id} (leave id empty to create one)`,
        });
      }
      if (current !== undefined) {
        if (tupleOf(current) !== tupleOf(row)) {
          rowErrors.push({
            line: row.line,
            field: 'billType/payerType/partnerId',
            message: `rule ${current.id} routes ${tupleOf(current)}; a rule's tuple cannot change (create a new rule)`,
          });
        }
        if (row.version !== undefined && row.version !== current.version) {
          rowErrors.push({
            line: row.line,
            field: 'version',
            message: `rule ${current.id} is now at version ${current.version}, the file has ${row.version}: export again`,
          });
        }
      }
      if (rowErrors.length > 0) {
        errors.push(...rowErrors);
        continue;
      }
      if (current === undefined) {
        const id = uuidv7();
        const rule: NewRule = {
          id,
          billType: row.billType,
          payerType: row.payerType,
          partnerId: row.partnerId,
          billerEndpoint: row.billerEndpoint,
          settlementAccount: row.settlementAccount,
          enabled: row.enabled,
        };
        plan.push({ kind: 'create', line: row.line, rule });
        finalTable.set(id, { ...rule, id, enabled: row.enabled, version: 1 });
      } else if (
        current.billerEndpoint === row.billerEndpoint &&
        current.settlementAccount === row.settlementAccount &&
        current.enabled === row.enabled
      ) {
        plan.push({ kind: 'unchanged', line: row.line });
      } else {
        plan.push({
          kind: 'update',
          line: row.line,
          id: current.id,
          patch: {
            billerEndpoint: row.billerEndpoint,
            settlementAccount: row.settlementAccount,
            enabled: row.enabled,
          },
          ...(row.version !== undefined ? { expectedVersion: row.version } : {}),
          disables: current.enabled && !row.enabled,
        });
        finalTable.set(current.id, { ...current, ...row, id: current.id, enabled: row.enabled });
      }
    }

    // The table as it would be after the import: one enabled rule per tuple at most.
    const lineOf = new Map<string, number>();
    for (const p of plan) {
      if (p.kind === 'create') lineOf.set(p.rule.id ?? '', p.line);
      if (p.kind === 'update') lineOf.set(p.id, p.line);
    }
    const claimed = new Map<string, RoutingRule>();
    for (const rule of finalTable.values()) {
      if (!rule.enabled) continue;
      const tuple = tupleOf(rule);
      const other = claimed.get(tuple);
      if (other === undefined) {
        claimed.set(tuple, rule);
        continue;
      }
      const [mine, theirs] = lineOf.has(rule.id) ? [rule, other] : [other, rule];
      const line = lineOf.get(mine.id);
      if (line === undefined) continue;
      const theirLine = lineOf.get(theirs.id);
      errors.push({
        line,
        field: 'enabled',
        message:
          theirLine !== undefined
            ? `${tuple} is also enabled on line ${theirLine}`
            : `enabled rule ${theirs.id} already routes ${tuple}`,
      });
    }

    if (errors.length > 0) {
      errors.sort((a, b) => a.line - b.line);
      throw new RoutingError(
        'import-rejected',
        `${new Set(errors.map((e) => e.line)).size} bad row(s); nothing was changed`,
        {
          badRows: errors,
        },
      );
    }

    // Disabling first, so that no intermediate state has two enabled rules for one tuple.
    const ordered = [
      ...plan.filter((p) => p.kind === 'update' && p.disables),
      ...plan.filter((p) => p.kind === 'update' && !p.disables),
      ...plan.filter((p) => p.kind === 'create'),
    ];
    const changes = await this.rules.run(ctx, async (w) => {
      const done: RuleChange[] = [];
      for (const p of ordered) {
        if (p.kind === 'create') done.push(await w.create(p.rule));
        else if (p.kind === 'update') {
          const c = await w.update(p.id, p.patch, p.expectedVersion);
          if (c !== undefined) done.push(c);
        }
      }
      return done;
    });
    for (const c of changes) this.metrics.routingChanges.inc({ action: c.action, via: 'csv' });
    await this.refreshAfter(changes);
    return {
      rows: parsed.rows.length,
      created: changes.filter((c) => c.action === 'create').length,
      updated: changes.filter((c) => c.action === 'update').length,
      unchanged: plan.filter((p) => p.kind === 'unchanged').length,
    };
  }

  // ---- dry run --------------------------------------------------------------------------------

  /**
   * Which of the last `days` days' payments would have gone elsewhere with the change applied.
   * Evaluated in memory over the rule table; nothing is written. Payments are grouped by where they
   * went, so a busy tuple costs one grouped scan plus one fetch per changed group.
   */
  async dryRun(change: ProposedChange, days = 7, now = new Date(), limit = 1000): Promise<DryRunAnswer> {
    const current = await this.list();
    if (change.action !== 'delete') {
      const candidate =
        change.action === 'create'
          ? change.rule
          : (() => {
              const rule = current.find((r) => r.id === change.id);
              if (rule === undefined) throw new RoutingError('not-found', `no routing rule ${change.id}`);
              return { ...rule, ...change.patch };
            })();
      await this.checkReference(candidate);
    }
    const applied = applyInMemory(current, change);
    if (applied === undefined) {
      throw new RoutingError('not-found', `no routing rule ${change.action === 'create' ? '' : change.id}`);
    }
    const touched = applied.touched;
    const clash =
      change.action !== 'delete' && touched.enabled
        ? applied.rules.find((r) => r.enabled && r.id !== touched.id && tupleOf(r) === tupleOf(touched))
        : undefined;
    if (clash !== undefined) {
      throw new RoutingError('conflict', `enabled rule ${clash.id} already routes ${tupleOf(touched)}`, {
        conflictingRuleId: clash.id,
      });
    }

    const since = new Date(now.getTime() - days * 86_400_000);
    const window: TrafficWindow = {
      since,
      until: now,
      billType: touched.billType,
      payerType: touched.payerType,
      ...(isWildcard(touched) ? {} : { partnerId: touched.partnerId }),
    };
    const groups = await this.traffic.groups(window);

    const examined = groups.reduce((n, g) => n + g.payments, 0);
    let sameDestinationOtherRule = 0;
    let changedCount = 0;
    const summary = new Map<string, { from: string; to: string; payments: number }>();
    const changed: DryRunChange[] = [];
    for (const group of groups) {
      const from: RoutedTo | null =
        group.routeRuleId !== null && group.billerEndpoint !== null && group.settlementAccount !== null
          ? {
              ruleId: group.routeRuleId,
              billerEndpoint: group.billerEndpoint,
              settlementAccount: group.settlementAccount,
            }
          : null;
      const n = group.payments;
      const r = reroute(applied.rules, {
        billType: touched.billType,
        payerType: touched.payerType,
        partnerId: group.partnerId,
        route: from,
      });
      if (r.kind === 'other-rule') sameDestinationOtherRule += n;
      if (r.kind !== 'changed') continue;
      changedCount += n;
      const label = { from: destinationLabel(from), to: destinationLabel(r.to) };
      const k = `${label.from}\n${label.to}`;
      summary.set(k, { ...label, payments: (summary.get(k)?.payments ?? 0) + n });
      if (changed.length >= limit) continue;
      const rows = await this.traffic.paymentsOf(window, group, limit - changed.length);
      for (const row of rows) {
        changed.push({
          paymentId: row.id,
          partnerId: group.partnerId,
          createdAt: row.createdAt.toISOString(),
          from,
          to: r.to,
        });
      }
    }
    return {
      days,
      since: since.toISOString(),
      examined,
      changedCount,
      changed,
      truncated: changed.length < changedCount,
      sameDestinationOtherRule,
      summary: [...summary.values()].sort((x, y) => y.payments - x.payments),
    };
  }

  // ---- scheduled changes ----------------------------------------------------------------------

  async listScheduled(state?: ScheduledChange['state']): Promise<ScheduledChange[]> {
    let q = this.db.selectFrom('routing_scheduled_changes').selectAll();
    if (state !== undefined) q = q.where('state', '=', state);
    const rows = await q.orderBy('effective_at').orderBy('created_at').limit(1000).execute();
    return rows.map(scheduledOfRow);
  }

  async cancelScheduled(id: string, ctx: ChangeContext): Promise<ScheduledChange> {
    const row = await this.db
      .updateTable('routing_scheduled_changes')
      .set({ state: 'cancelled', error: `cancelled by ${ctx.actor}: ${ctx.reason}` })
      .where('id', '=', id)
      .where('state', '=', 'pending')
      .returningAll()
      .executeTakeFirst();
    if (row === undefined) {
      throw new RoutingError('schedule-not-found', `no pending scheduled change ${id}`);
    }
    return scheduledOfRow(row);
  }

  /**
   * Applies every scheduled change that has come due, each exactly once across the cluster: the
   * change row is claimed under `for update skip locked` and marked applied in the transaction that
   * writes the rule and its audit entry. A change that no longer applies (the rule is gone, a
   * conflict) is marked failed with the reason, in a transaction of its own.
   */
  async applyDueChanges(
    now = new Date(),
  ): Promise<{ applied: ScheduledChange[]; failed: ScheduledChange[] }> {
    const applied: ScheduledChange[] = [];
    const failed: ScheduledChange[] = [];
    const skip = new Set<string>();
    for (let i = 0; i < 1000; i += 1) {
      let claimedId: string | undefined;
      try {
        const outcome = await this.db.transaction().execute(async (tx) => {
          let q = tx
            .selectFrom('routing_scheduled_changes')
            .selectAll()
            .where('state', '=', 'pending')
            .where('effective_at', '<=', now);
          if (skip.size > 0) q = q.where('id', 'not in', [...skip]);
          const row = await q
            .orderBy('effective_at')
            .orderBy('created_at')
            .orderBy('id')
            .limit(1)
            .forUpdate()
            .skipLocked()
            .executeTakeFirst();
          if (row === undefined) return undefined;
          claimedId = row.id;
          const ctx: ChangeContext = { actor: row.actor, reason: row.reason, scheduledChangeId: row.id };
          const payload = row.change as ScheduledPayload;
          const change = await this.rules.run(
            ctx,
            (w) => applyScheduled(w, row.action, row.rule_id, payload),
            tx,
          );
          const done = await tx
            .updateTable('routing_scheduled_changes')
            .set({ state: 'applied', applied_at: new Date(), audit_seq: change?.auditSeq.toString() ?? null })
            .where('id', '=', row.id)
            .returningAll()
            .executeTakeFirstOrThrow();
          return { change, scheduled: scheduledOfRow(done) };
        });
        if (outcome === undefined) break;
        applied.push(outcome.scheduled);
        if (outcome.change !== undefined) {
          this.metrics.routingChanges.inc({ action: outcome.change.action, via: 'scheduled' });
          await this.refreshAfter([outcome.change]);
        }
      } catch (error) {
        if (claimedId === undefined) throw error;
        skip.add(claimedId);
        const message = error instanceof Error ? error.message : String(error);
        this.log.warn({ scheduledChange: claimedId, err: message }, 'scheduled routing change failed');
        const row = await this.db
          .updateTable('routing_scheduled_changes')
          .set({ state: 'failed', applied_at: new Date(), error: message })
          .where('id', '=', claimedId)
          .where('state', '=', 'pending')
          .returningAll()
          .executeTakeFirst();
        if (row !== undefined) failed.push(scheduledOfRow(row));
      }
    }
    return { applied, failed };
  }

  startScheduler(everyMs = 5_000): void {
    this.stopScheduler();
    this.timer = setInterval(() => {
      this.applyDueChanges().catch((error: unknown) =>
        this.log.error({ err: error }, 'applying scheduled routing changes failed'),
      );
    }, everyMs);
    this.timer.unref();
  }

  stopScheduler(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  // ---- audit ----------------------------------------------------------------------------------

  listAudit(opts: { afterSeq?: number; limit?: number; ruleId?: string } = {}): Promise<{
    items: AuditListEntry[];
    nextAfterSeq: number | null;
  }> {
    return listAuditEntries(this.db, opts);
  }

  verifyAudit(): Promise<ChainVerdict> {
    return verifyAuditChain(this.db);
  }

  // ---- internals ------------------------------------------------------------------------------

  private async write<T extends RuleChange | undefined>(
    ctx: ChangeContext,
    op: (w: RuleWriter) => Promise<T>,
    via: string,
  ): Promise<T> {
    const change = await this.rules.run(ctx, op);
    if (change !== undefined) {
      this.metrics.routingChanges.inc({ action: change.action, via });
      await this.refreshAfter([change]);
    }
    return change;
  }

  private async checkReference(rule: Omit<NewRule, 'id'>): Promise<void> {
    const errors = (await RoutingReferenceData.load(this.db)).validate(rule);
    if (errors.length > 0) throw new RoutingError('validation', 'the routing rule is not valid', { errors });
  }

  private async schedule(
    action: ScheduledChange['action'],
    ruleId: string | null,
    payload: ScheduledPayload,
    effectiveAt: Date,
    ctx: ChangeContext,
  ): Promise<WriteOutcome> {
    requireReason(ctx);
    if (effectiveAt.getTime() <= Date.now()) {
      throw new RoutingError('validation', 'effectiveAt must be in the future', {
        errors: [{ field: 'effectiveAt', message: 'must be in the future (omit it to change now)' }],
      });
    }
    const row = await this.db
      .insertInto('routing_scheduled_changes')
      .values({
        id: uuidv7(),
        action,
        rule_id: ruleId,
        change: JSON.stringify(payload),
        effective_at: effectiveAt,
        actor: ctx.actor,
        reason: ctx.reason,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return { kind: 'scheduled', scheduled: scheduledOfRow(row) };
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

async function applyScheduled(
  w: RuleWriter,
  action: ScheduledChange['action'],
  ruleId: string | null,
  payload: ScheduledPayload,
): Promise<RuleChange | undefined> {
  switch (action) {
    case 'create':
      if (!('rule' in payload)) throw new Error('scheduled create without a rule');
      return w.create(payload.rule);
    case 'update':
      if (ruleId === null || !('patch' in payload))
        throw new Error('scheduled update without a rule or patch');
      return w.update(ruleId, payload.patch, payload.expectedVersion);
    case 'delete':
      if (ruleId === null) throw new Error('scheduled delete without a rule');
      return w.remove(ruleId, 'expectedVersion' in payload ? payload.expectedVersion : undefined);
  }
}

function scheduledOfRow(row: {
  id: string;
  action: ScheduledChange['action'];
  rule_id: string | null;
  change: unknown;
  effective_at: Date;
  actor: string;
  reason: string;
  state: ScheduledChange['state'];
  created_at: Date;
  applied_at: Date | null;
  audit_seq: bigint | null;
  error: string | null;
}): ScheduledChange {
  return {
    id: row.id,
    action: row.action,
    ruleId: row.rule_id,
    change: row.change,
    effectiveAt: row.effective_at.toISOString(),
    actor: row.actor,
    reason: row.reason,
    state: row.state,
    createdAt: row.created_at.toISOString(),
    appliedAt: row.applied_at?.toISOString() ?? null,
    auditSeq: row.audit_seq === null ? null : Number(row.audit_seq),
    error: row.error,
  };
}
