import type { Selectable } from 'kysely';
import type { AgentsTable } from '../../infrastructure/database/schema';
import type { Executor } from '../db';
import type { Agent, AgentStatus } from './agent';

type AgentRow = Selectable<AgentsTable>;

function toAgent(r: AgentRow): Agent {
  return {
    id: r.id,
    partnerId: r.partner_id,
    region: r.region,
    status: r.status === 'suspended' ? 'suspended' : 'active',
    suspensionReason: r.suspension_reason,
    currency: r.currency.trim(),
    cashLimitMinor: BigInt(r.daily_cash_limit),
    unsettledMinor: BigInt(r.unsettled_cash),
    varianceThresholdMinor: BigInt(r.count_variance_threshold),
    cashAccountId: r.account_id,
    createdAt: r.created_at,
  };
}

export interface NewAgent {
  readonly id: string;
  readonly partnerId: string;
  readonly region: string;
  readonly currency: string;
  readonly cashLimitMinor: bigint;
  readonly varianceThresholdMinor: bigint;
  readonly cashAccountId: string;
}

/** The agents table. unsettled_cash is moved only by AgentEngine and the settlement service. */
export class AgentsRepository {
  async find(db: Executor, id: string, forUpdate = false): Promise<Agent | undefined> {
    let q = db.selectFrom('agents').selectAll().where('id', '=', id);
    if (forUpdate) q = q.forUpdate();
    const row = await q.executeTakeFirst();
    return row === undefined ? undefined : toAgent(row);
  }

  async list(db: Executor, filter: { partnerId?: string; region?: string }): Promise<Agent[]> {
    let q = db.selectFrom('agents').selectAll().orderBy('id');
    if (filter.partnerId !== undefined) q = q.where('partner_id', '=', filter.partnerId);
    if (filter.region !== undefined) q = q.where('region', '=', filter.region);
    return (await q.limit(1000).execute()).map(toAgent);
  }

  /** False when the id is taken. */
  async insert(db: Executor, a: NewAgent): Promise<boolean> {
    const row = await db
      .insertInto('agents')
      .values({
        id: a.id,
        partner_id: a.partnerId,
        account_id: a.cashAccountId,
        currency: a.currency,
        daily_cash_limit: a.cashLimitMinor,
        count_variance_threshold: a.varianceThresholdMinor,
        region: a.region,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .returning('id')
      .executeTakeFirst();
    return row !== undefined;
  }

  async setStatus(db: Executor, id: string, status: AgentStatus, reason: string | null): Promise<void> {
    await db
      .updateTable('agents')
      .set({ status, suspension_reason: reason, updated_at: new Date() })
      .where('id', '=', id)
      .execute();
  }

  async setLimits(
    db: Executor,
    id: string,
    limits: { cashLimitMinor?: bigint; varianceThresholdMinor?: bigint; region?: string },
  ): Promise<void> {
    await db
      .updateTable('agents')
      .set({
        ...(limits.cashLimitMinor !== undefined ? { daily_cash_limit: limits.cashLimitMinor } : {}),
        ...(limits.varianceThresholdMinor !== undefined
          ? { count_variance_threshold: limits.varianceThresholdMinor }
          : {}),
        ...(limits.region !== undefined ? { region: limits.region } : {}),
        updated_at: new Date(),
      })
      .where('id', '=', id)
      .execute();
  }
}
