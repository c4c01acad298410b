import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { Ledger } from '../../src/domain/ledger/ledger';
import { PaymentFinisher } from '../../src/domain/payments/payment-finisher';
import { PaymentIntake } from '../../src/domain/payments/payment-intake';
import { PaymentsRepository, type NewPayment } from '../../src/domain/payments/payments.repository';
import { CoreBankingPostingWriter, recordDebits } from '../../src/domain/posting/core-banking-posting-writer';
import { FloatPaymentWriter, type FloatPaymentWrite } from '../../src/domain/posting/float-payment-writer';
import { openTestDatabase } from '../support/database';

/*
 * The batched writers on a real database (PGlite here, PostgreSQL in the second CI pass): what a
 * partner and ops would see of many payments written together — every payment answered once, the
 * float never below its floor, every journal balanced, duplicates never posting twice.
 */

let h: Awaited<ReturnType<typeof openTestDatabase>>;
const ledger = new Ledger();
const payments = new PaymentsRepository();
const FLOAT = 'float:gc-mfs:BDT';
const SETTLE = 'settlement:gc:BDT';

beforeAll(async () => {
  h = await openTestDatabase();
  await h.db
    .insertInto('partners')
    .values({ id: 'gc-mfs', name: 'Group commit MFS', kind: 'mfs', payer_types: ['mfs-user'] })
    .execute();
  await h.db
    .insertInto('ledger_accounts')
    .values([
      { id: 'funding:gc', kind: 'funding', currency: 'BDT', min_balance: null },
      { id: FLOAT, kind: 'float', currency: 'BDT', min_balance: 0n },
      { id: SETTLE, kind: 'settlement', currency: 'BDT', min_balance: null },
      { id: 'clearing:core-banking:BDT', kind: 'clearing', currency: 'BDT', min_balance: null },
    ])
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
});
afterAll(async () => {
  await h?.dispose();
});

async function fund(amount: bigint): Promise<void> {
  await h.db.transaction().execute((tx) =>
    ledger.post(tx, {
      paymentId: null,
      kind: 'funding',
      currency: 'BDT',
      memo: 'test funding',
      lines: [
        { accountId: 'funding:gc', side: 'D', amount },
        { accountId: FLOAT, side: 'C', amount },
      ],
    }),
  );
}

async function floatBalance(): Promise<bigint> {
  return (await ledger.balanceOf(h.db, FLOAT)) ?? -1n;
}

function newPayment(
  amount: bigint,
  key: string,
  state: 'POSTED' | 'RECEIVED' = 'POSTED',
): NewPayment & { createdAt: Date } {
  const now = new Date();
  return {
    id: randomUUID(),
    partnerId: 'gc-mfs',
    lane: 'test',
    protocol: 'rest',
    payerType: 'mfs-user',
    billType: 'ELECTRICITY',
    billReference: `REF-${key}`,
    amountMinor: amount,
    currency: 'BDT',
    payerKind: 'wallet',
    payerId: '01711000000',
    partnerReference: key,
    idempotencyKey: key,
    state,
    reasonCode: 'APPROVED',
    route: null,
    origin: { test: key },
    receivedAt: now,
    createdAt: now,
  };
}

function floatWrite(amount: bigint, key: string): FloatPaymentWrite {
  return {
    payment: newPayment(amount, key),
    idempotency: {
      partnerId: 'gc-mfs',
      scope: 'test',
      key,
      fingerprint: `fp-${key}`,
      expiresAt: new Date(Date.now() + 3_600_000),
    },
    floatAccount: FLOAT,
    settlementAccount: SETTLE,
    declinedResult: { status: 'DECLINED', reasonCode: 'INSUFFICIENT_FUNDS', key },
  };
}

async function paymentState(id: string): Promise<{ status: string; reason_code: string } | undefined> {
  return h.db
    .selectFrom('payments')
    .select(['status', 'reason_code'])
    .where('id', '=', id)
    .executeTakeFirst();
}

