import type { Selectable } from 'kysely';
import type { BillerEndpointsTable } from '../../infrastructure/database/schema';
import type { Logger } from '../../infrastructure/logging/logger';
import { OpsAuditLog } from '../audit/ops-audit-log';
import type { Db, Tx } from '../db';
import type { RouteKey } from '../routing/route';
import { isPayerType } from '../reason-codes';
import type { BillerDirectory } from './biller-directory';

/** A biller as ops see it. */
export interface BillerView {
  readonly id: string;
  readonly name: string;
  readonly billType: string;
  readonly url: string;
  readonly timeoutMs: number;
  readonly enabled: boolean;
  readonly disabledAt: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Routing rules that name this biller (enabled or not). */
  readonly routingRules: number;
}

export interface NewBiller {
  readonly id: string;
  readonly name: string;
  readonly billType: string;
  readonly url: string;
  readonly timeoutMs: number;
}

export interface BillerChange {
  readonly url?: string;
  readonly timeoutMs?: number;
  readonly name?: string;
}

/** Who changes a biller and why: both mandatory, as for every ops write. */
export interface BillerAttribution {
  readonly actor: string;
  readonly reason: string;
}

export class BillerAdminError extends Error {
  constructor(
    readonly code: 'NOT_FOUND' | 'EXISTS' | 'INVALID' | 'UNCHANGED',
    message: string,
  ) {
    super(message);
    this.name = 'BillerAdminError';
  }
}

/** What the route cache must be told after a biller change: every key of a rule naming it. */
export interface RouteRefresher {
  refresh(keys: readonly RouteKey[]): Promise<void>;
}

type Row = Selectable<BillerEndpointsTable>;

/**
 * Ops own the billers: create, change address or timeout, disable, enable. Each change is written
 * with its entry in the ops audit chain in one transaction (no reason, no change), then the biller
 * directory and the route cache are refreshed on every node, so the next payment sees it.
 */
export class BillerAdmin {
  private readonly audit = new OpsAuditLog();

  constructor(
    private readonly db: Db,
    private readonly caches: {
      readonly directory: BillerDirectory;
      readonly routes: RouteRefresher;
      /** The bill-type catalogue, told when a biller brings a new bill type. */
      readonly billTypes: { reload(): Promise<void> };
    },
    private readonly log: Logger,
  ) {}

  async list(): Promise<BillerView[]> {
    const rows = await this.db.selectFrom('biller_endpoints').selectAll().orderBy('id').execute();
    const counts = await this.ruleCounts();
    return rows.map((r) => viewOf(r, counts.get(r.id) ?? 0));
  }

  async get(id: string): Promise<BillerView | undefined> {
    const row = await this.db
      .selectFrom('biller_endpoints')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? undefined : viewOf(row, (await this.ruleCounts(id)).get(id) ?? 0);
  }

  async create(b: NewBiller, by: BillerAttribution): Promise<BillerView> {
    await this.db.transaction().execute(async (tx) => {
      const existing = await tx
        .selectFrom('biller_endpoints')
        .select('id')
        .where('id', '=', b.id)
        .executeTakeFirst();
      if (existing !== undefined) throw new BillerAdminError('EXISTS', `biller ${b.id} already exists`);
      // A biller for a new bill type brings the bill type with it, so partners can be routed to it.
      await tx
        .insertInto('bill_types')
        .values({ code: b.billType, name: b.billType.charAt(0) + b.billType.slice(1).toLowerCase() })
        .onConflict((oc) => oc.column('code').doNothing())
        .execute();
      await tx
        .insertInto('biller_endpoints')
        .values({ id: b.id, biller_name: b.name, bill_type: b.billType, url: b.url, timeout_ms: b.timeoutMs })
        .execute();
      await this.audit.append(tx, {
        ...by,
        action: 'biller.create',
        subjectType: 'biller',
        subjectId: b.id,
        after: b,
      });
    });
    await this.changed(b.id);
    return this.mustGet(b.id);
  }

