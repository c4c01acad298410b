import { sql } from 'kysely';
import { OpsAuditLog } from '../../src/domain/audit/ops-audit-log';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { call } from '../support/http';
import { AGENTS, BANK, MFS, pay, payBody } from '../support/payments';
import {
  agentView,
  createAgent,
  expectBooksAgree,
  offlineItem,
  ops,
  terminalPay,
  type Json,
} from './agent-support';

let gw: TestGateway;
let base: string;
beforeAll(async () => {
  gw = await startTestGateway();
  base = gw.httpUrl;
});
afterAll(async () => {
  await gw?.stop();
});

describe('agents and terminals (ops)', () => {
  it('creates an agent and a terminal, each write attributed in the ops audit chain', async () => {
    const { agent, terminalId } = await createAgent(base, 'AG-AUDIT', '1000.00');
    expect(agent).toMatchObject({
      id: 'AG-AUDIT',
      status: 'active',
      region: 'Chattogram',
      cashLimit: '1000.00',
      unsettledCash: '0.00',
      ledgerCashPosition: '0.00',
    });
    const limits = await ops(base, 'PUT', '/ops/agents/AG-AUDIT/limits', {
      cashLimit: '2500.00',
      reason: 'spec: raise',
    });
    expect(limits.body).toMatchObject({ cashLimit: '2500.00' });
    const log = new OpsAuditLog();
    const { items: entries } = await log.list(gw.services.database.db, { subjectId: 'AG-AUDIT' });
    expect(entries.map((e) => e.action)).toEqual(expect.arrayContaining(['agent.create', 'agent.limits']));
    expect(entries.every((e) => e.actor === 'ops-demo' && e.reason.startsWith('spec:'))).toBe(true);
    const { items: t } = await log.list(gw.services.database.db, { subjectId: terminalId });
    expect(t.map((e) => e.action)).toEqual(['agent.terminal.issue']);
    expect((await log.verify(gw.services.database.db)).intact).toBe(true);
  });

  it('refuses bad input and changes nothing', async () => {
    const noReason = await ops(base, 'POST', '/ops/agents', {
      id: 'AG-BAD',
      partnerId: 'demo-agents',
      region: 'X',
      currency: 'BDT',
      cashLimit: '1.001',
    });
    expect(noReason.status).toBe(400);
    const notOtc = await ops(base, 'POST', '/ops/agents', {
      id: 'AG-BAD',
      partnerId: 'demo-mfs',
      region: 'X',
      currency: 'BDT',
      cashLimit: '10.00',
      reason: 'spec',
    });
    expect(notOtc.status).toBe(422);
    expect((await ops(base, 'GET', '/ops/agents/AG-BAD')).status).toBe(404);
  });

  it('a revoked terminal is refused while the agent’s other terminal goes on', async () => {
    const { terminalKey, terminalId } = await createAgent(base, 'AG-REVOKE', '10000.00');
    const second = await ops(base, 'POST', '/ops/agents/AG-REVOKE/terminals', {
      id: 'AG-REVOKE-T2',
      label: 'counter 2',
      reason: 'spec: second terminal',
    });
    const otherKey = String(second.body.key);
    expect((await terminalPay(base, terminalKey, '100.00')).body).toMatchObject({ status: 'APPROVED' });
    const revoked = await ops(base, 'POST', `/ops/agents/AG-REVOKE/terminals/${terminalId}/revoke`, {
      reason: 'spec: device stolen',
    });
    expect(revoked.body).toMatchObject({ status: 'revoked' });
    expect((await terminalPay(base, terminalKey, '100.00')).status).toBe(401);
    const sync = await call(base, 'POST', '/agent/sync', {
      key: terminalKey,
      body: { items: [offlineItem('10.00', new Date())] },
    });
    expect(sync.status).toBe(401);
    expect((await terminalPay(base, otherKey, '100.00')).body).toMatchObject({ status: 'APPROVED' });
    // A partner's API key is no terminal credential, and a terminal key is no partner credential.
    expect((await terminalPay(base, AGENTS, '1.00')).status).toBe(401);
    expect((await pay(base, payBody({ payer: { agentId: 'AG-REVOKE' } }), { key: otherKey })).status).toBe(
      401,
    );
    await expectBooksAgree(base, 'AG-REVOKE');
  });
});

