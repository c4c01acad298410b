import { sql } from 'kysely';
import type { OpsAuditLog } from '../audit/ops-audit-log';
import type { Db, Tx } from '../db';
import type { Ledger } from '../ledger/ledger';
import { formatMajorAmount } from '../money/money';
import { RESOLUTION_CODES, type ResolutionCode } from './break-codes';
import type { BreakEvent, ReconBreakEventsRepository } from './break-events.repository';
import type { ReconBreak, ReconBreaksRepository } from './breaks.repository';

export class BreakWorkflowError extends Error {
  constructor(
    readonly code: 'not-found' | 'not-open' | 'invalid-adjustment' | 'account-not-allowed',
    message: string,
  ) {
    super(message);
    this.name = 'BreakWorkflowError';
  }
}

export interface Resolution {
  readonly resolution: ResolutionCode;
  readonly reason: string;
  /** For a money-moving resolution; amount defaults to the break's difference (or amount). */
  readonly adjustment?: {
    readonly amountMinor?: bigint;
    readonly debitAccount?: string;
    readonly creditAccount?: string;
  };
}

const SUSPENSE = (currency: string): string => `recon-suspense:${currency}`;

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
      let journal: { id: string; lines: unknown } | null = null;
      if (RESOLUTION_CODES[r.resolution].movesMoney) journal = await this.adjust(tx, b, r);
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

  /** Posts the resolution's adjusting journal; answers its id and lines. */
  private async adjust(tx: Tx, b: ReconBreak, r: Resolution): Promise<{ id: string; lines: unknown }> {
    const currency = b.currency;
    if (currency === null) throw new BreakWorkflowError('invalid-adjustment', 'the break names no currency');
    const amount = r.adjustment?.amountMinor ?? defaultAmount(b);
    if (amount === undefined || amount <= 0n) {
      throw new BreakWorkflowError('invalid-adjustment', 'name the adjustment amount (adjustment.amount)');
    }
    const { debit, credit } = await this.accounts(tx, b, r, currency);
    if (debit === credit)
      throw new BreakWorkflowError('invalid-adjustment', 'debit and credit accounts are the same');
    for (const account of [debit, credit]) {
      const row = await tx
        .selectFrom('ledger_accounts')
        .select(['kind', 'currency'])
        .where('id', '=', account)
        .executeTakeFirst();
      if (row === undefined)
        throw new BreakWorkflowError('invalid-adjustment', `no ledger account ${account}`);
      if (row.kind === 'agent') {
        throw new BreakWorkflowError(
          'account-not-allowed',
          `${account} is an agent's cash account: settle agent cash through POST /ops/agents/{id}/settlements`,
        );
      }
    }
    const lines = [
      { accountId: debit, side: 'D' as const, amount },
      { accountId: credit, side: 'C' as const, amount },
    ];
    const entryId = await this.ledger.post(tx, {
      paymentId: b.paymentId,
      kind: 'adjustment',
      currency,
      memo: `recon break ${b.id} (${b.code}, ${b.businessDate}) ${r.resolution}: ${r.reason}`.slice(0, 500),
      lines,
    });
    return {
      id: entryId,
      lines: lines.map((l) => ({
        accountId: l.accountId,
        side: l.side,
        amount: formatMajorAmount(l.amount, currency),
        currency,
      })),
    };
  }

  private async accounts(
    tx: Tx,
    b: ReconBreak,
    r: Resolution,
    currency: string,
  ): Promise<{ debit: string; credit: string }> {
    const given = r.adjustment;
    if (r.resolution === 'correcting-entry') {
      if (given?.debitAccount === undefined || given.creditAccount === undefined) {
        throw new BreakWorkflowError(
          'invalid-adjustment',
          'a correcting entry names adjustment.debitAccount and adjustment.creditAccount',
        );
      }
      return { debit: given.debitAccount, credit: given.creditAccount };
    }
    if (r.resolution === 'refund') {
      // The payment's own posting, turned round: its credited account pays back its debited one.
      if (b.paymentId === null)
        throw new BreakWorkflowError('invalid-adjustment', 'a refund needs a break on one of our payments');
      const { rows } = await sql<{ account_id: string; side: 'D' | 'C' }>`
        select l.account_id, l.side from journal_entries e join journal_lines l on l.entry_id = e.id
        where e.payment_id = ${b.paymentId} and e.kind = 'payment' order by l.id`.execute(tx);
      const paidFrom = rows.find((l) => l.side === 'D')?.account_id;
      const paidTo = rows.find((l) => l.side === 'C')?.account_id;
      if (paidFrom === undefined || paidTo === undefined) {
        throw new BreakWorkflowError('invalid-adjustment', `payment ${b.paymentId} has no posting to refund`);
      }
      return { debit: given?.debitAccount ?? paidTo, credit: given?.creditAccount ?? paidFrom };
    }
    // write-off: the difference goes to the reconciliation suspense account of the currency.
    await sql`insert into ledger_accounts (id, kind, owner_id, currency)
              values (${SUSPENSE(currency)}, 'suspense', null, ${currency}) on conflict (id) do nothing`.execute(
      tx,
    );
    const settlement =
      b.paymentId === null
        ? undefined
        : ((
            await tx
              .selectFrom('payments')
              .select('settlement_account')
              .where('id', '=', b.paymentId)
              .executeTakeFirst()
          )?.settlement_account ?? undefined);
    const debit = given?.debitAccount ?? SUSPENSE(currency);
    const credit = given?.creditAccount ?? settlement;
    if (credit === undefined) {
      throw new BreakWorkflowError(
        'invalid-adjustment',
        'name adjustment.creditAccount: the break has no settlement account',
      );
    }
    return { debit, credit };
  }
}

/** An amount break's difference; otherwise the amount of the break. */
function defaultAmount(b: ReconBreak): bigint | undefined {
  const ds = (b.evidence.disagreements as { field: string; side: string }[] | undefined) ?? [];
  const amountSide = ds.find((d) => d.field === 'amount')?.side;
  if (amountSide !== undefined) {
    const ours = b.evidence.ours as { amountMinor?: string } | null;
    const theirs = b.evidence[amountSide] as { amountMinor?: string } | null;
    if (ours?.amountMinor !== undefined && theirs?.amountMinor !== undefined) {
      const diff = BigInt(ours.amountMinor) - BigInt(theirs.amountMinor);
      return diff < 0n ? -diff : diff;
    }
  }
  if (b.amountMinor === null) return undefined;
  return b.amountMinor < 0n ? -b.amountMinor : b.amountMinor;
}
