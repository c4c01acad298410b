import type { JobRunner } from '../../infrastructure/jobs';
import type { Logger } from '../../infrastructure/logging/logger';
import type { Db } from '../db';
import { uuidv7 } from '../ids';
import { requireReason, type RuleChange, type RuleWriter } from './audited-routing-rules';
import {
  RoutingError,
  type ChangeContext,
  type NewRule,
  type RuleAction,
  type RulePatch,
} from './routing-rule';
import type { RuleWrites } from './rule-writes';

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

/** What a scheduled change stores of its request, to apply it later. */
export type ScheduledPayload =
  | { readonly rule: NewRule }
  | { readonly patch: RulePatch; readonly expectedVersion?: number }
  | { readonly expectedVersion?: number };

/**
 * Rule changes ops schedule for later: stored with their reason, listed, cancelled, and applied
 * exactly once across the cluster when they come due (each with its audit entry, like any change).
 */
/** The recurring job (src/infrastructure/jobs) that applies due changes. */
export const SCHEDULED_CHANGES_JOB = 'routing.apply-scheduled-changes';

export class ScheduledRuleChanges {
  constructor(
    private readonly db: Db,
    private readonly writes: RuleWrites,
    private readonly log: Logger,
  ) {}

  async schedule(
    action: RuleAction,
    ruleId: string | null,
    payload: ScheduledPayload,
    effectiveAt: Date,
    ctx: ChangeContext,
  ): Promise<ScheduledChange> {
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
    return scheduledOfRow(row);
  }

  async list(state?: ScheduledChange['state']): Promise<ScheduledChange[]> {
    let q = this.db.selectFrom('routing_scheduled_changes').selectAll();
    if (state !== undefined) q = q.where('state', '=', state);
    const rows = await q.orderBy('effective_at').orderBy('created_at').limit(1000).execute();
    return rows.map(scheduledOfRow);
  }

  async cancel(id: string, ctx: ChangeContext): Promise<ScheduledChange> {
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
  async applyDue(now = new Date()): Promise<{ applied: ScheduledChange[]; failed: ScheduledChange[] }> {
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
          const change = await this.writes.rules.run(
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
        if (outcome.change !== undefined) await this.writes.committed([outcome.change], 'scheduled');
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

  /**
   * Registers the scheduler on a node's job runner: due changes are looked for once per cluster every
   * `everyMs` (a failed look is logged by the runner and made again next period).
   */
  scheduleOn(runner: JobRunner, everyMs = 5_000): void {
    runner.every(SCHEDULED_CHANGES_JOB, { everyMs }, async () => {
      await this.applyDue().catch((error: unknown) => {
        this.log.error({ err: error }, 'applying scheduled routing changes failed');
        throw error;
      });
    });
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
