import { sql } from 'kysely';
import type { Db } from '../db';
import type { Ledger } from '../ledger/ledger';
import { businessDate } from '../posting/agent-engine';
import { AgentProblem } from './agent';
import type { AgentNetwork } from './agent-network';
import { totalCount, type CountLine } from './denominations';

export interface CountSheetInput {
  readonly agentId: string;
  readonly currency: string;
  readonly counts: readonly CountLine[];
  /** The sheet this one corrects (same agent, not yet corrected). */
  readonly corrects?: string;
  readonly note?: string;
  /** Who counted: an ops user, or `terminal:<id>` when submitted from the agent's terminal. */
  readonly submittedBy: string;
  readonly at: Date;
}

export interface CountSheet {
  readonly id: string;
  readonly agentId: string;
  readonly businessDate: string;
  readonly currency: string;
  readonly counts: readonly { denomination: string; count: number; valueMinor: bigint }[];
  readonly countedMinor: bigint;
  /** What the ledger says the agent holds for the bank at submission. */
  readonly ledgerPositionMinor: bigint;
  /** Counted minus ledger: negative is cash missing from the till. */
  readonly varianceMinor: bigint;
  readonly corrects: string | null;
  readonly suspended: boolean;
  readonly submittedBy: string;
  readonly createdAt: Date;
}

export const COUNT_VARIANCE_SUSPENSION = 'count-variance';

/**
 * End-of-day cash count sheets. The system totals the denominations, compares the total with the
 * ledger's cash position of the agent and records any variance (agent_cash_variances: what the
 * day's reconciliation turns into a break). A variance beyond the agent's threshold suspends the
 * agent until ops clear it. Sheets are immutable (a trigger refuses changes); a correction is a new
 * sheet naming the one it corrects, whose variance it supersedes.
 */
export class CountSheets {
  constructor(
    private readonly db: Db,
    private readonly ledger: Ledger,
    private readonly network: AgentNetwork,
    private readonly newId: () => string,
    private readonly timeZone = 'Asia/Dhaka',
  ) {}

  async submit(input: CountSheetInput): Promise<CountSheet> {
    const counted = totalCount(input.currency, input.counts);
    if (!counted.ok) {
      throw new AgentProblem(
        'invalid',
        'invalid-count-sheet',
        counted.errors.map((e) => `${e.field}: ${e.message}`).join('; '),
      );
    }
    return this.db.transaction().execute(async (tx) => {
      // Locked so the position read here is not moved by a payment or settlement mid-sheet.
      const agent = await this.network.require(tx, input.agentId, true);
      if (agent.currency !== input.currency) {
        throw new AgentProblem('invalid', 'currency-mismatch', `agent ${agent.id} holds ${agent.currency}`);
      }
      let day = businessDate(input.at, this.timeZone);
      if (input.corrects !== undefined) {
        const old = await tx
          .selectFrom('agent_count_sheets')
          .select(['id', 'agent_id', sql<string>`business_date::text`.as('day')])
          .where('id', '=', input.corrects)
          .executeTakeFirst();
        if (old === undefined || old.agent_id !== agent.id) {
          throw new AgentProblem(
            'not-found',
            'count-sheet-not-found',
            `no sheet ${input.corrects} for agent ${agent.id}`,
          );
        }
        const already = await tx
          .selectFrom('agent_count_sheets')
          .select('id')
          .where('corrects', '=', old.id)
          .executeTakeFirst();
        if (already !== undefined) {
          throw new AgentProblem(
            'conflict',
            'count-sheet-already-corrected',
            `sheet ${old.id} was corrected by ${already.id}`,
          );
        }
        day = old.day;
      }
      const balance = (await this.ledger.balanceOf(tx, agent.cashAccountId)) ?? 0n;
      const position = -balance;
      const variance = counted.totalMinor - position;
      const id = this.newId();
      const row = await tx
        .insertInto('agent_count_sheets')
        .values({
          id,
          agent_id: agent.id,
          business_date: day,
          currency: agent.currency,
          denominations: JSON.stringify(
            counted.lines.map((l) => ({
              denomination: l.denomination,
              count: l.count,
              valueMinor: l.valueMinor.toString(),
            })),
          ),
          counted_total: counted.totalMinor,
          ledger_position: position,
          variance,
          corrects: input.corrects ?? null,
          submitted_by: input.submittedBy,
          note: input.note ?? null,
        })
        .returning('created_at')
        .executeTakeFirstOrThrow();
      if (input.corrects !== undefined) {
        await tx
          .updateTable('agent_cash_variances')
          .set({ superseded_by: id })
          .where('sheet_id', '=', input.corrects)
          .execute();
      }
      const abs = variance < 0n ? -variance : variance;
      const suspend = abs > agent.varianceThresholdMinor;
      if (variance !== 0n) {
        await tx
          .insertInto('agent_cash_variances')
          .values({
            sheet_id: id,
            agent_id: agent.id,
            business_date: day,
            amount: variance,
            currency: agent.currency,
            threshold: agent.varianceThresholdMinor,
            suspended: suspend,
          })
          .execute();
      }
      if (suspend && agent.status === 'active') {
        await this.network.suspendInTx(tx, agent, COUNT_VARIANCE_SUSPENSION, {
          actor: 'system:count-sheet',
          reason: `count sheet ${id}: variance ${variance} beyond threshold ${agent.varianceThresholdMinor}`,
        });
      }
      return {
        id,
        agentId: agent.id,
        businessDate: day,
        currency: agent.currency,
        counts: counted.lines,
        countedMinor: counted.totalMinor,
        ledgerPositionMinor: position,
        varianceMinor: variance,
        corrects: input.corrects ?? null,
        suspended: suspend,
        submittedBy: input.submittedBy,
        createdAt: row.created_at,
      };
    });
  }