describe('bounded trust', () => {
  it('limit reached → refused → settlement → accepted again', async () => {
    const { terminalKey } = await createAgent(base, 'AG-LIMIT', '1000.00');
    expect((await terminalPay(base, terminalKey, '600.00')).body).toMatchObject({ status: 'APPROVED' });
    expect((await terminalPay(base, terminalKey, '400.00')).body).toMatchObject({ status: 'APPROVED' });
    const refused = await terminalPay(base, terminalKey, '0.01');
    expect(refused.body).toMatchObject({ status: 'DECLINED', reasonCode: 'DAILY_LIMIT_EXCEEDED' });
    await expectBooksAgree(base, 'AG-LIMIT');
    expect(await agentView(base, 'AG-LIMIT')).toMatchObject({
      unsettledCash: '1000.00',
      availableToCollect: '0.00',
    });

    const tooMuch = await ops(base, 'POST', '/ops/agents/AG-LIMIT/settlements', {
      amount: '1000.01',
      currency: 'BDT',
      reference: 'SLIP-0',
      reason: 'spec',
    });
    expect(tooMuch.status).toBe(409);
    const settled = await ops(base, 'POST', '/ops/agents/AG-LIMIT/settlements', {
      amount: '700.00',
      currency: 'BDT',
      reference: 'SLIP-1',
      reason: 'spec: deposit at branch',
    });
    expect(settled.status).toBe(201);
    expect(settled.body).toMatchObject({ amount: '700.00', unsettledAfter: '300.00', replayed: false });
    const again = await ops(base, 'POST', '/ops/agents/AG-LIMIT/settlements', {
      amount: '700.00',
      currency: 'BDT',
      reference: 'SLIP-1',
      reason: 'spec: the same slip again',
    });
    expect(again.body).toMatchObject({ id: settled.body.id, replayed: true });
    expect(await agentView(base, 'AG-LIMIT')).toMatchObject({
      unsettledCash: '300.00',
      ledgerCashPosition: '300.00',
    });
    const bankCash = await gw.services.ledger.balanceOf(gw.services.database.db, 'cash:bank:BDT');
    expect(bankCash).toBeLessThanOrEqual(-70_000n);

    expect((await terminalPay(base, terminalKey, '700.00')).body).toMatchObject({ status: 'APPROVED' });
    expect((await terminalPay(base, terminalKey, '0.01')).body).toMatchObject({
      reasonCode: 'DAILY_LIMIT_EXCEEDED',
    });
    await expectBooksAgree(base, 'AG-LIMIT');
  });

  it('a payment the biller declines gives the limit back; the agent banking core records each collection', async () => {
    const { terminalKey } = await createAgent(base, 'AG-CORE', '500.00');
    expect((await terminalPay(base, terminalKey, '200.00')).body).toMatchObject({ status: 'APPROVED' });
    const declined = await terminalPay(base, terminalKey, '300.00', { billReference: 'DECLINE-1' });
    expect(declined.body).toMatchObject({ status: 'DECLINED', reasonCode: 'BILLER_DECLINED' });
    expect(await agentView(base, 'AG-CORE')).toMatchObject({ unsettledCash: '200.00' });
    expect(gw.simulators.agentBankingCore?.collected('AG-CORE')).toBe(20_000n);
    await expectBooksAgree(base, 'AG-CORE');
  });

  it('an agent the agent banking core refuses is declined and nothing stays posted', async () => {
    const { terminalKey } = await createAgent(base, 'BLOCKED-AG', '500.00');
    const r = await terminalPay(base, terminalKey, '50.00');
    expect(r.body).toMatchObject({ status: 'DECLINED', reasonCode: 'AGENT_NOT_FOUND' });
    expect(await agentView(base, 'BLOCKED-AG')).toMatchObject({
      unsettledCash: '0.00',
      ledgerCashPosition: '0.00',
    });
    await expectBooksAgree(base, 'BLOCKED-AG');
  });
});

