import {
  createTestDatabase,
  startAnotherNode,
  startTestGateway,
  usingRealServers,
  type TestGateway,
} from '../support/gateway';
import { agentView, createAgent, expectBooksAgree, ops, terminalPay } from './agent-support';

/*
 * Two gateways on one PostgreSQL, racing payments of one agent: the cash limit is held by the
 * database (a guarded UPDATE on the agent's row), never by a node's memory. PGlite is one process's
 * database, so this runs on the real server only (DATABASE_URL, CI's second pass).
 */
const onRealServers = usingRealServers ? describe : describe.skip;
if (!usingRealServers) console.warn('agent-two-nodes: DATABASE_URL is not set; skipped');

onRealServers('two nodes, one agent', () => {
  let a: TestGateway;
  let b: TestGateway;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const database = await createTestDatabase();
    drop = database.drop;
    a = await startTestGateway({}, { database: { url: database.url } });
    b = await startAnotherNode(a);
  });
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
    await drop?.();
  });

  it('concurrent payments on both nodes never together exceed the limit; a settlement on one frees it on the other', async () => {
    const { terminalKey } = await createAgent(a.httpUrl, 'AG-RACE', '1000.00');
    const second = await ops(b.httpUrl, 'POST', '/ops/agents/AG-RACE/terminals', {
      id: 'AG-RACE-T2',
      label: 'counter 2',
      reason: 'spec: second terminal on the other node',
    });
    const otherKey = String(second.body.key);
    // 40 payments of 70.00 (2800.00) against 1000.00: exactly 14 fit (980.00), whichever node takes them.
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        i % 2 === 0
          ? terminalPay(a.httpUrl, terminalKey, '70.00')
          : terminalPay(b.httpUrl, otherKey, '70.00'),
      ),
    );
    const statuses = answers.map((r) => r.body.status);
    expect(statuses.filter((s) => s === 'APPROVED')).toHaveLength(14);
    expect(answers.filter((r) => r.body.reasonCode === 'DAILY_LIMIT_EXCEEDED')).toHaveLength(26);
    expect(await agentView(a.httpUrl, 'AG-RACE')).toMatchObject({
      unsettledCash: '980.00',
      ledgerCashPosition: '980.00',
    });
    await expectBooksAgree(a.httpUrl, 'AG-RACE');

    const settled = await ops(b.httpUrl, 'POST', '/ops/agents/AG-RACE/settlements', {
      amount: '980.00',
      currency: 'BDT',
      reference: 'SWEEP-1',
      reason: 'spec: branch sweep',
    });
    expect(settled.status).toBe(201);
    expect((await terminalPay(a.httpUrl, terminalKey, '1000.00')).body).toMatchObject({ status: 'APPROVED' });
    await expectBooksAgree(b.httpUrl, 'AG-RACE');
  });
});
