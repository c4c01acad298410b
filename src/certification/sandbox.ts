import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway, type Gateway } from '../bootstrap/gateway';
import { loadConfig, type Env } from '../config/config';
import { DEMO_BILL_TYPES, DEMO_CURRENCY, demoBillerEndpointId, settlementAccountId } from '../demo/demo-data';
import { FloatBook } from '../domain/floats/float-book';
import { registerApiKey } from '../domain/partners/api-key-authenticator';
import type { PartnerKind } from '../domain/partners/partner';
import type { PayerType } from '../domain/reason-codes';
import { createLogger, type Logger } from '../infrastructure/logging/logger';

/**
 * The bank behind a certification lane: a whole billgate on a scratch embedded database with its own
 * simulators and the demo's billers, core banking and test data ("Simulator test references"), in
 * which the partner under certification exists, live, with a sandbox API key, routes for the demo
 * bill types and, when its payments post against a float, a funded float. No real money and no
 * production data are reachable from it; it is deleted when the lane closes.
 */

export interface SandboxPartner {
  readonly id: string;
  readonly name?: string;
  readonly kind: PartnerKind;
  readonly payerType: PayerType;
  /** Field 32 of its ISO 8583 messages. */
  readonly acquirer?: string;
}

export interface SandboxOptions {
  readonly partner: SandboxPartner;
  /** An ISO 8583 lane in this dialect (built-in name or a partner's file), framed as it says. */
  readonly iso8583Dialect?: string;
  readonly logger?: Logger;
  /** Sandbox tuning (CORE_BANKING_TIMEOUT_MS, WEBHOOK_RETRY_SCHEDULE...). */
  readonly env?: Env;
}

export interface Sandbox {
  readonly gateway: Gateway;
  readonly partner: SandboxPartner;
  /** The partner's API key in the sandbox (only the sandbox accepts it). */
  readonly partnerKey: string;
  readonly httpUrl: string;
  readonly iso8583Port?: number;
  close(): Promise<void>;
}

const FLOAT_KINDS: readonly PartnerKind[] = ['mfs', 'aggregator', 'card-scheme'];
const ACTOR = 'system:certification-sandbox';
const SANDBOX_FLOAT_MINOR = 1_000_000_000n;

function lanesYaml(o: SandboxOptions): string {
  const p = o.partner;
  const lines = [
    'lanes:',
    '  - id: sandbox-http',
    '    kind: mpls',
    '    protocol: http',
    '    listener: { host: 127.0.0.1, port: 0 }',
    '    tls: off',
    '    partners:',
    `      - { id: ${JSON.stringify(p.id)}, cidrs: [127.0.0.1/32] }`,
  ];
  if (o.iso8583Dialect !== undefined) {
    lines.push(
      '  - id: sandbox-iso8583',
      '    kind: mpls',
      '    protocol: iso8583',
      '    listener: { host: 127.0.0.1, port: 0 }',
      '    tls: off',
      `    iso8583: { dialect: ${JSON.stringify(o.iso8583Dialect)} }`,
      '    partners:',
      `      - { id: ${JSON.stringify(p.id)}, cidrs: [127.0.0.1/32]${
        p.acquirer !== undefined ? `, acquirers: [${JSON.stringify(p.acquirer)}]` : ''
      } }`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export async function openSandbox(o: SandboxOptions): Promise<Sandbox> {
  const dir = mkdtempSync(join(tmpdir(), 'billgate-sandbox-'));
  const configFile = join(dir, 'sandbox.yaml');
  writeFileSync(configFile, lanesYaml(o));
  let gateway: Gateway | undefined;
  try {
    const config = loadConfig({
      NODE_ENV: 'development',
      DATA_DIR: join(dir, 'data'),
      CERTS_DIR: join(dir, 'certs'),
      BILLGATE_CONFIG: configFile,
      HTTP_PORT: '0',
      MTLS_PORT: '0',
      ISO8583_PORT: '0',
      BILLER_SIMULATOR_PORT: '0',
      CORE_BANKING_SIMULATOR_PORT: '0',
      DEMO_DATA: 'true',
      SIMULATORS: 'true',
      LOG_LEVEL: 'silent',
      // Partners' receivers are retried soon, so a certification run does not wait hours.
      WEBHOOK_RETRY_SCHEDULE: '1s,2s,4s',
      WEBHOOK_POLL_MS: '100',
      ...o.env,
    });
    gateway = await startGateway(config, { logger: o.logger ?? createLogger('silent') });
    const partnerKey = `sbx_${randomBytes(18).toString('base64url')}`;
    await seedPartner(gateway, o.partner, partnerKey);
    const iso8583Port = gateway.iso8583Ports['sandbox-iso8583'];
    const g = gateway;
    return {
      gateway,
      partner: o.partner,
      partnerKey,
      httpUrl: gateway.httpLanes['sandbox-http'] ?? gateway.httpUrl,
      ...(iso8583Port !== undefined ? { iso8583Port } : {}),
      close: async () => {
        await g.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await gateway?.close();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** The partner as ops would have set it up: live, keyed, routed and (for a float partner) funded. */
async function seedPartner(gateway: Gateway, p: SandboxPartner, key: string): Promise<void> {
  const s = gateway.services;
  const db = s.database.db;
  const existing = await db.selectFrom('partners').select('id').where('id', '=', p.id).executeTakeFirst();
  if (existing === undefined) {
    await db
      .insertInto('partners')
      .values({ id: p.id, name: p.name ?? p.id, kind: p.kind, payer_types: [p.payerType] })
      .execute();
  }
  await registerApiKey(db, { principalType: 'partner', principalId: p.id, key });
  // A demo partner's id (demo-mfs...) is already routed and funded by the demo data.
  if (existing !== undefined) return;
  for (const billType of DEMO_BILL_TYPES) {
    await s.routing.create(
      {
        billType,
        payerType: p.payerType,
        partnerId: p.id,
        billerEndpoint: demoBillerEndpointId(billType),
        settlementAccount: settlementAccountId(billType),
      },
      { actor: ACTOR, reason: 'certification sandbox: the partner is routed to the simulated billers' },
    );
  }
  if (FLOAT_KINDS.includes(p.kind)) {
    const floats = new FloatBook(db, s.ledger);
    await floats.open(p.id, DEMO_CURRENCY, ACTOR, 'certification sandbox float');
    await floats.fund(p.id, DEMO_CURRENCY, SANDBOX_FLOAT_MINOR, ACTOR, 'certification sandbox float');
  }
}