describe('cash count sheets', () => {
  it('a variance is recorded; past the threshold the agent is suspended until ops clear it', async () => {
    const { terminalKey } = await createAgent(base, 'AG-COUNT', '100000.00', { varianceThreshold: '100.00' });
    expect((await terminalPay(base, terminalKey, '1250.50')).body).toMatchObject({ status: 'APPROVED' });

    // 1 × 1000 + 2 × 100 + 1 × 50 = 1250.00: 0.50 short, within the threshold.
    const small = await call<Json>(base, 'POST', '/agent/count-sheets', {
      key: terminalKey,
      body: {
        currency: 'BDT',
        counts: [
          { denomination: 'NOTE_1000', count: 1 },
          { denomination: 'NOTE_100', count: 2 },
          { denomination: 'NOTE_50', count: 1 },
        ],
      },
    });
    expect(small.status).toBe(201);
    expect(small.body).toMatchObject({
      counted: '1250.00',
      ledgerPosition: '1250.50',
      variance: '-0.50',
      suspended: false,
      submittedBy: 'terminal:AG-COUNT-T1',
    });
    expect(await agentView(base, 'AG-COUNT')).toMatchObject({ status: 'active' });

    // A correction references the old sheet: 1000 + 100 + 50 = 1150.00, 100.50 short: past 100.00.
    const corrected = await ops(base, 'POST', '/ops/agents/AG-COUNT/count-sheets', {
      currency: 'BDT',
      counts: [
        { denomination: 'NOTE_1000', count: 1 },
        { denomination: 'NOTE_100', count: 1 },
        { denomination: 'NOTE_50', count: 1 },
      ],
      corrects: small.body.id,
    });
    expect(corrected.body).toMatchObject({ variance: '-100.50', suspended: true, corrects: small.body.id });
    expect(await agentView(base, 'AG-COUNT')).toMatchObject({
      status: 'suspended',
      suspensionReason: 'count-variance',
    });
    expect((await terminalPay(base, terminalKey, '10.00')).body).toMatchObject({
      reasonCode: 'AGENT_NOT_FOUND',
    });

    const variances = await gw.services.database.db
      .selectFrom('agent_cash_variances')
      .select(['sheet_id', 'amount', 'currency', 'superseded_by', sql<string>`business_date::text`.as('day')])
      .where('agent_id', '=', 'AG-COUNT')
      .orderBy('created_at')
      .execute();
    expect(variances.map((v) => [v.sheet_id, v.amount, v.superseded_by])).toEqual([
      [small.body.id, -50n, corrected.body.id],
      [corrected.body.id, -10_050n, null],
    ]);
    expect(variances[1]?.day).toBe(corrected.body.businessDate);

    const twice = await ops(base, 'POST', '/ops/agents/AG-COUNT/count-sheets', {
      currency: 'BDT',
      counts: [],
      corrects: small.body.id,
    });
    expect(twice.status).toBe(409);
    await expect(
      sql`update agent_count_sheets set counted_total = 0 where agent_id = 'AG-COUNT'`.execute(
        gw.services.database.db,
      ),
    ).rejects.toThrow(/immutable/);
    const unknownNote = await ops(base, 'POST', '/ops/agents/AG-COUNT/count-sheets', {
      currency: 'BDT',
      counts: [{ denomination: 'NOTE_3', count: 1 }],
    });
    expect(unknownNote.status).toBe(422);

    const cleared = await ops(
      base,
      'POST',
      `/ops/agents/AG-COUNT/count-sheets/${String(corrected.body.id)}/clear`,
      {
        reason: 'spec: shortfall repaid by the agent',
      },
    );
    expect(cleared.body).toMatchObject({ cleared: true, reinstated: true, agent: { status: 'active' } });
    expect((await terminalPay(base, terminalKey, '10.00')).body).toMatchObject({ status: 'APPROVED' });
    await expectBooksAgree(base, 'AG-COUNT');
  });
});

