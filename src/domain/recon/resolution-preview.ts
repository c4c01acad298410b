import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Executor } from '../db';
import type { Side } from '../ledger/ledger';
import { RESOLUTION_CODES, type ResolutionCode } from './break-codes';
import type { ReconBreak } from './breaks.repository';

/**
 * The adjusting journal a money-moving resolution posts, worked out without posting it: the same
 * plan the break workflow posts (BreakWorkflow.resolve) and ops see first (BreakWorkflow.preview),
 * so what an operator confirms is what the ledger gets. Reads only.
 */

export class BreakWorkflowError extends Error {
  constructor(
    readonly code:
      'not-found' | 'not-open' | 'invalid-adjustment' | 'account-not-allowed' | 'journal-changed',
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
  /**
   * The digest of the journal the operator was shown (AdjustingJournal.digest): when given, the
   * resolution is refused (`journal-changed`) unless it would post exactly that journal.
   */
  readonly expectedJournal?: string;
}

export interface AdjustingJournal {
  readonly currency: string;
  readonly memo: string;
  readonly lines: readonly { readonly accountId: string; readonly side: Side; readonly amount: bigint }[];
  /** The reconciliation suspense account a write-off opens when it is the first in its currency. */
  readonly opensAccount: string | null;
  /** A digest of currency, accounts, sides and amounts: what the operator confirms. */
  readonly digest: string;
}

export const suspenseAccount = (currency: string): string => `recon-suspense:${currency}`;

export function journalMemo(b: ReconBreak, r: Pick<Resolution, 'resolution' | 'reason'>): string {
  return `recon break ${b.id} (${b.code}, ${b.businessDate}) ${r.resolution}: ${r.reason}`.slice(0, 500);
}

function digestOf(currency: string, lines: AdjustingJournal['lines']): string {
  const canonical = [currency, ...lines.map((l) => `${l.accountId}|${l.side}|${l.amount}`)].join('\n');
  return createHash('sha256').update(canonical, 'utf8').digest('hex').slice(0, 32);
}

/**
 * The journal of a money-moving resolution of break `b`, checked: an amount, two different existing
 * accounts (the suspense account of a write-off may be opened by it), no agent cash account.
 * Undefined for a resolution that moves no money.
 */
export async function planAdjustment(
  db: Executor,
  b: ReconBreak,
  r: Resolution,
): Promise<AdjustingJournal | undefined> {
  if (!RESOLUTION_CODES[r.resolution].movesMoney) return undefined;
  const currency = b.currency;
  if (currency === null) throw new BreakWorkflowError('invalid-adjustment', 'the break names no currency');
  const amount = r.adjustment?.amountMinor ?? defaultAmount(b);
  if (amount === undefined || amount <= 0n) {
    throw new BreakWorkflowError('invalid-adjustment', 'name the adjustment amount (adjustment.amount)');
  }
  const { debit, credit } = await accounts(db, b, r, currency);
  if (debit === credit)
    throw new BreakWorkflowError('invalid-adjustment', 'debit and credit accounts are the same');
  const suspense = r.resolution === 'write-off' ? suspenseAccount(currency) : null;
  let opensAccount: string | null = null;
  for (const account of [debit, credit]) {
    const row = await db
      .selectFrom('ledger_accounts')
      .select(['kind', 'currency'])
      .where('id', '=', account)
      .executeTakeFirst();
    if (row === undefined) {
      if (account === suspense) {
        opensAccount = account;
        continue;
      }
      throw new BreakWorkflowError('invalid-adjustment', `no ledger account ${account}`);
    }
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
  return { currency, memo: journalMemo(b, r), lines, opensAccount, digest: digestOf(currency, lines) };
}

async function accounts(
  db: Executor,
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
      where e.payment_id = ${b.paymentId} and e.kind = 'payment' order by l.id`.execute(db);
    const paidFrom = rows.find((l) => l.side === 'D')?.account_id;
    const paidTo = rows.find((l) => l.side === 'C')?.account_id;
    if (paidFrom === undefined || paidTo === undefined) {
      throw new BreakWorkflowError('invalid-adjustment', `payment ${b.paymentId} has no posting to refund`);
    }
    return { debit: given?.debitAccount ?? paidTo, credit: given?.creditAccount ?? paidFrom };
  }
  // write-off: the difference goes to the reconciliation suspense account of the currency.
  const settlement =
    b.paymentId === null
      ? undefined
      : ((
          await db
            .selectFrom('payments')
            .select('settlement_account')
            .where('id', '=', b.paymentId)
            .executeTakeFirst()
        )?.settlement_account ?? undefined);
  const debit = given?.debitAccount ?? suspenseAccount(currency);
  const credit = given?.creditAccount ?? settlement;
  if (credit === undefined) {
    throw new BreakWorkflowError(
      'invalid-adjustment',
      'name adjustment.creditAccount: the break has no settlement account',
    );
  }
  return { debit, credit };
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
