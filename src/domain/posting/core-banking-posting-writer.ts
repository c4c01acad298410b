import { sql } from 'kysely';
import { MicroBatcher, type MicroBatcherOptions } from '../../infrastructure/batching/micro-batcher';
import { isDataError, type Db, type Executor } from '../db';
import { journalCtes, memos } from '../ledger/journal-writer';
import { coreBankingClearingAccountId } from './posting-engine';

/** A payment core banking has debited, to be journalled and marked POSTED. */
export interface CoreBankingDebit {
  readonly paymentId: string;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly settlementAccount: string;
  /** Core banking's reference for the debit, kept on the payment for reconciliation and refunds. */
  readonly coreBankingRef: string;
}

/**
 * Records what core banking debited: for each payment a balanced journal (our claim on core banking
 * debited, the biller's settlement account credited) and the payment moved to POSTED with core
 * banking's reference, in one statement for all the payments debited at about the same moment.
 *
 * Neither account keeps a stored balance (no floor to guard), so nothing here waits on a hot row;
 * batching saves the round trips and commits that dominate a payment's cost on this machine. The
 * database still refuses, at commit, a journal that does not balance.
 */
export class CoreBankingPostingWriter {
  private readonly batcher: MicroBatcher<CoreBankingDebit, boolean>;

  constructor(db: Db, options: MicroBatcherOptions = { maxBatch: 256, maxInFlight: 2 }) {
    this.batcher = new MicroBatcher((items) => recordDebits(db, items), { ...options, isolate: isDataError });
  }

  async record(debit: CoreBankingDebit): Promise<void> {
    if (!(await this.batcher.submit(debit))) {
      throw new Error(`core-banking debit of payment ${debit.paymentId} was already journalled`);
    }
  }
}

/**
 * Answers, per debit in order, whether it was journalled now. Core banking has already moved the
 * money, so the journal and the reference are written whatever happened to the payment meanwhile
 * (the housekeeping sweep may have answered it PENDING while the debit was slow); only a payment
 * still RECEIVED or PENDING moves to POSTED, and the finish that follows settles its answer. A debit
 * already journalled (a repeat) writes nothing and answers false.
 */
export async function recordDebits(db: Executor, debits: readonly CoreBankingDebit[]): Promise<boolean[]> {
  const input = JSON.stringify(
    debits.map((d, ord) => ({
      ord,
      payment_id: d.paymentId,
      amount: d.amountMinor.toString(),
      currency: d.currency,
      clearing: coreBankingClearingAccountId(d.currency),
      settlement: d.settlementAccount,
      reference: d.coreBankingRef,
      memo: memos.coreBanking(d.paymentId),
    })),
  );
  const { rows } = await sql<{ ord: number }>`
    with input as (
      select * from jsonb_to_recordset(${input}::jsonb) as t (
        ord int, payment_id uuid, amount bigint, currency text, clearing text, settlement text, reference text,
        memo text
      )
    ),
    debited as (
      update payments set
        status = case when status in ('RECEIVED', 'PENDING') then 'POSTED' else status end,
        reason_code = case when status in ('RECEIVED', 'PENDING') then 'APPROVED' else reason_code end,
        core_banking_ref = i.reference,
        updated_at = now()
      from input i
      where payments.id = i.payment_id
        and not exists (
          select 1 from journal_entries e where e.payment_id = i.payment_id and e.kind = 'payment'
        )
      returning payments.id
    )
    ${journalCtes(sql`
      select i.payment_id, i.currency, i.memo, i.clearing as debit_account, i.settlement as credit_account, i.amount
      from input i join debited d on d.id = i.payment_id`)}
    select i.ord from input i join debited d on d.id = i.payment_id`.execute(db);
  const done = new Set(rows.map((r) => r.ord));
  return debits.map((_, ord) => done.has(ord));
}
