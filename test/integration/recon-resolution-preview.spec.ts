import { OpsAuditLog } from '../../src/domain/audit/ops-audit-log';
import { BreakWorkflowError } from '../../src/domain/recon/break-workflow';
import { openTestDatabase } from '../support/database';
import {
  billerCsv,
  countRows,
  insertPayment,
  partnerCsv,
  reconOf,
  seedReconDemo,
  tempFile,
} from './recon-fixtures';

const DAY = '2026-12-04';

/** The refusal a call ends in (its code), or undefined when it did not refuse. */
async function refusal(work: Promise<unknown>): Promise<string | undefined> {
  try {
    await work;
    return undefined;
  } catch (error) {
    if (error instanceof BreakWorkflowError) return error.code;
    throw error;
  }
}

describe('resolving a break: the adjusting journal is shown first and confirmed by its digest', () => {
  let h: Awaited<ReturnType<typeof openTestDatabase>>;
  beforeAll(async () => {
    h = await openTestDatabase();
    await seedReconDemo(h.db);
  });
  afterAll(async () => h?.dispose());

  it('previews without writing, posts exactly the journal shown, and refuses one that changed since', async () => {
    const recon = reconOf(h.db);
    const fine = await insertPayment(h.db, { date: DAY });
    const amountOff = await insertPayment(h.db, { date: DAY, amountMinor: 100000n });
    const reversed = await insertPayment(h.db, { date: DAY, amountMinor: 70000n });
    const partner = [fine, amountOff, reversed].map((p) => ({
      ref: p.partnerReference,
      // The partner settled 1.50 more than we took for amountOff.
      amount: p === amountOff ? p.amountMinor + 150n : p.amountMinor,
      date: DAY,
    }));
    const biller = [fine, amountOff, reversed].map((p) => ({
      receipt: p.receipt!,
      id: p.id,
      amount: p.amountMinor,
      status: p === reversed ? 'REVERSED' : 'PAID',
      date: DAY,
    }));
    for (const [source, sourceId, text] of [
      ['partner', 'demo-mfs', partnerCsv(partner)],
      ['biller', 'sim-electricity', billerCsv(biller)],
    ] as const) {
      const r = await recon.intake.ingest({
        path: tempFile(`${source}.csv`, text),
        source,
        sourceId,
        businessDate: DAY,
        receivedVia: 'cli',
        receivedBy: 'spec',
      });
      expect(r.outcome).toBe('stored');
    }
    expect((await recon.runner.run({ businessDate: DAY, trigger: 'cli', actor: 'spec' })).state).toBe('done');
    const breaks = await recon.breaks.list(h.db, { businessDate: DAY }, new Date());
    const b3 = breaks.find((b) => b.paymentId === amountOff.id)!;
    const b4 = breaks.find((b) => b.paymentId === reversed.id)!;
    expect([b3.code, b4.code]).toEqual(['B3', 'B4']);

    const journals = await countRows(h.db, 'journal_entries');
    const audits = await countRows(h.db, 'ops_audit');
    // The write-off of the B3: the difference (1.50) from the suspense account, which it would open.
    const shown = await recon.workflow.preview(b3.id, {
      resolution: 'write-off',
      reason: 'partner rounding',
    });
    expect(shown.movesMoney).toBe(true);
    expect(shown.journal).toMatchObject({
      currency: 'BDT',
      opensAccount: 'recon-suspense:BDT',
      lines: [
        { accountId: 'recon-suspense:BDT', side: 'D', amount: 150n },
        { accountId: 'settlement:ELECTRICITY:BDT', side: 'C', amount: 150n },
      ],
    });
    expect(shown.journal?.memo).toContain(b3.id);
    expect(shown.journal?.digest).toMatch(/^[0-9a-f]{32}$/);
    // Nothing was written: no journal, no account, no audit entry, the break still open.
    expect(await countRows(h.db, 'journal_entries')).toBe(journals);
    expect(await countRows(h.db, 'ops_audit')).toBe(audits);
    const suspense = await h.db
      .selectFrom('ledger_accounts')
      .select('id')
      .where('id', '=', 'recon-suspense:BDT')
      .executeTakeFirst();
    expect(suspense).toBeUndefined();
    expect((await recon.breaks.get(h.db, b3.id))?.state).toBe('open');

    // A different amount than the one shown: refused, nothing posted.
    expect(
      await refusal(
        recon.workflow.resolve(
          b3.id,
          {
            resolution: 'write-off',
            reason: 'partner rounding',
            adjustment: { amountMinor: 151n },
            expectedJournal: shown.journal!.digest,
          },
          'ops-user:alice',
        ),
      ),
    ).toBe('journal-changed');
    expect(await countRows(h.db, 'journal_entries')).toBe(journals);
    expect((await recon.breaks.get(h.db, b3.id))?.state).toBe('open');

    // The journal shown, confirmed: posted line for line.
    const done = await recon.workflow.resolve(
      b3.id,
      { resolution: 'write-off', reason: 'partner rounding', expectedJournal: shown.journal!.digest },
      'ops-user:alice',
    );
    expect(done).toMatchObject({ state: 'resolved', resolutionCode: 'write-off' });
    const posted = await h.db
      .selectFrom('journal_lines')
      .select(['account_id', 'side', 'amount'])
      .where('entry_id', '=', done.journalEntryId!)
      .orderBy('side', 'desc')
      .execute();
    expect(posted.map((l) => [l.account_id, l.side, BigInt(l.amount)])).toEqual(
      shown.journal!.lines.map((l) => [l.accountId, l.side, l.amount]),
    );

    // The B4's write-off previewed now: the suspense account exists, so it opens none.
    const b4Shown = await recon.workflow.preview(b4.id, { resolution: 'write-off', reason: 'reversed' });
    expect(b4Shown.journal?.opensAccount).toBeNull();
    expect(b4Shown.journal?.lines[0]).toMatchObject({ amount: 70000n });
    // A preview refuses what the resolution would refuse (a correcting entry names its accounts).
    expect(
      await refusal(recon.workflow.preview(b4.id, { resolution: 'correcting-entry', reason: 'x' })),
    ).toBe('invalid-adjustment');
    // A resolution that moves no money has no journal: its digest is "none", and a journal digest
    // sent for it means the operator saw something else.
    const explained = await recon.workflow.preview(b4.id, { resolution: 'explained', reason: 'timing' });
    expect(explained).toMatchObject({ movesMoney: false, journal: null });
    expect(
      await refusal(
        recon.workflow.resolve(
          b4.id,
          { resolution: 'explained', reason: 'timing', expectedJournal: b4Shown.journal!.digest },
          'ops-user:bob',
        ),
      ),
    ).toBe('journal-changed');
    await recon.workflow.resolve(
      b4.id,
      { resolution: 'explained', reason: 'timing', expectedJournal: 'none' },
      'ops-user:bob',
    );

    // A resolved break has nothing to preview; an unknown one is not found.
    expect(await refusal(recon.workflow.preview(b4.id, { resolution: 'explained', reason: 'x' }))).toBe(
      'not-open',
    );
    expect(
      await refusal(
        recon.workflow.preview('00000000-0000-4000-8000-000000000000', {
          resolution: 'explained',
          reason: 'x',
        }),
      ),
    ).toBe('not-found');
    const audit = await new OpsAuditLog().list(h.db, { subjectType: 'recon-break' });
    expect(audit.items.map((e) => [e.action, e.actor])).toEqual([
      ['recon.break.resolve', 'ops-user:alice'],
      ['recon.break.resolve', 'ops-user:bob'],
    ]);
  });
});
