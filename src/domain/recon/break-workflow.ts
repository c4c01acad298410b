import { sql } from 'kysely';
import type { OpsAuditLog } from '../audit/ops-audit-log';
import type { Db, Tx } from '../db';
import { InsufficientFundsError, type Ledger } from '../ledger/ledger';
import { formatMajorAmount } from '../money/money';
import { RESOLUTION_CODES } from './break-codes';
import type { BreakEvent, ReconBreakEventsRepository } from './break-events.repository';
import type { ReconBreak, ReconBreaksRepository } from './breaks.repository';
import {
  BreakWorkflowError,
  planAdjustment,
  type AdjustingJournal,
  type Resolution,
} from './resolution-preview';

export { BreakWorkflowError, type AdjustingJournal, type Resolution } from './resolution-preview';

/** What resolving a break would do, worked out without doing it. */
export interface ResolutionPreview {
  readonly break: ReconBreak;
  readonly movesMoney: boolean;
  /** The adjusting journal a money-moving resolution would post; null when it moves no money. */
  readonly journal: AdjustingJournal | null;
}

/**
 * What ops do with a break: assign it, comment on it, resolve it with a resolution code. Each action
 * is one transaction with its ops audit entry. A resolution that moves money posts a balanced
 * adjusting journal (kind `adjustment`) through the ledger with the break as its reason: never a
 * direct change of a balance or a payment.
 */
export class BreakWorkflow {
  constructor(
    private readonly db: Db,
    private readonly breaks: ReconBreaksRepository,
    private readonly events: ReconBreakEventsRepository,
    private readonly ledger: Ledger,
    private readonly audit: OpsAuditLog,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async get(id: string): Promise<{ break: ReconBreak; events: BreakEvent[] } | undefined> {
    const b = await this.breaks.get(this.db, id);
    if (b === undefined) return undefined;
    return { break: b, events: await this.events.of(this.db, id) };
  }

  async assign(id: string, assignee: string | null, actor: string, reason: string): Promise<ReconBreak> {
    return this.act(id, async (tx, b, now) => {
      await this.breaks.assign(tx, id, assignee, now);
      await this.events.add(tx, [
        { breakId: id, actor, kind: 'assigned', note: reason, data: { assignee }, at: now },
      ]);
      await this.audit.append(tx, {
        actor,
        action: 'recon.break.assign',
        subjectType: 'recon-break',
        subjectId: id,
        reason,
        before: { assignee: b.assignee },
        after: { assignee },
      });
    });
  }

  async comment(id: string, text: string, actor: string): Promise<ReconBreak> {
    return this.act(id, async (tx, _b, now) => {
      await this.events.add(tx, [{ breakId: id, actor, kind: 'commented', note: text, at: now }]);
      await this.audit.append(tx, {
        actor,
        action: 'recon.break.comment',
        subjectType: 'recon-break',
        subjectId: id,
        reason: text,
      });
    });
  }

  async resolve(id: string, r: Resolution, actor: string): Promise<ReconBreak> {
    return this.act(id, async (tx, b, now) => {
      if (b.state !== 'open') {
        throw new BreakWorkflowError('not-open', `break ${id} is ${b.state}; only an open break is resolved`);
      }
      const plan = (await planAdjustment(tx, b, r)) ?? null;
      if (r.expectedJournal !== undefined && r.expectedJournal !== (plan?.digest ?? 'none')) {
        throw new BreakWorkflowError(
          'journal-changed',
          'the adjusting journal is not the one shown: preview the resolution again before confirming',
        );
      }
      const journal = plan === null ? null : await this.post(tx, b, plan);
      await this.breaks.resolve(
        tx,
        id,
        { code: r.resolution, by: actor, journalEntryId: journal?.id ?? null },
        now,
      );
      await this.events.add(tx, [
        {
          breakId: id,
          actor,
          kind: 'resolved',
          note: r.reason,
          data: { resolution: r.resolution, journal },
          at: now,
        },
      ]);
      await this.audit.append(tx, {
        actor,
        action: 'recon.break.resolve',
        subjectType: 'recon-break',
        subjectId: id,
        reason: r.reason,
        before: { state: b.state, code: b.code },
        after: { state: 'resolved', resolution: r.resolution, journal },
      });
    });
  }

  /**
   * What resolving break `id` with `r` would do: the same checks and the same adjusting journal as
   * `resolve`, nothing written. Ops confirm with `expectedJournal` set to the journal's digest.
   */
  async preview(id: string, r: Resolution): Promise<ResolutionPreview> {
    const b = await this.breaks.get(this.db, id);
    if (b === undefined) throw new BreakWorkflowError('not-found', `no break ${id}`);
    if (b.state !== 'open') {
      throw new BreakWorkflowError('not-open', `break ${id} is ${b.state}; only an open break is resolved`);
    }
    const journal = (await planAdjustment(this.db, b, r)) ?? null;
    return { break: b, movesMoney: RESOLUTION_CODES[r.resolution].movesMoney, journal };
  }

  private async act(
    id: string,
    work: (tx: Tx, b: ReconBreak, now: Date) => Promise<void>,
  ): Promise<ReconBreak> {
    const now = this.now();
    await this.db.transaction().execute(async (tx) => {
      const b = await this.breaks.get(tx, id, true);
      if (b === undefined) throw new BreakWorkflowError('not-found', `no break ${id}`);
      await work(tx, b, now);
    });
    return (await this.breaks.get(this.db, id))!;
  }

  /** Posts a resolution's adjusting journal through the ledger; answers its id and lines. */
  private async post(tx: Tx, b: ReconBreak, plan: AdjustingJournal): Promise<{ id: string; lines: unknown }> {
    if (plan.opensAccount !== null) {
      await sql`insert into ledger_accounts (id, kind, owner_id, currency)
                values (${plan.opensAccount}, 'suspense', null, ${plan.currency}) on conflict (id) do nothing`.execute(
        tx,
      );
    }
    let entryId: string;
    try {
      entryId = await this.ledger.post(tx, {
        paymentId: b.paymentId,
        kind: 'adjustment',
        currency: plan.currency,
        memo: plan.memo,
        lines: plan.lines,
      });
    } catch (error) {
      if (error instanceof InsufficientFundsError) {
        throw new BreakWorkflowError(
          'invalid-adjustment',
          `${error.accountId} would go below zero: it cannot be debited this amount`,
        );
      }
      throw error;
    }
    return {
      id: entryId,
      lines: plan.lines.map((l) => ({
        accountId: l.accountId,
        side: l.side,
        amount: formatMajorAmount(l.amount, plan.currency),
        currency: plan.currency,
      })),
    };
  }
}