async function journalLinesOf(paymentId: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from journal_lines l join journal_entries e on e.id = l.entry_id
    where e.payment_id = ${paymentId}`.execute(h.db);
  return rows[0]?.n ?? 0;
}

async function trialBalanced(): Promise<boolean> {
  const rows = await ledger.trialBalance(h.db);
  return rows.every((r) => r.balanced && r.accountsAgree);
}

describe('float payments written in batches', () => {
  const writer = () => new FloatPaymentWriter(h.db);

  it('posts a whole batch the float covers in one go, each with a balanced journal', async () => {
    await fund(10_000n);
    const before = await floatBalance();
    const batch = [100n, 250n, 650n].map((a, i) => floatWrite(a, `all-${i}-${randomUUID()}`));
    expect(await writer().writeBatch(FLOAT, batch)).toEqual(['posted', 'posted', 'posted']);
    expect(await floatBalance()).toBe(before - 1_000n);
    for (const w of batch) {
      expect(await paymentState(w.payment.id)).toEqual({ status: 'POSTED', reason_code: 'APPROVED' });
      expect(await journalLinesOf(w.payment.id)).toBe(2);
    }
    expect(await trialBalanced()).toBe(true);
  });

  it('decides a batch the float cannot cover in arrival order: the one that does not fit is declined, a later smaller one still posts', async () => {
    const available = await floatBalance();
    const batch = [
      floatWrite(available - 300n, `fit-${randomUUID()}`),
      floatWrite(500n, `too-big-${randomUUID()}`),
      floatWrite(300n, `last-${randomUUID()}`),
    ];
    expect(await writer().writeBatch(FLOAT, batch)).toEqual(['posted', 'declined', 'posted']);
    expect(await floatBalance()).toBe(0n);

    const declined = batch[1]!;
    expect(await paymentState(declined.payment.id)).toEqual({
      status: 'DECLINED',
      reason_code: 'INSUFFICIENT_FUNDS',
    });
    expect(await journalLinesOf(declined.payment.id)).toBe(0);
    const key = await h.db
      .selectFrom('idempotency_keys')
      .select(['state', 'result'])
      .where('key', '=', declined.idempotency.key)
      .executeTakeFirstOrThrow();
    expect(key).toEqual({ state: 'completed', result: declined.declinedResult });
    expect(await trialBalanced()).toBe(true);
  });

  it('answers a key already taken, or repeated inside the batch, as a duplicate and posts it once', async () => {
    await fund(5_000n);
    const first = floatWrite(1_000n, `dup-${randomUUID()}`);
    expect(await writer().writeBatch(FLOAT, [first])).toEqual(['posted']);
    const before = await floatBalance();

    const again = { ...floatWrite(1_000n, first.idempotency.key) };
    const twin = floatWrite(200n, `twin-${randomUUID()}`);
    const twinAgain = floatWrite(200n, twin.idempotency.key);
    const outcomes = await writer().writeBatch(FLOAT, [again, twin, twinAgain]);
    expect(outcomes).toEqual(['duplicate', 'posted', 'duplicate']);
    expect(await floatBalance()).toBe(before - 200n);
    expect(await paymentState(again.payment.id)).toBeUndefined();
    expect(await paymentState(twinAgain.payment.id)).toBeUndefined();
    expect(await trialBalanced()).toBe(true);
  });

  it('groups concurrent payments on one float into few statements, losing none', async () => {
    await fund(100_000n);
    const before = await floatBalance();
    const sizes: number[] = [];
    const w = new FloatPaymentWriter(h.db, { maxBatch: 256, observe: (n) => sizes.push(n) });
    const writes = Array.from({ length: 60 }, (_, i) =>
      floatWrite(BigInt(10 + i), `many-${i}-${randomUUID()}`),
    );
    const outcomes = await Promise.all(writes.map((x) => w.write(x)));
    expect(outcomes.every((o) => o === 'posted')).toBe(true);
    const total = writes.reduce((s, x) => s + x.payment.amountMinor, 0n);
    expect(await floatBalance()).toBe(before - total);
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from payments where id = any(${writes.map((x) => x.payment.id)}::uuid[])`.execute(
      h.db,
    );
    expect(rows[0]?.n).toBe(60);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(60);
    expect(sizes.length).toBeLessThan(10);
    expect(await trialBalanced()).toBe(true);
  });

  it('fails only a payment the database refuses, never the payments that shared its statement', async () => {
    await fund(1_000n);
    const before = await floatBalance();
    const w = writer();
    const good = [floatWrite(10n, `ok-${randomUUID()}`), floatWrite(20n, `ok-${randomUUID()}`)];
    const poison = floatWrite(30n, `bad-${randomUUID()}`);
    // Refused by the payments table's CHECK, after the statement has debited the float: the whole
    // statement rolls back, and only the refused payment's caller hears of it.
    const refused = { ...poison, payment: { ...poison.payment, payerKind: 'bogus' as never } };
    const settled = await Promise.allSettled([w.write(good[0]!), w.write(refused), w.write(good[1]!)]);
    expect(settled.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await floatBalance()).toBe(before - 30n);
    expect(await paymentState(refused.payment.id)).toBeUndefined();
    expect(await trialBalanced()).toBe(true);
  });

  it('two nodes racing for one float and for the same keys: the floor holds and each key posts once', async () => {
    const drain = await floatBalance();
    if (drain > 0n) await writer().writeBatch(FLOAT, [floatWrite(drain, `drain-${randomUUID()}`)]);
    await fund(1_000n);
    // Two writers are two gateway nodes: on PostgreSQL their batches run on different connections.
    const nodeA = writer();
    const nodeB = writer();
    const shared = Array.from({ length: 5 }, (_, i) => floatWrite(100n, `both-${i}-${randomUUID()}`));
    const onlyA = Array.from({ length: 10 }, (_, i) => floatWrite(100n, `a-${i}-${randomUUID()}`));
    const onlyB = Array.from({ length: 10 }, (_, i) => floatWrite(100n, `b-${i}-${randomUUID()}`));
    const copy = (x: FloatPaymentWrite): FloatPaymentWrite => ({
      ...x,
      payment: { ...x.payment, id: randomUUID() },
    });
    const outcomes = await Promise.all([
      ...onlyA.map((x) => nodeA.write(x)),
      ...shared.map((x) => nodeA.write(x)),
      ...shared.map((x) => nodeB.write(copy(x))),
      ...onlyB.map((x) => nodeB.write(x)),
    ]);
    expect(outcomes.filter((o) => o === 'posted')).toHaveLength(10);
    expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(5);
    expect(await floatBalance()).toBe(0n);
    for (const x of shared) {
      const { rows } = await sql<{ n: number }>`
        select count(*)::int as n from payments where idempotency_key = ${x.idempotency.key}`.execute(h.db);
      expect(rows[0]?.n).toBe(1);
    }
    expect(await trialBalanced()).toBe(true);
  });
});

