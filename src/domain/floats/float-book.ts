import { sql } from 'kysely';
import { OpsAuditLog } from '../audit/ops-audit-log';
import type { Db, Executor } from '../db';
import { type Ledger } from '../ledger/ledger';
import { currencyByCode } from '../money/currency';
import { formatMajorAmount } from '../money/money';
import type { PartnerKind } from '../partners/partner';
import { floatAccountId } from '../posting/posting-engine';

/** Partners whose payments debit a pre-funded float (the others post through core banking or agents). */
const FLOAT_KINDS: readonly PartnerKind[] = ['mfs', 'aggregator', 'card-scheme'];

export class FloatError extends Error {
  constructor(
    readonly code: 'NOT_FOUND' | 'EXISTS' | 'INVALID',
    message: string,
  ) {
    super(message);
    this.name = 'FloatError';
  }
}

export interface FloatView {
  readonly accountId: string;
  readonly partnerId: string;
  readonly currency: string;
  /** Minor units, as a decimal string; `balanceMajor` is the same amount in major units. */
  readonly balanceMinor: string;
  readonly balanceMajor: string;
  readonly openedAt: string;
}

export interface StatementLine {
  readonly entryId: string;
  readonly at: string;
  readonly kind: string;
  readonly paymentId: string | null;
  readonly memo: string;
  readonly side: 'D' | 'C';
  readonly amountMinor: string;
  /** Balance after this line, minor units. */
  readonly balanceMinor: string;
}

/** The funding account a bank's treasury moves money out of when it credits a partner's float. */
export function fundingAccountId(currency: string): string {
  return `funding:${currency}`;
}

/**
 * Partners' floats as ops run them: opened, funded by a balanced journal (funding account debited,
 * float credited) with its reason, read as a balance and a statement. Every write appends its
 * ops audit entry in the same transaction as the change.
 */
export class FloatBook {
  private readonly audit = new OpsAuditLog();

  constructor(
    private readonly db: Db,
    private readonly ledger: Ledger,
  ) {}

