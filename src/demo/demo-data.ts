import type { Db } from '../domain/db';
import { Ledger } from '../domain/ledger/ledger';
import { registerApiKey } from '../domain/partners/api-key-authenticator';
import type { PartnerKind } from '../domain/partners/partner';
import { coreBankingClearingAccountId, floatAccountId } from '../domain/posting/posting-engine';
import type { PayerType } from '../domain/reason-codes';
import { AuditedRoutingRules } from '../domain/routing/audited-routing-rules';

export const DEMO_CURRENCY = 'BDT';
export const DEMO_BILL_TYPES = ['ELECTRICITY', 'WATER', 'GAS'] as const;
export const DEMO_OPS_KEY = 'demo-key-ops';
export const DEMO_AGENT = 'AGENT-001';
export const DEMO_BILLER_TIMEOUT_MS = 1500;

interface DemoPartner {
  readonly id: string;
  readonly name: string;
  readonly kind: PartnerKind;
  readonly payerType: PayerType;
  /** Pre-funded float in minor units, for partners that post against a float. */
  readonly floatMinor?: bigint;
}

export const DEMO_PARTNERS: readonly DemoPartner[] = [
  { id: 'demo-bank', name: 'Demo Bank', kind: 'bank', payerType: 'bank-customer' },
  { id: 'demo-mfs', name: 'Demo MFS', kind: 'mfs', payerType: 'mfs-user', floatMinor: 1_000_000_000n },
  {
    id: 'demo-aggregator',
    name: 'Demo Wallet Aggregator',
    kind: 'aggregator',
    payerType: 'wallet-aggregator',
    floatMinor: 100_000_000n,
  },
  {
    id: 'demo-card',
    name: 'Demo Card Scheme',
    kind: 'card-scheme',
    payerType: 'card-on-file',
    floatMinor: 100_000_000n,
  },
  { id: 'demo-agents', name: 'Demo Agent Network', kind: 'otc-network', payerType: 'otc-agent' },
  // On the public mTLS lane only (client certificate + bound JWT); see lane-config demoLanes.
  {
    id: 'demo-fintech',
    name: 'Demo Fintech',
    kind: 'aggregator',
    payerType: 'wallet-aggregator',
    floatMinor: 100_000_000n,
  },
];

export function demoApiKey(partnerId: string): string {
  return `demo-key-${partnerId}`;
}

export function settlementAccountId(billType: string, currency = DEMO_CURRENCY): string {
  return `settlement:${billType}:${currency}`;
}

export function demoBillerEndpointId(billType: string): string {
  return `sim-${billType.toLowerCase()}`;
}

/** The demo's billers, one per bill type, all on the biller simulator. */
export const DEMO_BILLERS = DEMO_BILL_TYPES.map((billType) => ({
  id: demoBillerEndpointId(billType),
  name: `Simulated ${billType.toLowerCase()} biller`,
  billType,
}));

/** The bank's claim on the agent's till: no stored balance, no pre-funding (see AgentEngine). */
export const DEMO_AGENT_ACCOUNT = `agent-cash:${DEMO_AGENT}`;
export const DEMO_AGENT_DAILY_LIMIT_MINOR = 10_000_000n;

/**
 * Seeds the embedded demo: partners, keys, billers on the simulator, routes, accounts and funded
 * floats. Idempotent: a restart keeps balances and only refreshes the simulator's address.
 */
