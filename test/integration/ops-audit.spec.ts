import { sql } from 'kysely';
import { OpsAuditLog, OpsAuditRefused } from '../../src/domain/audit/ops-audit-log';
import { openTestDatabase } from '../support/database';

let h: Awaited<ReturnType<typeof openTestDatabase>>;
const log = new OpsAuditLog();

beforeAll(async () => {
  h = await openTestDatabase();
});
afterAll(async () => {
  await h?.dispose();
});

const decision = (subjectId: string, reason = 'biller confirmed by phone') => ({
  actor: 'ops:alice',
  action: 'payment.decision',
  subjectType: 'payment',
  subjectId,
  reason,
  before: { state: 'NEEDS_ATTENTION', amountMinor: 125_050n },
  after: { state: 'APPROVED', at: new Date('2026-12-02T10:00:00Z') },
});

describe('the ops audit log', () => {
  it('chains entries written inside the change transaction and verifies them', async () => {
    await h.db.transaction().execute((tx) => log.append(tx, decision('p-1')));
    await h.db.transaction().execute((tx) => log.append(tx, decision('p-2')));
    const listed = await log.list(h.db, { subjectType: 'payment', subjectId: 'p-2' });
    expect(listed.items).toHaveLength(1);
    expect(listed.items[0]).toMatchObject({
      actor: 'ops:alice',
      reason: 'biller confirmed by phone',
      // bigints and dates are kept as the JSON a reader gets back
      before: { state: 'NEEDS_ATTENTION', amountMinor: '125050' },
      after: { state: 'APPROVED', at: '2026-12-02T10:00:00.000Z' },
    });
    await expect(log.verify(h.db)).resolves.toMatchObject({ intact: true, checked: 2, headSeq: 2 });
  });

  it('keeps nothing of an action whose change rolled back', async () => {
    const before = await log.list(h.db);
    await expect(
      h.db.transaction().execute(async (tx) => {
        await log.append(tx, decision('p-rolled-back'));
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect((await log.list(h.db)).items).toHaveLength(before.items.length);
    await expect(log.verify(h.db)).resolves.toMatchObject({ intact: true });
  });

  it('refuses an action without a reason or an actor', async () => {
    await expect(h.db.transaction().execute((tx) => log.append(tx, decision('p-3', '  ')))).rejects.toThrow(
      OpsAuditRefused,
    );
    await expect(
      h.db.transaction().execute((tx) => log.append(tx, { ...decision('p-3'), actor: '' })),
    ).rejects.toThrow(OpsAuditRefused);
  });

  it('is append-only in the database, and an altered entry breaks the chain', async () => {
    await expect(
      sql`update ops_audit set reason = 'nothing to see' where seq = 1`.execute(h.db),
    ).rejects.toThrow(/append-only/);
    await expect(sql`delete from ops_audit where seq = 1`.execute(h.db)).rejects.toThrow(/append-only/);
    await sql`alter table ops_audit disable trigger ops_audit_append_only`.execute(h.db);
    try {
      await sql`update ops_audit set reason = 'nothing to see' where seq = 2`.execute(h.db);
      await expect(log.verify(h.db)).resolves.toMatchObject({
        intact: false,
        firstBrokenAt: 2,
        problem: 'hash-mismatch',
      });
    } finally {
      await sql`alter table ops_audit enable trigger ops_audit_append_only`.execute(h.db);
    }
  });
});