  async open(partnerId: string, currency: string, actor: string, reason: string): Promise<FloatView> {
    if (currencyByCode(currency) === undefined)
      throw new FloatError('INVALID', `unknown currency ${currency}`);
    const partner = await this.db
      .selectFrom('partners')
      .select(['id', 'kind'])
      .where('id', '=', partnerId)
      .executeTakeFirst();
    if (partner === undefined) throw new FloatError('NOT_FOUND', `no partner ${partnerId}`);
    if (!FLOAT_KINDS.includes(partner.kind as PartnerKind)) {
      throw new FloatError(
        'INVALID',
        `partner ${partnerId} is ${partner.kind === 'otc-network' ? 'an' : 'a'} ${partner.kind}: its payments do not post against a float (floats are for ${FLOAT_KINDS.join(', ')})`,
      );
    }
    const id = floatAccountId(partnerId, currency);
    await this.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('ledger_accounts')
        .values({
          id: fundingAccountId(currency),
          kind: 'funding',
          owner_id: null,
          currency,
          min_balance: null,
        })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
      const inserted = await tx
        .insertInto('ledger_accounts')
        .values({ id, kind: 'float', owner_id: partnerId, currency, min_balance: 0n })
        .onConflict((oc) => oc.column('id').doNothing())
        .returning('id')
        .executeTakeFirst();
      if (inserted === undefined)
        throw new FloatError('EXISTS', `partner ${partnerId} already has a ${currency} float`);
      await this.audit.append(tx, {
        actor,
        action: 'float.open',
        subjectType: 'float',
        subjectId: id,
        reason,
        after: { partnerId, currency, balanceMinor: '0' },
      });
    });
    return this.getOrThrow(partnerId, currency);
  }

  /** Credits the float from the funding account: one balanced journal, audited with its reason. */
  async fund(
    partnerId: string,
    currency: string,
    amountMinor: bigint,
    actor: string,
    reason: string,
  ): Promise<{ readonly entryId: string; readonly float: FloatView }> {
    if (amountMinor <= 0n) throw new FloatError('INVALID', 'amount must be greater than zero');
    const before = await this.getOrThrow(partnerId, currency);
    const entryId = await this.db.transaction().execute(async (tx) => {
      const entry = await this.ledger.post(tx, {
        paymentId: null,
        kind: 'funding',
        currency,
        memo: `funding of ${before.accountId} by ${actor}: ${reason}`,
        lines: [
          { accountId: fundingAccountId(currency), side: 'D', amount: amountMinor },
          { accountId: before.accountId, side: 'C', amount: amountMinor },
        ],
      });
      await this.audit.append(tx, {
        actor,
        action: 'float.fund',
        subjectType: 'float',
        subjectId: before.accountId,
        reason,
        before: { balanceMinor: before.balanceMinor },
        after: { entryId: entry, amountMinor: amountMinor.toString() },
      });
      return entry;
    });
    return { entryId, float: await this.getOrThrow(partnerId, currency) };
  }

  async list(partnerId: string): Promise<FloatView[]> {
    const rows = await this.db
      .selectFrom('ledger_accounts')
      .select(['id', 'owner_id', 'currency', 'balance', 'created_at'])
      .where('kind', '=', 'float')
      .where('owner_id', '=', partnerId)
      .orderBy('currency')
      .execute();
    return rows.map((r) => view(r.id, partnerId, r.currency.trim(), BigInt(r.balance), r.created_at));
  }

  async get(partnerId: string, currency: string): Promise<FloatView | undefined> {
    const row = await this.db
      .selectFrom('ledger_accounts')
      .select(['id', 'currency', 'balance', 'created_at'])
      .where('id', '=', floatAccountId(partnerId, currency))
      .executeTakeFirst();
    return row === undefined
      ? undefined
      : view(row.id, partnerId, row.currency.trim(), BigInt(row.balance), row.created_at);
  }

  /**
   * The float's lines, oldest first from `afterEntry`, each with the balance after it. The running
   * balance is summed in SQL over every earlier line, so a page starts from the true balance.
   */
  async statement(
    db: Executor,
    partnerId: string,
    currency: string,
    opts: { limit?: number; afterEntry?: string } = {},
  ): Promise<{
    readonly float: FloatView;
    readonly lines: StatementLine[];
    readonly nextAfterEntry: string | null;
  }> {
    const float = await this.getOrThrow(partnerId, currency);
    const limit = Math.min(Math.max(opts.limit ?? 100, 1), 1000);
    const after = opts.afterEntry ?? '0';
    const { rows } = await sql<{
      entry_id: string;
      created_at: Date;
      kind: string;
      payment_id: string | null;
      memo: string;
      side: 'D' | 'C';
      amount: bigint;
      running: bigint;
    }>`
      select * from (
        select l.entry_id, e.created_at, e.kind, e.payment_id, e.memo, l.side, l.amount,
               sum(case when l.side = 'C' then l.amount else -l.amount end)
                 over (order by l.entry_id, l.id)::bigint as running
        from journal_lines l join journal_entries e on e.id = l.entry_id
        where l.account_id = ${float.accountId}
      ) s
      where s.entry_id > ${after}::bigint
      order by s.entry_id
      limit ${limit + 1}`.execute(db);
    const page = rows.slice(0, limit);
    return {
      float,
      lines: page.map((r) => ({
        entryId: String(r.entry_id),
        at: new Date(r.created_at).toISOString(),
        kind: r.kind,
        paymentId: r.payment_id,
        memo: r.memo,
        side: r.side,
        amountMinor: BigInt(r.amount).toString(),
        balanceMinor: BigInt(r.running).toString(),
      })),
      nextAfterEntry: rows.length > limit ? String(page[page.length - 1]?.entry_id) : null,
    };
  }

  private async getOrThrow(partnerId: string, currency: string): Promise<FloatView> {
    const f = await this.get(partnerId, currency);
    if (f === undefined) throw new FloatError('NOT_FOUND', `no ${currency} float for partner ${partnerId}`);
    return f;
  }
}

function view(
  accountId: string,
  partnerId: string,
  currency: string,
  balance: bigint,
  openedAt: Date,
): FloatView {
  return {
    accountId,
    partnerId,
    currency,
    balanceMinor: balance.toString(),
    balanceMajor: formatMajorAmount(balance, currency),
    openedAt: new Date(openedAt).toISOString(),
  };
}
