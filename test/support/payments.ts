import { randomUUID } from 'node:crypto';
import { call, type HttpAnswer } from './http';

export interface PayBody {
  billType?: string;
  billReference?: string;
  amount?: string;
  currency?: string;
  payer?: Record<string, string>;
  partnerReference?: string;
  [extra: string]: unknown;
}

export const MFS = 'demo-key-demo-mfs';
export const BANK = 'demo-key-demo-bank';
export const AGENTS = 'demo-key-demo-agents';
export const AGGREGATOR = 'demo-key-demo-aggregator';
export const CARD = 'demo-key-demo-card';
export const OPS = 'demo-key-ops';

export function payBody(overrides: PayBody = {}): PayBody {
  return {
    billType: 'ELECTRICITY',
    billReference: 'DESCO-1002003',
    amount: '1250.50',
    currency: 'BDT',
    payer: { wallet: '01711000001' },
    partnerReference: `ref-${randomUUID().slice(0, 8)}`,
    ...overrides,
  };
}

export function pay(
  baseUrl: string,
  body: unknown,
  options: { key?: string; idempotencyKey?: string } = {},
): Promise<HttpAnswer<Record<string, unknown>>> {
  return call(baseUrl, 'POST', '/bill/pay', {
    key: options.key ?? MFS,
    idempotencyKey: options.idempotencyKey ?? randomUUID(),
    body,
  });
}

export async function trialBalance(baseUrl: string): Promise<{
  balanced: boolean;
  currencies: {
    currency: string;
    debits: string;
    credits: string;
    balanced: boolean;
    accountsAgree: boolean;
  }[];
}> {
  const res = await call<{
    balanced: boolean;
    currencies: {
      currency: string;
      debits: string;
      credits: string;
      balanced: boolean;
      accountsAgree: boolean;
    }[];
  }>(baseUrl, 'GET', '/ops/ledger/trial-balance', { key: OPS });
  return res.body;
}
