import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startupBanner } from '../../src/bootstrap/banner';
import { loadConfig } from '../../src/config/config';
import { createTestDatabase } from '../support/gateway';
import { call } from '../support/http';

/**
 * What `npm start` prints, from the real entry point in its own process: each lane named by kind,
 * and only the demo keys that still authenticate. After demo-mfs's demo key is revoked, a restart on
 * the same database no longer advertises it.
 */
let dataDir: string;
let database: { url: string | undefined; drop: () => Promise<void> };
const children = new Set<ChildProcess>();

function start(): Promise<{ child: ChildProcess; banner: string }> {
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
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(c);
  return new Promise((resolve, reject) => {
    let out = '';
    c.once('exit', (code, signal) => reject(new Error(`gateway exited (${code ?? signal}): ${out}`)));
    c.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      // The banner is written in one piece and ends with the dashboard line in the demo.
      if (/billgate is running[\s\S]*Ops dashboard:.*\n/.test(out)) {
        c.removeAllListeners('exit');
        resolve({ child: c, banner: out });
      }
    });
  });
}

async function stop(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise((r) => c.once('exit', r));
  c.kill('SIGTERM');
  await exited;
  children.delete(c);
}

const urlOf = (banner: string, label: string): string => {
  const m = new RegExp(`${label}\\s+(\\S+)`).exec(banner);
  if (m?.[1] === undefined) throw new Error(`no ${label} in:\n${banner}`);
  return m[1];
};

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'billgate-banner-'));
  database = await createTestDatabase();
});
afterAll(async () => {
  for (const c of children) await stop(c);
  await database?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('start-up banner', () => {
  it('names each lane by kind and advertises only demo keys that still work', async () => {
    const first = await start();
    const banner = first.banner;
    expect(banner).toMatch(
      /HTTP lane\s+http:\/\/127\.0\.0\.1:\d+\s+\(http-plain, MPLS, plain HTTP, API keys/,
    );
    expect(banner).toMatch(
      /mTLS lane\s+https:\/\/127\.0\.0\.1:\d+\s+\(public-mtls, public: client certificate, then a certificate-bound JWT/,
    );
    expect(banner).toMatch(/ISO 8583 lane\s+127\.0\.0\.1:\d+\s+\(iso8583-demo, MPLS, 2-byte length header\)/);
    expect(banner).not.toMatch(/HTTP lane\s+https:/);
    expect(banner).toContain('demo-mfs demo-key-demo-mfs');
    // demo-fintech pays over the mTLS lane only: its certificate is advertised, not an API key.
    expect(banner).not.toContain('demo-key-demo-fintech');
    expect(banner).toMatch(/mTLS demo:\s+demo-fintech with \S+\/partners\/demo-fintech\.crt/);
    expect(banner).toContain('Ops API key:      demo-key-ops');
    expect(banner).toContain("-H 'Authorization: Bearer demo-key-demo-mfs'");

    // The advertised example works as printed.
    const http = urlOf(banner, 'HTTP lane');
    const paid = await call(http, 'POST', '/bill/pay', {
      key: 'demo-key-demo-mfs',
      idempotencyKey: 'banner-1',
      body: {
        billType: 'ELECTRICITY',
        billReference: 'DESCO-1002003',
        amount: '1250.50',
        currency: 'BDT',
        payer: { wallet: '01711000001' },
        partnerReference: 'demo-0001',
      },
    });
    expect(paid.body).toMatchObject({ status: 'APPROVED' });

    // demo-mfs rotates: a new key, then the demo key revoked (its last key is no longer the demo one).
    const issued = await call(http, 'POST', '/ops/partners/demo-mfs/api-keys', {
      key: 'demo-key-ops',
      body: {},
    });
    expect(issued.status).toBe(201);
    const creds = await call<{ credentials: { id: string; kind: string; hint: string }[] }>(
      http,
      'GET',
      '/ops/partners/demo-mfs/credentials',
      { key: 'demo-key-ops' },
    );
    // The demo key's hint is its last four characters; the new key's are random.
    const demoKey = creds.body.credentials.find((c) => c.kind === 'api-key' && c.hint === '…-mfs');
    expect(demoKey).toBeDefined();
    const revoked = await call(http, 'POST', `/ops/partners/demo-mfs/credentials/${demoKey?.id}/revoke`, {
      key: 'demo-key-ops',
      body: { reason: 'demo key published in a banner' },
    });
    expect(revoked.status).toBe(200);
    await stop(first.child);

    const second = await start();
    expect(second.banner).not.toContain('demo-key-demo-mfs');
    expect(second.banner).not.toContain('Try a payment');
    expect(second.banner).toContain('demo-bank demo-key-demo-bank');
    expect(second.banner).toMatch(/mTLS lane\s+https:/);
    await stop(second.child);
  }, 90_000);

  it('prints no credential in production', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://u@127.0.0.1:5432/db',
      CORE_BANKING_URL: 'http://127.0.0.1:9',
      WEBHOOK_SIGNING_SECRET: 'a-production-webhook-secret',
      CARD_TOKEN_SECRET: 'a-production-card-token-secret',
      // Production refuses to start without a key-encryption key (secrets sealed at rest).
      SECRETS_KEK: `kek-2026:${Buffer.alloc(32, 7).toString('base64')}`,
    });
    const text = startupBanner(
      // Even if a production node were handed demo credentials, it would not print them.
      { ...config, demoData: true },
      {
        httpUrl: 'http://10.0.0.5:8080',
        httpLanes: {},
        lanes: [],
        iso8583Ports: {},
        simulators: {},
        databaseKind: 'postgres',
        cacheKind: 'redis',
      },
      {
        partnerKeys: [{ partnerId: 'demo-mfs', key: 'demo-key-demo-mfs' }],
        opsKey: 'demo-key-ops',
        dashboardUsers: [{ username: 'ops.operator', password: 'operator-demo-pass' }],
      },
    );
    expect(text).toContain('billgate is running');
    expect(text).not.toMatch(/key|Bearer|password|demo/i);
  });
});