  async update(id: string, change: BillerChange, by: BillerAttribution): Promise<BillerView> {
    await this.db.transaction().execute(async (tx) => {
      const before = await this.locked(tx, id);
      const set = {
        ...(change.url !== undefined && change.url !== before.url ? { url: change.url } : {}),
        ...(change.timeoutMs !== undefined && change.timeoutMs !== before.timeout_ms
          ? { timeout_ms: change.timeoutMs }
          : {}),
        ...(change.name !== undefined && change.name !== before.biller_name
          ? { biller_name: change.name }
          : {}),
      };
      if (Object.keys(set).length === 0) {
        throw new BillerAdminError('UNCHANGED', `biller ${id} already has these values`);
      }
      await tx
        .updateTable('biller_endpoints')
        .set({ ...set, updated_at: new Date() })
        .where('id', '=', id)
        .execute();
      await this.audit.append(tx, {
        ...by,
        action: 'biller.update',
        subjectType: 'biller',
        subjectId: id,
        before: { url: before.url, timeoutMs: before.timeout_ms, name: before.biller_name },
        after: {
          url: set.url ?? before.url,
          timeoutMs: set.timeout_ms ?? before.timeout_ms,
          name: set.biller_name ?? before.biller_name,
        },
      });
    });
    await this.changed(id);
    return this.mustGet(id);
  }

  /** Disabled: its routes stop answering (payments decline NO_ROUTE); enabled: they answer again. */
  async setEnabled(id: string, enabled: boolean, by: BillerAttribution): Promise<BillerView> {
    await this.db.transaction().execute(async (tx) => {
      const before = await this.locked(tx, id);
      if ((before.disabled_at === null) === enabled) {
        throw new BillerAdminError(
          'UNCHANGED',
          `biller ${id} is already ${enabled ? 'enabled' : 'disabled'}`,
        );
      }
      await tx
        .updateTable('biller_endpoints')
        .set({ disabled_at: enabled ? null : new Date(), updated_at: new Date() })
        .where('id', '=', id)
        .execute();
      await this.audit.append(tx, {
        ...by,
        action: enabled ? 'biller.enable' : 'biller.disable',
        subjectType: 'biller',
        subjectId: id,
        before: { enabled: !enabled },
        after: { enabled },
      });
    });
    await this.changed(id);
    return this.mustGet(id);
  }

  private async locked(tx: Tx, id: string): Promise<Row> {
    const row = await tx
      .selectFrom('biller_endpoints')
      .selectAll()
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    if (row === undefined) throw new BillerAdminError('NOT_FOUND', `no biller ${id}`);
    return row;
  }

  private async mustGet(id: string): Promise<BillerView> {
    const v = await this.get(id);
    if (v === undefined) throw new BillerAdminError('NOT_FOUND', `no biller ${id}`);
    return v;
  }

  private async ruleCounts(id?: string): Promise<Map<string, number>> {
    let q = this.db
      .selectFrom('routing_rules')
      .select(['biller_endpoint', (eb) => eb.fn.countAll<string>().as('n')])
      .groupBy('biller_endpoint');
    if (id !== undefined) q = q.where('biller_endpoint', '=', id);
    const rows = await q.execute();
    return new Map(rows.map((r) => [r.biller_endpoint, Number(r.n)]));
  }

  /**
   * After commit: every node's biller directory reloads, and every route naming the biller is
   * written through the route cache (and dropped from every node's local copy). A failure here is
   * logged, never surfaced: the change is committed, and both caches expire on their own.
   */
  private async changed(id: string): Promise<void> {
    try {
      await this.caches.directory.invalidate();
      await this.caches.billTypes.reload();
      const rules = await this.db
        .selectFrom('routing_rules')
        .select(['bill_type', 'payer_type', 'partner_id'])
        .where('biller_endpoint', '=', id)
        .execute();
      const wildcard = rules.some((r) => r.partner_id === '*');
      const partners = wildcard
        ? (await this.db.selectFrom('partners').select('id').execute()).map((p) => p.id)
        : [];
      const keys = new Map<string, RouteKey>();
      for (const r of rules) {
        if (!isPayerType(r.payer_type)) continue;
        for (const partnerId of r.partner_id === '*' ? partners : [r.partner_id]) {
          const key: RouteKey = { billType: r.bill_type, payerType: r.payer_type, partnerId };
          keys.set(`${key.billType}|${key.payerType}|${key.partnerId}`, key);
        }
      }
      await this.caches.routes.refresh([...keys.values()]);
    } catch (error) {
      this.log.warn({ err: error, biller: id }, 'biller change committed; cache refresh failed');
    }
  }
}

function viewOf(r: Row, routingRules: number): BillerView {
  return {
    id: r.id,
    name: r.biller_name,
    billType: r.bill_type,
    url: r.url,
    timeoutMs: r.timeout_ms,
    enabled: r.disabled_at === null,
    disabledAt: r.disabled_at?.toISOString() ?? null,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    routingRules,
  };
}