describe('offline terminals', () => {
  async function countPayments(agentId: string): Promise<number> {
    const r = await gw.services.database.db
      .selectFrom('payments')
      .select(sql<string>`count(*)::text`.as('n'))
      .where('payer_id', '=', agentId)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  it('an offline batch synced twice is posted once, each item answered on its own', async () => {
    const { terminalKey } = await createAgent(base, 'AG-SYNC', '100000.00');
    const t0 = Date.now() - 3_600_000;
    const items = [
      offlineItem('100.00', new Date(t0)),
      offlineItem('200.00', new Date(t0 + 1000)),
      { ...offlineItem('50.00', new Date(t0 + 2000)), billReference: 'DECLINE-7' },
    ];
    const first = await call<Json>(base, 'POST', '/agent/sync', { key: terminalKey, body: { items } });
    expect(first.status).toBe(200);
    const answers = first.body.items as Json[];
    expect(answers.map((a) => [a.idempotencyKey, a.outcome, a.reasonCode])).toEqual([
      [items[0]?.idempotencyKey, 'approved', 'APPROVED'],
      [items[1]?.idempotencyKey, 'approved', 'APPROVED'],
      [items[2]?.idempotencyKey, 'declined', 'BILLER_DECLINED'],
    ]);
    const second = await call<Json>(base, 'POST', '/agent/sync', { key: terminalKey, body: { items } });
    const replayed = second.body.items as Json[];
    expect(replayed.map((a) => a.outcome)).toEqual(['duplicate', 'duplicate', 'duplicate']);
    expect(replayed.map((a) => a.paymentId)).toEqual(answers.map((a) => a.paymentId));
    expect(await countPayments('AG-SYNC')).toBe(3);
    expect(await agentView(base, 'AG-SYNC')).toMatchObject({ unsettledCash: '300.00' });
    const captured = await gw.services.payments.findById(
      gw.services.database.db,
      String(answers[0]?.paymentId),
    );
    expect(captured?.receivedAt.toISOString()).toBe(items[0]?.capturedAt);
    await expectBooksAgree(base, 'AG-SYNC');

    const bad = await call<Json>(base, 'POST', '/agent/sync', {
      key: terminalKey,
      body: { items: [items[0], items[0]] },
    });
    expect(bad.status).toBe(400);
  });

  it('a limit breach found only at sync is posted within the allowance and flagged for ops', async () => {
    // Limit 1000.00; allowance 5 items / 5000.00 (createAgent).
    const { terminalKey, terminalId } = await createAgent(base, 'AG-BREACH', '1000.00');
    expect((await terminalPay(base, terminalKey, '800.00')).body).toMatchObject({ status: 'APPROVED' });
    const t0 = Date.now() - 600_000;
    const items = [
      offlineItem('150.00', new Date(t0)), // 950.00: fits
      offlineItem('300.00', new Date(t0 + 1000)), // 1250.00: 250.00 over
      offlineItem('400.00', new Date(t0 + 2000)), // 1650.00: 400.00 over
      offlineItem('4200.00', new Date(t0 + 3000)), // past the allowance's 5000.00 total
    ];
    const r = await call<Json>(base, 'POST', '/agent/sync', { key: terminalKey, body: { items } });
    const answers = r.body.items as Json[];
    expect(answers.map((a) => [a.outcome, a.flagged])).toEqual([
      ['approved', false],
      ['approved', true],
      ['approved', true],
      ['declined', false],
    ]);
    expect(answers[3]).toMatchObject({ reasonCode: 'OFFLINE_ALLOWANCE_EXCEEDED', paymentId: null });
    expect(r.body.breach).toEqual({
      amountOver: '650.00',
      items: [items[1]?.idempotencyKey, items[2]?.idempotencyKey],
    });
    const flags = await ops(base, 'GET', '/ops/agents/AG-BREACH/limit-breaches');
    expect(flags.body.items).toEqual([
      expect.objectContaining({
        agentId: 'AG-BREACH',
        terminalId,
        amountOver: '650.00',
        items: [
          expect.objectContaining({ idempotencyKey: items[1]?.idempotencyKey, overBy: '250.00' }),
          expect.objectContaining({ idempotencyKey: items[2]?.idempotencyKey, overBy: '400.00' }),
        ],
      }),
    ]);
    expect(await agentView(base, 'AG-BREACH')).toMatchObject({ unsettledCash: '1650.00' });
    // Online, the limit still holds until the agent settles.
    expect((await terminalPay(base, terminalKey, '1.00')).body).toMatchObject({
      reasonCode: 'DAILY_LIMIT_EXCEEDED',
    });
    // Resent: same answers, nothing posted again, one flag.
    const again = await call<Json>(base, 'POST', '/agent/sync', { key: terminalKey, body: { items } });
    expect((again.body.items as Json[]).map((a) => a.outcome)).toEqual([
      'duplicate',
      'duplicate',
      'duplicate',
      'declined',
    ]);
    expect(
      ((await ops(base, 'GET', '/ops/agents/AG-BREACH/limit-breaches')).body.items as Json[]).length,
    ).toBe(1);
    await expectBooksAgree(base, 'AG-BREACH');
  });
});

describe('bill inquiry', () => {
  it('answers the amount due for any partner and a terminal; a payment lowers it; bad input is refused', async () => {
    const q = (ref: string) => `/bill/inquiry?billType=GAS&billReference=${ref}&currency=BDT`;
    const first = await call<Json>(base, 'GET', q('TITAS-5501'), { key: MFS });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ billType: 'GAS', billReference: 'TITAS-5501', currency: 'BDT' });
    const due = String(first.body.amountDue);
    expect(due).toMatch(/^[0-9]+\.[0-9]{2}$/);
    const paid = await pay(base, payBody({ billType: 'GAS', billReference: 'TITAS-5501', amount: '50.00' }));
    expect(paid.body).toMatchObject({ status: 'APPROVED' });
    const after = await call<Json>(base, 'GET', q('TITAS-5501'), { key: BANK });
    const toMinor = (s: string) => BigInt(s.replace('.', ''));
    expect(toMinor(String(after.body.amountDue))).toBe(toMinor(due) - 5_000n);

    const { terminalKey } = await createAgent(base, 'AG-INQ', '100.00');
    const fromTerminal = await call<Json>(base, 'GET', `/agent${q('TITAS-5501')}`, { key: terminalKey });
    expect(fromTerminal.body).toMatchObject({ amountDue: after.body.amountDue });
    expect((await call(base, 'GET', q('UNKNOWN-1'), { key: MFS })).status).toBe(404);
    expect((await call(base, 'GET', q('DOWN-1'), { key: MFS })).status).toBe(503);
    expect((await call(base, 'GET', '/bill/inquiry?billType=gas', { key: MFS })).status).toBe(400);
    expect((await call(base, 'GET', q('TITAS-5501'))).status).toBe(401);
  });
});