export async function seedDemoData(db: Db, billerBaseUrl: (billerId: string) => string): Promise<void> {
  const ledger = new Ledger();
  await db.transaction().execute(async (tx) => {
    for (const code of DEMO_BILL_TYPES) {
      await tx
        .insertInto('bill_types')
        .values({ code, name: code.charAt(0) + code.slice(1).toLowerCase() })
        .onConflict((oc) => oc.column('code').doNothing())
        .execute();
    }

    const accounts: { id: string; kind: string; owner: string | null; min: bigint | null }[] = [
      { id: `funding:${DEMO_CURRENCY}`, kind: 'funding', owner: null, min: null },
      { id: coreBankingClearingAccountId(DEMO_CURRENCY), kind: 'clearing', owner: null, min: null },
      ...DEMO_BILL_TYPES.map((b) => ({
        id: settlementAccountId(b),
        kind: 'settlement',
        owner: b,
        min: null,
      })),
      ...DEMO_PARTNERS.filter((p) => p.floatMinor !== undefined).map((p) => ({
        id: floatAccountId(p.id, DEMO_CURRENCY),
        kind: 'float',
        owner: p.id,
        min: 0n,
      })),
      { id: DEMO_AGENT_ACCOUNT, kind: 'agent', owner: DEMO_AGENT, min: null },
    ];
    for (const a of accounts) {
      await tx
        .insertInto('ledger_accounts')
        .values({ id: a.id, kind: a.kind, owner_id: a.owner, currency: DEMO_CURRENCY, min_balance: a.min })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
    }

    for (const p of DEMO_PARTNERS) {
      await tx
        .insertInto('partners')
        .values({ id: p.id, name: p.name, kind: p.kind, payer_types: [p.payerType] })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
    }

    for (const { id, name, billType } of DEMO_BILLERS) {
      await tx
        .insertInto('biller_endpoints')
        .values({
          id,
          biller_name: name,
          bill_type: billType,
          url: billerBaseUrl(id),
          timeout_ms: DEMO_BILLER_TIMEOUT_MS,
        })
        .onConflict((oc) => oc.column('id').doUpdateSet({ url: billerBaseUrl(id) }))
        .execute();
    }

    // Demo partners without any rule get theirs (a partner added to the demo later is routed too).
    const routed = new Set(
      (await tx.selectFrom('routing_rules').select('partner_id').distinct().execute()).map(
        (r) => r.partner_id,
      ),
    );
    const unrouted = DEMO_PARTNERS.filter((p) => !routed.has(p.id));
    if (unrouted.length > 0) {
      // Rules are written only through the audited repository (the database refuses anything else).
      await new AuditedRoutingRules(db).run(
        { actor: 'system:demo-seed', reason: 'demo data: one route per demo partner and bill type' },
        async (rules) => {
          for (const p of unrouted) {
            for (const billType of DEMO_BILL_TYPES) {
              await rules.create({
                billType,
                payerType: p.payerType,
                partnerId: p.id,
                billerEndpoint: demoBillerEndpointId(billType),
                settlementAccount: settlementAccountId(billType),
              });
            }
          }
        },
        tx,
      );
    }

    await tx
      .insertInto('agents')
      .values({
        id: DEMO_AGENT,
        partner_id: 'demo-agents',
        account_id: DEMO_AGENT_ACCOUNT,
        currency: DEMO_CURRENCY,
        daily_cash_limit: DEMO_AGENT_DAILY_LIMIT_MINOR,
        region: 'Dhaka',
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();

    const funded = new Set(
      (await tx.selectFrom('journal_entries').select('memo').where('kind', '=', 'funding').execute()).map(
        (r) => r.memo,
      ),
    );
    const fundings = [
      ...DEMO_PARTNERS.filter((p) => p.floatMinor !== undefined).map((p) => ({
        account: floatAccountId(p.id, DEMO_CURRENCY),
        amount: p.floatMinor ?? 0n,
      })),
    ];
    for (const f of fundings) {
      const memo = `demo pre-funding of ${f.account}`;
      if (funded.has(memo)) continue;
      await ledger.post(tx, {
        paymentId: null,
        kind: 'funding',
        currency: DEMO_CURRENCY,
        memo,
        lines: [
          { accountId: `funding:${DEMO_CURRENCY}`, side: 'D', amount: f.amount },
          { accountId: f.account, side: 'C', amount: f.amount },
        ],
      });
    }
  });

  for (const p of DEMO_PARTNERS) {
    await registerApiKey(db, { principalType: 'partner', principalId: p.id, key: demoApiKey(p.id) });
  }
  await registerApiKey(db, { principalType: 'ops', principalId: 'ops-demo', key: DEMO_OPS_KEY });
}
