import { randomUUID } from 'node:crypto';
import { call, type HttpAnswer } from '../support/http';
import { OPS, trialBalance } from '../support/payments';

/** Ops and terminal calls of the agent network over the gateway's real sockets. */
export type Json = Record<string, unknown>;

export function ops(
  base: string,
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  body?: unknown,
): Promise<HttpAnswer<Json>> {
  return call<Json>(base, method, path, { key: OPS, ...(body !== undefined ? { body } : {}) });
}

export async function createAgent(
  base: string,
  id: string,
  cashLimit: string,
  extra: Json = {},
): Promise<{ agent: Json; terminalKey: string; terminalId: string }> {
  const created = await ops(base, 'POST', '/ops/agents', {
    id,
    partnerId: 'demo-agents',
    region: 'Chattogram',
    currency: 'BDT',
    cashLimit,
    reason: 'spec: new agent',
    ...extra,
  });
  if (created.status !== 201) throw new Error(`agent not created: ${created.status} ${created.text}`);
  const terminalId = `${id}-T1`;
  const t = await ops(base, 'POST', `/ops/agents/${id}/terminals`, {
    id: terminalId,
    label: 'counter 1',
    offlineAllowance: { maxCount: 5, maxTotal: '5000.00' },
    reason: 'spec: new terminal',
  });
  if (t.status !== 201) throw new Error(`terminal not issued: ${t.status} ${t.text}`);
  return { agent: created.body, terminalKey: String(t.body.key), terminalId };
}

export function terminalPay(
  base: string,
  key: string,
  amount: string,
  options: { idempotencyKey?: string; billReference?: string } = {},
): Promise<HttpAnswer<Json>> {
  return call<Json>(base, 'POST', '/agent/pay', {
    key,
    idempotencyKey: options.idempotencyKey ?? randomUUID(),
    body: {
      billType: 'ELECTRICITY',
      billReference: options.billReference ?? 'DESCO-1002003',
      amount,
      currency: 'BDT',
      partnerReference: `t-${randomUUID().slice(0, 8)}`,
    },
  });
}

export function offlineItem(amount: string, capturedAt: Date, key = randomUUID()): Json {
  return {
    idempotencyKey: key,
    capturedAt: capturedAt.toISOString(),
    billType: 'WATER',
    billReference: 'WASA-77',
    amount,
    currency: 'BDT',
    partnerReference: `off-${key.slice(0, 8)}`,
  };
}

export async function agentView(base: string, id: string): Promise<Json> {
  const r = await ops(base, 'GET', `/ops/agents/${id}`);
  if (r.status !== 200) throw new Error(`agent ${id}: ${r.status}`);
  return r.body;
}

/** The trial balance balances and the agent's limit counter agrees with its ledger cash position. */
export async function expectBooksAgree(base: string, agentId: string): Promise<void> {
  const tb = await trialBalance(base);
  if (!tb.balanced) throw new Error(`trial balance does not balance: ${JSON.stringify(tb)}`);
  const a = await agentView(base, agentId);
  if (a.unsettledCash !== a.ledgerCashPosition) {
    throw new Error(
      `agent ${agentId}: unsettled ${String(a.unsettledCash)} ≠ ledger ${String(a.ledgerCashPosition)}`,
    );
  }
}