describe('core-banking payments claimed, posted and finished in batches', () => {
  const claimOf = (key: string) => ({
    payment: newPayment(700n, key, 'RECEIVED'),
    idempotency: {
      partnerId: 'gc-mfs',
      scope: 'cbs-test',
      key,
      fingerprint: `fp-${key}`,
      expiresAt: new Date(Date.now() + 3_600_000),
    },
  });

  it('claims each key once: a repeat in the same batch or of an earlier request records nothing', async () => {
    const a = claimOf(`claim-${randomUUID()}`);
    const b = claimOf(`claim-${randomUUID()}`);
    expect(await payments.claimAndRecordMany(h.db, [a, b, claimOf(a.idempotency.key)])).toEqual([
      true,
      true,
      false,
    ]);
    expect(await payments.claimAndRecordMany(h.db, [claimOf(b.idempotency.key)])).toEqual([false]);
    expect(await paymentState(a.payment.id)).toEqual({ status: 'RECEIVED', reason_code: 'APPROVED' });
  });

  it('journals a core-banking debit once and marks the payment POSTED with its reference', async () => {
    const c = claimOf(`debit-${randomUUID()}`);
    const intake = new PaymentIntake(h.db, payments);
    expect(await intake.claim(c)).toBe(true);
    const debit = {
      paymentId: c.payment.id,
      amountMinor: 700n,
      currency: 'BDT',
      settlementAccount: SETTLE,
      coreBankingRef: 'CBS-123',
    };
    await new CoreBankingPostingWriter(h.db).record(debit);
    const row = await h.db
      .selectFrom('payments')
      .select(['status', 'core_banking_ref'])
      .where('id', '=', c.payment.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'POSTED', core_banking_ref: 'CBS-123' });
    expect(await journalLinesOf(c.payment.id)).toBe(2);
    // A second record of the same debit (a retry, a bug) is refused and journals nothing more.
    expect(await recordDebits(h.db, [debit])).toEqual([false]);
    expect(await journalLinesOf(c.payment.id)).toBe(2);
    expect(await trialBalanced()).toBe(true);
  });

  it('journals a debit core banking made even after the sweep answered the payment PENDING', async () => {
    const c = claimOf(`late-${randomUUID()}`);
    expect(await payments.claimAndRecordMany(h.db, [c])).toEqual([true]);
    // The housekeeping sweep gave up on the slow payment while core banking was still debiting it.
    await h.db
      .updateTable('payments')
      .set({ status: 'PENDING', reason_code: 'PROCESSING_INTERRUPTED' })
      .where('id', '=', c.payment.id)
      .execute();
    const debit = {
      paymentId: c.payment.id,
      amountMinor: 700n,
      currency: 'BDT',
      settlementAccount: SETTLE,
      coreBankingRef: 'CBS-LATE',
    };
    expect(await recordDebits(h.db, [debit])).toEqual([true]);
    const row = await h.db
      .selectFrom('payments')
      .select(['status', 'core_banking_ref'])
      .where('id', '=', c.payment.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'POSTED', core_banking_ref: 'CBS-LATE' });
    expect(await journalLinesOf(c.payment.id)).toBe(2);
    expect(await trialBalanced()).toBe(true);
  });

  it('finishes many payments in one statement and says which ones it could not find', async () => {
    const done = [claimOf(`fin-${randomUUID()}`), claimOf(`fin-${randomUUID()}`)];
    await payments.claimAndRecordMany(h.db, done);
    const finish = (c: ReturnType<typeof claimOf>, receipt: string) => ({
      id: c.payment.id,
      change: { state: 'APPROVED' as const, reasonCode: 'APPROVED' as const, billerReceipt: receipt },
      key: c.idempotency,
      result: { status: 'APPROVED', receipt },
    });
    const ghost = { ...finish(claimOf(`ghost-${randomUUID()}`), 'R0'), id: randomUUID() };
    const answers = await payments.finishMany(
      h.db,
      [finish(done[0]!, 'R1'), ghost, finish(done[1]!, 'R2')],
      new Date(),
    );
    expect(answers).toEqual([true, false, true]);
    const key = await h.db
      .selectFrom('idempotency_keys')
      .select(['state', 'result'])
      .where('key', '=', done[1]!.idempotency.key)
      .executeTakeFirstOrThrow();
    expect(key).toEqual({ state: 'completed', result: { status: 'APPROVED', receipt: 'R2' } });

    // Nothing written for a payment that is gone (or decided by another path): the caller answers
    // from what its key holds.
    const finisher = new PaymentFinisher(h.db, payments);
    expect(await finisher.finish(ghost)).toBe(false);
  });
});
