import type { JobRunner } from '../../infrastructure/jobs';
import type { Logger } from '../../infrastructure/logging/logger';
import type { Metrics } from '../../infrastructure/metrics/metrics';
import type { Db } from '../db';
import type { ChainVerdict } from './audit-chain';
import { listAuditEntries, verifyAuditChain, type AuditListEntry } from './audit-log';
import type { AuditedRoutingRules } from './audited-routing-rules';
import type { ProposedChange } from './route-table';
import type { RouteResolver } from './route-resolver';
import { RoutingDryRun, type DryRunAnswer } from './routing-dry-run';
import type { ChangeContext, NewRule, RoutingRule, RulePatch } from './routing-rule';
import { RuleAdmin, type WriteOutcome } from './rule-admin';
import { RuleWrites } from './rule-writes';
import { RulesCsvImport, type ImportReport } from './rules-csv-import';
import { ScheduledRuleChanges, type ScheduledChange } from './scheduled-changes';

export type { DryRunAnswer } from './routing-dry-run';
export type { ImportReport } from './rules-csv-import';
export type { WriteOutcome } from './rule-admin';
export type { ScheduledChange } from './scheduled-changes';

/**
 * Routing as ops own it, one module per job: the rules one at a time (rule-admin), CSV export and
 * import (rules-csv-import), scheduled changes (scheduled-changes), the dry run (routing-dry-run),
 * and the audit log's listing and verification. Every write goes through RuleWrites: audited, and
 * written through to the route cache after commit.
 */
export class RoutingAdmin {
  readonly rules: AuditedRoutingRules;
  readonly ruleAdmin: RuleAdmin;
  readonly csv: RulesCsvImport;
  readonly scheduled: ScheduledRuleChanges;
  readonly dryRuns: RoutingDryRun;

  constructor(
    private readonly db: Db,
    resolver: RouteResolver,
    metrics: Metrics,
    log: Logger,
  ) {
    const writes = new RuleWrites(db, resolver, metrics, log);
    this.rules = writes.rules;
    this.scheduled = new ScheduledRuleChanges(db, writes, log);
    this.ruleAdmin = new RuleAdmin(db, writes, this.scheduled);
    this.csv = new RulesCsvImport(db, this.ruleAdmin, writes);
    this.dryRuns = new RoutingDryRun(db, this.ruleAdmin, writes);
  }

  list(filter: { billType?: string; partnerId?: string } = {}): Promise<RoutingRule[]> {
    return this.ruleAdmin.list(filter);
  }

  get(id: string): Promise<RoutingRule> {
    return this.ruleAdmin.get(id);
  }

  create(rule: NewRule, ctx: ChangeContext, opts: { effectiveAt?: Date } = {}): Promise<WriteOutcome> {
    return this.ruleAdmin.create(rule, ctx, opts);
  }

  update(
    id: string,
    patch: RulePatch,
    ctx: ChangeContext,
    opts: { expectedVersion?: number; effectiveAt?: Date } = {},
  ): Promise<WriteOutcome> {
    return this.ruleAdmin.update(id, patch, ctx, opts);
  }

  remove(
    id: string,
    ctx: ChangeContext,
    opts: { expectedVersion?: number; effectiveAt?: Date } = {},
  ): Promise<WriteOutcome> {
    return this.ruleAdmin.remove(id, ctx, opts);
  }

  exportCsv(): Promise<string> {
    return this.csv.exportCsv();
  }

  importCsv(text: string, ctx: ChangeContext): Promise<ImportReport> {
    return this.csv.importCsv(text, ctx);
  }

  dryRun(change: ProposedChange, days = 7, now = new Date(), limit = 1000): Promise<DryRunAnswer> {
    return this.dryRuns.run(change, days, now, limit);
  }

  listScheduled(state?: ScheduledChange['state']): Promise<ScheduledChange[]> {
    return this.scheduled.list(state);
  }

  cancelScheduled(id: string, ctx: ChangeContext): Promise<ScheduledChange> {
    return this.scheduled.cancel(id, ctx);
  }

  applyDueChanges(now = new Date()): Promise<{ applied: ScheduledChange[]; failed: ScheduledChange[] }> {
    return this.scheduled.applyDue(now);
  }

  /** Due scheduled changes are applied by a recurring job on the node's job runner. */
  scheduleOn(runner: JobRunner, everyMs = 5_000): void {
    this.scheduled.scheduleOn(runner, everyMs);
  }

  listAudit(opts: { afterSeq?: number; limit?: number; ruleId?: string } = {}): Promise<{
    items: AuditListEntry[];
    nextAfterSeq: number | null;
  }> {
    return listAuditEntries(this.db, opts);
  }

  verifyAudit(): Promise<ChainVerdict> {
    return verifyAuditChain(this.db);
  }
}
