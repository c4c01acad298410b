import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAgentTerminal } from '../../src/cli/agent-terminal.command';
import { AgentTerminal } from '../../src/simulators/agent-terminal';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { agentView, createAgent, expectBooksAgree } from './agent-support';

let gw: TestGateway;
const dir = mkdtempSync(join(tmpdir(), 'billgate-terminal-'));
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('looks a bill up, pays online, queues offline within its allowance, keeps its queue through a failed sync, syncs once', async () => {
  const { terminalKey } = await createAgent(gw.httpUrl, 'AG-TERM', '100000.00');
  const stateFile = join(dir, 'terminal.json');
  const terminal = new AgentTerminal({ gatewayUrl: gw.httpUrl, key: terminalKey, stateFile });
  await terminal.refresh();

  const looked = await terminal.lookup('ELECTRICITY', 'DESCO-42');
  expect(looked.source).toBe('biller');
  const online = await terminal.pay('ELECTRICITY', 'DESCO-42', '120.00');
  expect(online).toMatchObject({ kind: 'online', status: 201, body: { status: 'APPROVED' } });

  terminal.goOffline();
  expect(await terminal.lookup('ELECTRICITY', 'DESCO-42')).toMatchObject({ source: 'cache' });
  for (const amount of ['1000.00', '2000.00', '1500.00']) {
    expect(await terminal.pay('ELECTRICITY', 'DESCO-42', amount)).toMatchObject({ kind: 'queued' });
  }
  // The allowance (5 items, 5000.00) has 500.00 left.
  expect(await terminal.pay('ELECTRICITY', 'DESCO-42', '600.00')).toMatchObject({ kind: 'refused-offline' });

  // A terminal pointed at a gateway that does not answer keeps its queue (the connection dropped).
  const cut = new AgentTerminal({ gatewayUrl: 'http://127.0.0.1:1', key: terminalKey, stateFile });
  await expect(cut.sync()).rejects.toThrow();
  expect(cut.queue).toHaveLength(3);

  const synced = await runAgentTerminal(
    ['--gateway', gw.httpUrl, '--key', terminalKey, '--state', stateFile, 'sync'],
    {},
  );
  expect(synced.code).toBe(0);
  const body = JSON.parse(synced.output) as { body: { items: { outcome: string }[] } };
  expect(body.body.items.map((i) => i.outcome)).toEqual(['approved', 'approved', 'approved']);
  expect(new AgentTerminal({ gatewayUrl: gw.httpUrl, key: terminalKey, stateFile }).queue).toHaveLength(0);
  expect(await agentView(gw.httpUrl, 'AG-TERM')).toMatchObject({ unsettledCash: '4620.00' });
  await expectBooksAgree(gw.httpUrl, 'AG-TERM');

  const usage = await runAgentTerminal(['sync'], {});
  expect(usage.code).toBe(64);
});
