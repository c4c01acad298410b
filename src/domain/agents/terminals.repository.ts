import type { Selectable } from 'kysely';
import type { AgentTerminalsTable } from '../../infrastructure/database/schema';
import type { Executor } from '../db';
import type { Terminal } from './agent';

function toTerminal(r: Selectable<AgentTerminalsTable>): Terminal {
  return {
    id: r.id,
    agentId: r.agent_id,
    label: r.label,
    status: r.status === 'revoked' ? 'revoked' : 'active',
    keyHint: r.key_hint,
    revokedAt: r.revoked_at,
    offlineMaxCount: r.offline_max_count,
    offlineMaxTotalMinor: BigInt(r.offline_max_total),
    createdAt: r.created_at,
  };
}

/** The agent_terminals table: each terminal's own credential (stored as a hash) and offline allowance. */
export class TerminalsRepository {
  async find(db: Executor, id: string): Promise<Terminal | undefined> {
    const row = await db.selectFrom('agent_terminals').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toTerminal(row);
  }

  async findActiveByKeyHash(db: Executor, keyHash: string): Promise<Terminal | undefined> {
    const row = await db
      .selectFrom('agent_terminals')
      .selectAll()
      .where('key_hash', '=', keyHash)
      .where('status', '=', 'active')
      .executeTakeFirst();
    return row === undefined ? undefined : toTerminal(row);
  }

  async listForAgent(db: Executor, agentId: string): Promise<Terminal[]> {
    const rows = await db
      .selectFrom('agent_terminals')
      .selectAll()
      .where('agent_id', '=', agentId)
      .orderBy('created_at')
      .execute();
    return rows.map(toTerminal);
  }

  async insert(
    db: Executor,
    t: {
      id: string;
      agentId: string;
      label: string;
      keyHash: string;
      keyHint: string;
      offlineMaxCount: number;
      offlineMaxTotalMinor: bigint;
    },
  ): Promise<void> {
    await db
      .insertInto('agent_terminals')
      .values({
        id: t.id,
        agent_id: t.agentId,
        label: t.label,
        key_hash: t.keyHash,
        key_hint: t.keyHint,
        offline_max_count: t.offlineMaxCount,
        offline_max_total: t.offlineMaxTotalMinor,
      })
      .execute();
  }

  async revoke(db: Executor, id: string, reason: string, at: Date): Promise<void> {
    await db
      .updateTable('agent_terminals')
      .set({ status: 'revoked', revoked_at: at, revocation_reason: reason, updated_at: at })
      .where('id', '=', id)
      .execute();
  }

  async setAllowance(db: Executor, id: string, maxCount: number, maxTotalMinor: bigint): Promise<void> {
    await db
      .updateTable('agent_terminals')
      .set({ offline_max_count: maxCount, offline_max_total: maxTotalMinor, updated_at: new Date() })
      .where('id', '=', id)
      .execute();
  }
}
