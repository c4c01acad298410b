import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebhookReceiver } from '../../src/cli/webhook-receiver';
import { createTestDatabase } from '../support/gateway';
import { call } from '../support/http';
import { MFS, pay, payBody, trialBalance } from '../support/payments';
import { billerReversal, eventually } from '../support/webhooks';

jest.setTimeout(240_000);

/**
 * The gateway as its own process, killed with SIGKILL between the commit of a reversal (with its
 * outbox event) and the event's delivery: after a restart on the same database the event is
 * delivered, once the worker runs again.
 */
let dataDir: string;
let database: { url: string | undefined; drop: () => Promise<void> };
let receiver: WebhookReceiver;
let child: ChildProcess | undefined;

function startChild(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const c = spawn(process.execPath, ['test/support/ts-child.cjs', 'src/main.ts'], {
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      DATA_DIR: dataDir,
      CERTS_DIR: join(dataDir, 'certs'),
      HTTP_PORT: '0',
      MTLS_PORT: '0',
      ISO8583_PORT: '0',
      BILLER_SIMULATOR_PORT: '0',
      CORE_BANKING_SIMULATOR_PORT: '0',
      DEMO_DATA: 'true',
      SIMULATORS: 'true',
      LOG_LEVEL: 'warn',
      ...(database.url !== undefined ? { DATABASE_URL: database.url } : {}),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    c.once('exit', (code, signal) => reject(new Error(`gateway exited (${code ?? signal}): ${out}`)));
    c.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /HTTP lane\s+(http:\/\/\S+)/.exec(out);
      if (m?.[1] !== undefined) {
        c.removeAllListeners('exit');
        resolve({ child: c, url: m[1] });
      }
    });
  });
}

function kill9(c: ChildProcess): Promise<void> {
  const exited = new Promise<void>((r) => c.once('exit', () => r()));
  c.kill('SIGKILL');
  return exited;
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'billgate-crash-'));
  database = await createTestDatabase();
});
afterAll(async () => {
  if (child !== undefined && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child?.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  await receiver?.stop();
  await database?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

it('delivers an event committed just before the gateway was killed with SIGKILL, after restart', async () => {
  // First life: the worker polls once at start, then not for a minute: the event stays in the outbox.
  let gw = await startChild({ WEBHOOK_POLL_MS: '60000' });
  child = gw.child;
  const secrets: string[] = [];
  receiver = new WebhookReceiver({ secrets });
  await receiver.start();
  const sub = await call<{ secret: string }>(gw.url, 'POST', '/partner/webhooks', {
    key: MFS,
    body: { url: receiver.url, eventTypes: ['payment.reversed'] },
  });
  expect(sub.status).toBe(201);
  secrets.push(sub.body.secret);
  const paid = await pay(gw.url, payBody({ amount: '99.99' }));
  expect(paid.body.status).toBe('APPROVED');
  const paymentId = String(paid.body.id);
  const reversed = await billerReversal(gw.url, 'sim-electricity', {
    reversalId: `rev-${randomUUID()}`,
    paymentId,
    amountMinor: '9999',
    currency: 'BDT',
    reason: 'crash test',
  });
  expect(reversed.status).toBe(200);
  await kill9(gw.child);
  expect(receiver.received).toHaveLength(0);

  // Second life, same database: the worker finds the event and delivers it.
  gw = await startChild({ WEBHOOK_POLL_MS: '50' });
  child = gw.child;
  const delivered = await eventually(
    () => receiver.accepted().find((d) => d.body.includes(paymentId)),
    30_000,
  );
  expect(JSON.parse(delivered.body)).toMatchObject({ type: 'payment.reversed', data: { paymentId } });
  const state = await call<{ status: string }>(gw.url, 'GET', `/bill/pay/${paymentId}`, { key: MFS });
  expect(state.body.status).toBe('REVERSED');
  const tb = await trialBalance(gw.url);
  expect(tb.balanced).toBe(true);
});