  /**
   * Ops clear a variance after looking into it (the break is theirs); when nothing else holds the
   * agent, an agent suspended for a count variance is reinstated in the same transaction.
   */
  async clearVariance(
    agentId: string,
    sheetId: string,
    by: { actor: string; reason: string },
  ): Promise<{ reinstated: boolean }> {
    return this.db.transaction().execute(async (tx) => {
      const agent = await this.network.require(tx, agentId, true);
      const cleared = await tx
        .updateTable('agent_cash_variances')
        .set({ cleared_at: new Date(), cleared_by: by.actor, clear_reason: by.reason })
        .where('sheet_id', '=', sheetId)
        .where('agent_id', '=', agentId)
        .where('cleared_at', 'is', null)
        .returning(['sheet_id', 'amount'])
        .executeTakeFirst();
      if (cleared === undefined) {
        throw new AgentProblem(
          'not-found',
          'variance-not-found',
          `no open variance on sheet ${sheetId} for agent ${agentId}`,
        );
      }
      const stillOpen = await tx
        .selectFrom('agent_cash_variances')
        .select('sheet_id')
        .where('agent_id', '=', agentId)
        .where('suspended', '=', true)
        .where('cleared_at', 'is', null)
        .executeTakeFirst();
      await this.network.auditInTx(tx, {
        ...by,
        action: 'agent.variance.clear',
        subjectType: 'agent',
        subjectId: agentId,
        after: { sheetId, amountMinor: String(cleared.amount) },
      });
      const reinstate =
        stillOpen === undefined &&
        agent.status === 'suspended' &&
        agent.suspensionReason === COUNT_VARIANCE_SUSPENSION;
      if (reinstate) await this.network.reinstateInTx(tx, agent, by);
      return { reinstated: reinstate };
    });
  }

  async list(agentId: string): Promise<(CountSheet & { variance: VarianceState | null })[]> {
    const rows = await this.db
      .selectFrom('agent_count_sheets as s')
      .leftJoin('agent_cash_variances as v', 'v.sheet_id', 's.id')
      .selectAll('s')
      .select([
        sql<string>`s.business_date::text`.as('day'),
        'v.suspended',
        'v.superseded_by',
        'v.cleared_at',
        'v.cleared_by',
      ])
      .where('s.agent_id', '=', agentId)
      .orderBy('s.created_at', 'desc')
      .limit(200)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      agentId: r.agent_id,
      businessDate: r.day,
      currency: r.currency.trim(),
      counts: r.denominations.map((d) => ({
        denomination: d.denomination,
        count: d.count,
        valueMinor: BigInt(d.valueMinor),
      })),
      countedMinor: BigInt(r.counted_total),
      ledgerPositionMinor: BigInt(r.ledger_position),
      varianceMinor: BigInt(r.variance),
      corrects: r.corrects,
      suspended: r.suspended === true,
      submittedBy: r.submitted_by,
      createdAt: r.created_at,
      variance:
        r.suspended === null
          ? null
          : { supersededBy: r.superseded_by, clearedAt: r.cleared_at, clearedBy: r.cleared_by },
    }));
  }
}

export interface VarianceState {
  readonly supersededBy: string | null;
  readonly clearedAt: Date | null;
  readonly clearedBy: string | null;
}
