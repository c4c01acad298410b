import { sql } from 'kysely';
import type { OpsAuditListEntry, OpsAuditLog } from '../audit/ops-audit-log';
import type { Executor } from '../db';
import type { Ledger } from '../ledger/ledger';
import type { Agent, Terminal } from '../agents/agent';
import type { AgentNetwork } from '../agents/agent-network';
import type { CountSheet, CountSheets, VarianceState } from '../agents/count-sheets';
import type { LimitBreachFlag, OfflineSync, TerminalSyncs } from '../agents/offline-sync';
import type { AgentSettlements, Settlement } from '../agents/settlements';

/** One agent as the dashboard's agent list shows it: the agent row and what needs ops' eye. */
export interface AgentListRow {
  readonly agent: Agent;
  readonly terminals: {
    readonly active: number;
    readonly revoked: number;
    /** Active terminals allowed to take payments offline (an allowance above zero). */
    readonly offlineCapable: number;
    /** The latest sync of new offline items by any of its terminals. */
    readonly lastSyncAt: Date | null;
  };
  /** Count-sheet variances neither cleared nor superseded by a correction. */
  readonly openVariances: { readonly count: number; readonly suspending: number };
  /** Limit breaches found at sync: batches flagged and the total amount over, minor units. */
  readonly breaches: { readonly batches: number; readonly overMinor: bigint };
}

interface ByAgent {
  readonly agent_id: string;
}

/**
 * The agent network at a glance: the agents (from their repository) with four aggregates read once
 * for all agents (terminals, their last sync, open variances, breaches), so the page costs five
 * queries however many agents there are.
 */
export async function agentNetworkList(
  db: Executor,
  network: AgentNetwork,
  filter: { readonly partnerId?: string; readonly region?: string } = {},
): Promise<AgentListRow[]> {
  const [agents, terminals, syncs, variances, breaches] = await Promise.all([
    network.list(filter),
    sql<ByAgent & { active: number; revoked: number; offline: number }>`
      select agent_id,
             (count(*) filter (where status = 'active'))::int as active,
             (count(*) filter (where status = 'revoked'))::int as revoked,
             (count(*) filter (where status = 'active' and offline_max_count > 0 and offline_max_total > 0))::int as offline
      from agent_terminals group by agent_id`.execute(db),
    sql<ByAgent & { last: Date }>`
      select agent_id, max(created_at) as last from agent_offline_items group by agent_id`.execute(db),
    sql<ByAgent & { n: number; suspending: number }>`
      select agent_id, count(*)::int as n, (count(*) filter (where suspended))::int as suspending
      from agent_cash_variances where cleared_at is null and superseded_by is null
      group by agent_id`.execute(db),
    sql<ByAgent & { batches: number; over: string }>`
      select agent_id, count(distinct batch_id)::int as batches, sum(over_by)::text as over
      from agent_limit_breaches group by agent_id`.execute(db),
  ]);
  const index = <T extends ByAgent>(rows: readonly T[]) => new Map(rows.map((r) => [r.agent_id, r]));
  const t = index(terminals.rows);
  const s = index(syncs.rows);
  const v = index(variances.rows);
  const b = index(breaches.rows);
  return agents.map((agent) => {
    const last = s.get(agent.id)?.last;
    return {
      agent,
      terminals: {
        active: t.get(agent.id)?.active ?? 0,
        revoked: t.get(agent.id)?.revoked ?? 0,
        offlineCapable: t.get(agent.id)?.offline ?? 0,
        lastSyncAt: last === undefined ? null : new Date(last),
      },
      openVariances: { count: v.get(agent.id)?.n ?? 0, suspending: v.get(agent.id)?.suspending ?? 0 },
      breaches: {
        batches: b.get(agent.id)?.batches ?? 0,
        overMinor: BigInt(b.get(agent.id)?.over ?? '0'),
      },
    };
  });
}

/** One agent's whole picture for ops: every part read through the agent network's own services. */
export interface AgentDetail {
  readonly agent: Agent;
  /** What the ledger says the agent holds for the bank (agrees with agent.unsettledMinor). */
  readonly ledgerPositionMinor: bigint;
  readonly terminals: readonly (Terminal & { readonly syncs: TerminalSyncs | null })[];
  readonly countSheets: readonly (CountSheet & { readonly variance: VarianceState | null })[];
  /** Newest first. */
  readonly breaches: readonly LimitBreachFlag[];
  /** The latest settlements, newest first. */
  readonly settlements: readonly Omit<Settlement, 'unsettledAfterMinor'>[];
  /** Ops actions on the agent, newest first, from the ops audit chain. */
  readonly audit: readonly OpsAuditListEntry[];
}

export interface AgentDetailSources {
  readonly db: Executor;
  readonly network: AgentNetwork;
  readonly countSheets: CountSheets;
  readonly sync: OfflineSync;
  readonly settlements: AgentSettlements;
  readonly ledger: Ledger;
  readonly audit: Pick<OpsAuditLog, 'recent'>;
}

export async function agentDetail(
  src: AgentDetailSources,
  agentId: string,
): Promise<AgentDetail | undefined> {
  const agent = await src.network.get(agentId);
  if (agent === undefined) return undefined;
  const [balance, terminals, syncs, countSheets, breaches, settlements, audit] = await Promise.all([
    src.ledger.balanceOf(src.db, agent.cashAccountId),
    src.network.listTerminals(agent.id),
    src.sync.lastSyncs(agent.id),
    src.countSheets.list(agent.id),
    src.sync.breaches(agent.id),
    src.settlements.list(agent.id),
    src.audit.recent(src.db, { subjectType: 'agent', subjectId: agent.id }, 50),
  ]);
  return {
    agent,
    // The agent's cash account is the bank's claim on the till: a debit balance, shown positive.
    ledgerPositionMinor: -(balance ?? 0n),
    terminals: terminals.map((x) => ({ ...x, syncs: syncs.get(x.id) ?? null })),
    countSheets,
    breaches: [...breaches].reverse(),
    settlements: settlements.slice(0, 20),
    audit,
  };
}
