import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { call, type HttpAnswer } from '../support/http';

/** Shared by the routing specs: ops calls, payments, and extra billers/accounts to re-point rules at. */
export const OPS_KEY = 'demo-key-ops';

/** Every listener on an ephemeral port, so spec files running side by side (and two nodes) never collide. */
export const EPHEMERAL_PORTS = { ISO8583_PORT: '0', MTLS_PORT: '0' } as const;

export interface RuleBody {
  id: string;
  billType: string;
  payerType: string;
  partnerId: string;
  billerEndpoint: string;
  settlementAccount: string;
  enabled: boolean;
  version: number;
  auditSeq?: number;
}

export function ops<T = Record<string, unknown>>(
  gw: Pick<TestGateway, 'httpUrl'>,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  path: string,
  options: { body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<HttpAnswer<T>> {
  return call<T>(gw.httpUrl, method, path, { key: OPS_KEY, ...options });
}

export interface PaymentAnswer {
  id: string;
  status: string;
  reasonCode: string;
  route?: { ruleId: string; version: number; billerEndpoint: string; settlementAccount: string } | null;
}

/** A wallet payment from the demo MFS (payer type mfs-user). */
export async function pay(
  gw: Pick<TestGateway, 'httpUrl'>,
  billType = 'ELECTRICITY',
  partner = 'demo-mfs',
): Promise<PaymentAnswer> {
  const ref = randomUUID().slice(0, 12);
  const res = await call<PaymentAnswer>(gw.httpUrl, 'POST', '/bill/pay', {
    key: `demo-key-${partner}`,
    idempotencyKey: `idem-${ref}`,
    body: {
      billType,
      billReference: `ACC-${ref}`,
      amount: '10.00',
      currency: 'BDT',
      payer: { wallet: '01700000000' },
      partnerReference: `ref-${ref}`,
    },
  });
  if (res.status !== 201) throw new Error(`payment refused: ${res.status} ${res.text}`);
  return res.body;
}

export async function paymentRoute(gw: Pick<TestGateway, 'httpUrl'>, id: string, partner = 'demo-mfs') {
  const res = await call<PaymentAnswer>(gw.httpUrl, 'GET', `/bill/pay/${id}`, { key: `demo-key-${partner}` });
  return res.body.route;
}

/** A second biller endpoint for a bill type (on the same simulator) and a settlement account. */
export async function addAlternative(
  gw: TestGateway,
  name: string,
  billType = 'ELECTRICITY',
  currency = 'BDT',
): Promise<{ biller: string; account: string }> {
  const biller = `alt-${name}`;
  const account = `settlement:alt-${name}:${currency}`;
  const url = gw.simulators.biller?.endpoint(biller) ?? 'http://127.0.0.1:1';
  await sql`insert into biller_endpoints (id, biller_name, bill_type, url, timeout_ms, currency)
            values (${biller}, ${'Alternative ' + name}, ${billType}, ${url}, 1500, ${currency})
            on conflict (id) do nothing`.execute(gw.services.database.db);
  await sql`insert into ledger_accounts (id, kind, owner_id, currency)
            values (${account}, 'settlement', ${billType}, ${currency})
            on conflict (id) do nothing`.execute(gw.services.database.db);
  return { biller, account };
}

export async function ruleFor(
  gw: Pick<TestGateway, 'httpUrl'>,
  billType: string,
  partnerId: string,
  payerType = 'mfs-user',
): Promise<RuleBody> {
  const res = await ops<{ items: RuleBody[] }>(
    gw,
    'GET',
    `/ops/routing/rules?billType=${billType}&partnerId=${partnerId}`,
  );
  const rule = res.body.items.find((r) => r.payerType === payerType && r.enabled);
  if (rule === undefined) throw new Error(`no enabled rule for ${billType}/${payerType}/${partnerId}`);
  return rule;
}

/** A gateway on ephemeral ports with an alternative biller endpoint and settlement account to re-point rules at. */
export async function startRoutingGateway(
  alternative: string,
): Promise<{ gw: TestGateway; alt: { biller: string; account: string } }> {
  const gw = await startTestGateway({ ...EPHEMERAL_PORTS });
  try {
    return { gw, alt: await addAlternative(gw, alternative) };
  } catch (error) {
    await gw.stop();
    throw error;
  }
}
