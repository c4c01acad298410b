import { randomUUID } from 'node:crypto';
import { Ledger } from '../../src/domain/ledger/ledger';
import { OpsAuditLog } from '../../src/domain/audit/ops-audit-log';
import { openTestDatabase } from '../support/database';
import {
  billerCsv,
  countRows,
  insertPayment,
  partnerCsv,
  reconOf,
  seedReconDemo,
  tempFile,
  type TestPayment,
} from './recon-fixtures';

const DAY = '2026-12-02';

describe('reconciliation on a real database: files, three-way match, breaks, workflow', () => {
  let h: Awaited<ReturnType<typeof openTestDatabase>>;
  beforeAll(async () => {
    h = await openTestDatabase();
    await seedReconDemo(h.db);
  });
  afterAll(async () => h?.dispose());

  it('refuses a malformed file whole, naming every bad line, and keeps nothing of it', async () => {
    const recon = reconOf(h.db);
    const text = [
      'partner_reference,billgate_payment_id,amount,currency,status,value_date',
      'ok-1,,10.00,BDT,SETTLED,2026-12-02',
      'bad-2,,12.345,BDT,SETTLED,2026-12-02',
      'ok-3,,10.00,BDT,SETTLED,2026-12-02',
      'bad-4,,10.00,XXX,MAYBE,2026-13-40',
      'bad-5,not-a-uuid,10.00,BDT,SETTLED,2026-12-02',
    ].join('\n');
    const result = await recon.intake.ingest({
      path: tempFile('bad.csv', text),
      source: 'partner',
      sourceId: 'demo-mfs',
      businessDate: DAY,
      receivedVia: 'cli',
      receivedBy: 'spec',
    });
    expect(result.outcome).toBe('refused');
    if (result.outcome !== 'refused') return;
    expect(result.problems.map((p) => p.line)).toEqual([3, 5, 6]);
    expect(result.problems[0]?.message).toContain('more than 2 decimals');
    expect(result.problems[1]?.message).toMatch(/currency.*status.*valueDate/);
    expect(result.problems[2]?.message).toContain('not a UUID');
    expect(await countRows(h.db, 'recon_files')).toBe(0);
    expect(await countRows(h.db, 'recon_source_rows')).toBe(0);
    // A day without transactions is a header and no rows: stored, with zero rows.
    const quiet = await recon.intake.ingest({
      path: tempFile(
        'quiet.csv',
        'partner_reference,billgate_payment_id,amount,currency,status,value_date\n',
      ),
      source: 'partner',
      sourceId: 'demo-mfs',
      businessDate: '2026-11-29',
      receivedVia: 'cli',
      receivedBy: 'spec',
    });
    expect(quiet).toMatchObject({ outcome: 'stored', file: { rowCount: 0 } });
  });

  it('raises B1, B2, B3, B4, B5, B6 and B7, keeps work on a re-run with a corrected file, and a resolution posts a balanced adjustment', async () => {
    const recon = reconOf(h.db);
    const ok: TestPayment[] = [];
    for (let i = 0; i < 6; i += 1) ok.push(await insertPayment(h.db, { date: DAY }));
    const missingAtBiller = await insertPayment(h.db, { date: DAY }); // B2
    const amountOff = await insertPayment(h.db, { date: DAY }); // B3 (partner amount)
    const reversedAtBiller = await insertPayment(h.db, { date: DAY }); // B4 (biller says REVERSED)
    const dateShifted = await insertPayment(h.db, { date: DAY }); // B5 (biller posted a day later)
    const missingAtPartner = await insertPayment(h.db, { date: DAY }); // B7
    const twinA = await insertPayment(h.db, { date: DAY, partnerReference: 'twin-ref' });
    const twinB = await insertPayment(h.db, { date: DAY, partnerReference: 'twin-ref' }); // B6 twice over
    const declined = await insertPayment(h.db, { date: DAY, status: 'DECLINED' });
    const yesterdays = await insertPayment(h.db, { date: '2026-12-01' }); // B5: in this day's partner file

    const everyone = [...ok, missingAtBiller, amountOff, reversedAtBiller, dateShifted, missingAtPartner];
    const partnerRows = [
      ...everyone
        .filter((p) => p !== missingAtPartner)
        .map((p) => ({
          ref: p.partnerReference,
          amount: p === amountOff ? p.amountMinor + 100n : p.amountMinor,
          date: DAY,
        })),
      { ref: 'twin-ref', amount: twinA.amountMinor, date: DAY },
      { ref: declined.partnerReference, amount: declined.amountMinor, status: 'FAILED', date: DAY },
      { ref: 'stranger-1', amount: 5000n, date: DAY }, // B1
      { ref: yesterdays.partnerReference, amount: yesterdays.amountMinor, date: DAY },
    ];
    const billerRows = [...everyone, twinA, twinB]
      .filter((p) => p !== missingAtBiller)
      .map((p) => ({
        receipt: p.receipt!,
        id: p.id,
        amount: p.amountMinor,
        status: p === reversedAtBiller ? 'REVERSED' : 'PAID',
        date: p === dateShifted ? '2026-12-03' : DAY,
      }));
    const partnerFile = partnerCsv(partnerRows);
    const stored = await recon.intake.ingest({
      path: tempFile('p.csv', partnerFile),
      source: 'partner',
      sourceId: 'demo-mfs',
      businessDate: DAY,
      receivedVia: 'cli',
      receivedBy: 'spec',
    });
    expect(stored.outcome).toBe('stored');
    if (stored.outcome === 'stored') expect(stored.file.rowCount).toBe(partnerRows.length);
    // The same bytes again (another channel): the same file.
    const again = await recon.intake.ingest({
      path: tempFile('p-again.csv', partnerFile),
      source: 'partner',
      sourceId: 'demo-mfs',
      businessDate: DAY,
      receivedVia: 'ops-upload',
      receivedBy: 'spec',
    });
    expect(again.outcome).toBe('duplicate');
    const billerStored = await recon.intake.ingest({
      path: tempFile('b.csv', billerCsv(billerRows)),
      source: 'biller',
      sourceId: 'sim-electricity',
      businessDate: DAY,
      receivedVia: 'cli',
      receivedBy: 'spec',
    });
    expect(billerStored.outcome).toBe('stored');

    const run = await recon.runner.run({ businessDate: DAY, trigger: 'cli', actor: 'spec' });
    expect(run.state).toBe('done');
    const breaks = await recon.breaks.list(h.db, { businessDate: DAY }, new Date());
    const codeOf = (paymentId: string): string | undefined =>
      breaks.find((b) => b.paymentId === paymentId)?.code;
    expect(codeOf(missingAtBiller.id)).toBe('B2');
    expect(codeOf(amountOff.id)).toBe('B3');
    expect(codeOf(reversedAtBiller.id)).toBe('B4');
    expect(codeOf(dateShifted.id)).toBe('B5');
    expect(codeOf(missingAtPartner.id)).toBe('B7');
    expect(breaks.find((b) => b.paymentId === yesterdays.id)).toMatchObject({
      code: 'B5',
      evidence: { notes: ['our payment was received on 2026-12-01, a different business day'] },
    });
    expect(breaks.find((b) => b.code === 'B6')?.summary).toContain('matches 2 of our payments');
    expect(breaks.find((b) => b.code === 'B1')?.summary).toContain('stranger-1');
    for (const p of [...ok, declined]) expect(codeOf(p.id)).toBeUndefined();
    const b3 = breaks.find((b) => b.paymentId === amountOff.id)!;
    expect(b3.owner).toBe('partner-ops');
    expect(b3.evidence).toMatchObject({
      ours: { amount: '1250.50' },
      partner: { amount: '1251.50', line: expect.any(Number) },
      biller: { amount: '1250.50' },
    });
    expect(run.counts).toMatchObject({ breaks: { raised: breaks.length, cleared: 0 } });

    // Work done on breaks before the corrected file arrives.
    const b2 = breaks.find((b) => b.paymentId === missingAtBiller.id)!;
    await recon.workflow.assign(b2.id, 'alice', 'ops-user:lead', 'biller check');
    await recon.workflow.comment(b2.id, 'asked the biller for its posting', 'ops-user:alice');

    // The partner corrects its amount: the B3 no longer stands, everything else keeps its id and work.
    const corrected = partnerCsv(
      partnerRows.map((r) =>
        r.ref === amountOff.partnerReference ? { ...r, amount: amountOff.amountMinor } : r,
      ),
    );
    await recon.intake.ingest({
      path: tempFile('p2.csv', corrected),
      source: 'partner',
      sourceId: 'demo-mfs',
      businessDate: DAY,
      receivedVia: 'cli',
      receivedBy: 'spec',
    });
    const rerun = await recon.runner.run({ businessDate: DAY, trigger: 'cli', actor: 'spec' });
    expect(rerun.counts).toMatchObject({ breaks: { raised: 0, cleared: 1 } });
    const after = await recon.breaks.list(h.db, { businessDate: DAY }, new Date());
    expect(after.map((b) => b.id).sort()).toEqual(breaks.map((b) => b.id).sort());
    expect(after.find((b) => b.id === b3.id)?.state).toBe('cleared');
    const b2After = await recon.workflow.get(b2.id);
    expect(b2After?.break).toMatchObject({ state: 'open', assignee: 'alice', code: 'B2' });
    expect(b2After?.events.map((e) => e.kind)).toEqual(['raised', 'assigned', 'commented']);

    // A write-off of the B4: a balanced adjusting journal through the ledger, the break as its reason.
    const b4 = after.find((b) => b.paymentId === reversedAtBiller.id)!;
    const resolved = await recon.workflow.resolve(
      b4.id,
      { resolution: 'write-off', reason: 'biller reversed after settlement; written off' },
      'ops-user:alice',
    );
    expect(resolved).toMatchObject({ state: 'resolved', resolutionCode: 'write-off' });
    const journal = await h.db
      .selectFrom('journal_entries')
      .innerJoin('journal_lines', 'journal_lines.entry_id', 'journal_entries.id')
      .select([
        'journal_entries.kind',
        'journal_entries.memo',
        'journal_lines.side',
        'journal_lines.amount',
        'journal_lines.account_id',
      ])
      .where('journal_entries.id', '=', resolved.journalEntryId!)
      .execute();
    expect(journal).toHaveLength(2);
    expect(journal.every((l) => l.kind === 'adjustment' && l.memo.includes(b4.id))).toBe(true);
    expect(journal.map((l) => [l.side, BigInt(l.amount), l.account_id]).sort()).toEqual([
      ['C', reversedAtBiller.amountMinor, 'settlement:ELECTRICITY:BDT'],
      ['D', reversedAtBiller.amountMinor, 'recon-suspense:BDT'],
    ]);
    const tb = await new Ledger().trialBalance(h.db);
    expect(tb.every((r) => r.balanced && r.accountsAgree)).toBe(true);
    const audit = await new OpsAuditLog().list(h.db, { subjectType: 'recon-break' });
    expect(audit.items.map((e) => e.action)).toEqual([
      'recon.break.assign',
      'recon.break.comment',
      'recon.break.resolve',
    ]);
    expect((await new OpsAuditLog().verify(h.db)).intact).toBe(true);

    // A third run keeps the resolution.
    await recon.runner.run({ businessDate: DAY, trigger: 'cli', actor: 'spec' });
    expect((await recon.breaks.get(h.db, b4.id))?.state).toBe('resolved');
  });

  it('lets one run at a time hold the cluster', async () => {
    const recon = reconOf(h.db);
    await recon.runs.start(
      h.db,
      { id: randomUUID(), businessDate: DAY, partnerId: null, trigger: 'api', startedBy: 'a' },
      new Date(),
    );
    await expect(recon.runner.run({ businessDate: DAY, trigger: 'cli', actor: 'b' })).rejects.toThrow(
      /in progress/,
    );
    await h.db.updateTable('recon_runs').set({ state: 'failed' }).where('state', '=', 'running').execute();
  });
});
