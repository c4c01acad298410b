import type { AppConfig } from '../config/config';
import { DEMO_OPS_KEY, DEMO_PARTNERS, demoApiKey } from '../demo/demo-data';
import { DEMO_OPS_USERS } from '../demo/demo-ops-users';
import type { LaneDefinition } from '../lanes/lane-config';
import type { Gateway } from './gateway';

const KIND_NAMES: Record<LaneDefinition['kind'], string> = {
  mpls: 'MPLS',
  ipsec: 'IPSec',
  'public-mtls': 'public',
};

/** The line naming one lane by what it is: plain HTTP, mTLS (certificate + bound JWT) or ISO 8583. */
export function laneLine(lane: LaneDefinition, url: string | undefined, iso8583Port?: number): string {
  const kind = KIND_NAMES[lane.kind];
  if (lane.protocol === 'iso8583') {
    const tls = lane.tls === 'mutual' ? ', mutual TLS' : lane.tls === 'server' ? ', TLS' : '';
    const header = lane.iso8583?.lengthHeader === 'ascii4' ? '4-digit ASCII' : '2-byte';
    return `  ISO 8583 lane    ${lane.listener.host}:${iso8583Port ?? lane.listener.port}  (${lane.id}, ${kind}${tls}, ${header} length header)`;
  }
  if (lane.tls === 'mutual') {
    return `  mTLS lane        ${url}  (${lane.id}, ${kind}: client certificate, then a certificate-bound JWT from POST /oauth/token)`;
  }
  const tls = lane.tls === 'server' ? 'TLS' : 'plain HTTP';
  return `  HTTP lane        ${url}  (${lane.id}, ${kind}, ${tls}, API keys; POST /bill/pay, OpenAPI at /docs)`;
}

/** What the banner needs to know about the demo's credentials today (they may have been rotated). */
export interface DemoCredentials {
  /** Demo partners whose demo API key still authenticates, with the partner still live. */
  readonly partnerKeys: readonly { readonly partnerId: string; readonly key: string }[];
  readonly opsKey: string | undefined;
  readonly dashboardUsers: readonly { readonly username: string; readonly password: string }[];
}

/** Asks the gateway which demo credentials still work: a revoked or expired one is never advertised. */
export async function validDemoCredentials(gateway: Gateway): Promise<DemoCredentials> {
  const { authenticator, database } = gateway.services;
  const partnerKeys: { partnerId: string; key: string }[] = [];
  for (const p of DEMO_PARTNERS) {
    const principal = await authenticator.authenticate(demoApiKey(p.id));
    if (principal?.type === 'partner' && principal.partner.status === 'live') {
      partnerKeys.push({ partnerId: p.id, key: demoApiKey(p.id) });
    }
  }
  const ops = await authenticator.authenticate(DEMO_OPS_KEY);
  const active = new Set(
    (
      await database.db
        .selectFrom('ops_users')
        .select('username')
        .where('disabled_at', 'is', null)
        .where(
          'username',
          'in',
          DEMO_OPS_USERS.map((u) => u.username),
        )
        .execute()
    ).map((r) => r.username),
  );
  return {
    partnerKeys,
    opsKey: ops?.type === 'ops' ? DEMO_OPS_KEY : undefined,
    dashboardUsers: DEMO_OPS_USERS.filter((u) => active.has(u.username)),
  };
}

/**
 * The start-up banner: where every lane listens, by kind, and (demo only) a payment to try with
 * the demo keys that still work. In production it names no credential at all.
 */
export function startupBanner(
  config: AppConfig,
  gateway: Pick<Gateway, 'httpUrl' | 'httpLanes' | 'lanes' | 'iso8583Ports' | 'simulators'> & {
    readonly databaseKind: string;
    readonly cacheKind: string;
  },
  demo: DemoCredentials | undefined,
): string {
  const lines = ['', 'billgate is running'];
  for (const lane of gateway.lanes) {
    lines.push(laneLine(lane, gateway.httpLanes[lane.id], gateway.iso8583Ports[lane.id]));
  }
  if (gateway.lanes.length === 0) {
    lines.push(`  HTTP             ${gateway.httpUrl}  (no lanes configured; OpenAPI at /docs)`);
  }
  lines.push(
    `  health/metrics   ${gateway.httpUrl}/health/ready  ${gateway.httpUrl}/metrics`,
    `  database         ${gateway.databaseKind === 'pglite' ? `PGlite in ${config.dataDir}` : 'PostgreSQL'}`,
    `  cache            ${gateway.cacheKind}`,
  );
  if (config.demoData && config.billerSimulatorUrl !== undefined)
    lines.push(`  biller simulator ${config.billerSimulatorUrl}  (BILLER_SIMULATOR_URL)`);
  else if (gateway.simulators.biller !== undefined)
    lines.push(`  biller simulator ${gateway.simulators.biller.url}`);
  if (gateway.simulators.coreBanking !== undefined) {
    lines.push(`  core banking sim ${gateway.simulators.coreBanking.url}`);
  }
  if (config.nodeEnv === 'production' || !config.demoData || demo === undefined) {
    return lines.join('\n') + '\n';
  }

  const plain = gateway.lanes.find((l) => l.protocol === 'http' && l.tls === 'off');
  const payUrl = plain === undefined ? gateway.httpUrl : (gateway.httpLanes[plain.id] ?? gateway.httpUrl);
  lines.push('');
  // API keys are advertised for the partners of lanes that take them, never for an mTLS-only partner.
  const onKeyLanes = new Set(
    gateway.lanes.filter((l) => l.tls !== 'mutual').flatMap((l) => l.partners.map((p) => p.partnerId)),
  );
  const keys = demo.partnerKeys.filter((k) => onKeyLanes.has(k.partnerId));
  if (keys.length > 0) {
    lines.push(`Demo API keys:    ${keys.map((k) => `${k.partnerId} ${k.key}`).join(', ')}`);
  }
  for (const lane of gateway.lanes.filter((l) => l.tls === 'mutual' && l.protocol === 'http')) {
    for (const p of lane.partners) {
      lines.push(
        `mTLS demo:        ${p.partnerId} with ${config.certsDir}/partners/${p.partnerId}.crt and .key (CA ${config.certsDir}/ca.crt)`,
      );
    }
  }
  if (demo.opsKey !== undefined) lines.push(`Ops API key:      ${demo.opsKey}`);
  const mfs = keys.find((k) => k.partnerId === 'demo-mfs');
  if (mfs !== undefined) {
    lines.push(
      '',
      'Try a payment:',
      `  curl -s -X POST ${payUrl}/bill/pay \\`,
      `    -H 'Authorization: Bearer ${mfs.key}' \\`,
      `    -H "Idempotency-Key: $(date +%s%N)" -H 'Content-Type: application/json' \\`,
      `    -d '{"billType":"ELECTRICITY","billReference":"DESCO-1002003","amount":"1250.50","currency":"BDT","payer":{"wallet":"01711000001"},"partnerReference":"demo-0001"}'`,
    );
  }
  if (demo.dashboardUsers.length > 0) {
    lines.push(
      '',
      `Ops dashboard: ${payUrl}/dashboard  (demo users: ${demo.dashboardUsers.map((u) => `${u.username} / ${u.password}`).join(', ')})`,
    );
  }
  lines.push('');
  return lines.join('\n') + '\n';
}
