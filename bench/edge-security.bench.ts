/**
 * Cost of the public mTLS lane's three layers. Run: npm run bench -- edge-security [--iterations N]
 *  1. micro: each layer's check alone (allowlist, certificate verification, token issue/verify);
 *  2. end to end, one in-process gateway (embedded PGlite, simulators), one client at a time:
 *     bill payments on the plain lane (API key) against the public lane (mTLS + bound JWT), on a kept
 *     connection and with a new connection per payment (new TLS handshake + POST /oauth/token + pay).
 * Numbers are for this machine only; client and gateway share one process and event loop.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { startGateway } from '../src/bootstrap/gateway';
import { loadConfig } from '../src/config/config';
import { createLogger } from '../src/infrastructure/logging/logger';
import { arg, fmt, summarise } from './lib/stats';
import {
  AccessTokenService,
  CidrAllowlist,
  SigningKeyRing,
  TrustStore,
  createCertificateAuthority,
  fingerprintSha256,
  issueClientKeyAndCertificate,
  verifyClientCertificate,
} from '../src/lanes/security';

async function time(label: string, iterations: number, fn: () => unknown): Promise<void> {
  for (let i = 0; i < Math.min(200, iterations); i++) await fn();
  const start = performance.now();
  for (let i = 0; i < iterations; i++) await fn();
  const perOp = ((performance.now() - start) * 1000) / iterations;
  console.log(`${label.padEnd(36)} ${perOp.toFixed(2).padStart(9)} µs/op`);
}

async function main(): Promise<void> {
  const now = new Date();
  const allowlist = CidrAllowlist.compile(
    Array.from({ length: 500 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`).concat(['2001:db8::/32']),
  );
  await time('CidrAllowlist.contains v4', 200_000, () => allowlist.contains('10.1.2.3'));
  await time('CidrAllowlist.contains mapped', 200_000, () => allowlist.contains('::ffff:10.1.2.3'));
  await time('CidrAllowlist.contains v6', 200_000, () => allowlist.contains('2001:db8::1'));

  const ca = createCertificateAuthority({ now });
  const client = issueClientKeyAndCertificate(ca, { partnerId: 'acme', validityDays: 30, now });
  const fp = fingerprintSha256(client.certPem).base64url;
  const trust = new TrustStore([ca.certPem]);
  const policy = { trustedCas: trust, now, isRevoked: () => false, partnerForFingerprint: () => 'acme' };
  await time('verifyClientCertificate (PEM)', 5_000, () => verifyClientCertificate(client.certPem, policy));

  const ring = SigningKeyRing.create(now);
  const tokens = new AccessTokenService({ ring, issuer: 'https://billgate', audience: 'billgate' });
  const { token } = await tokens.issueAccessToken({ partnerId: 'acme', certificateThumbprint: fp, now });
  await time('issueAccessToken', 5_000, () =>
    tokens.issueAccessToken({ partnerId: 'acme', certificateThumbprint: fp, now }),
  );
  await time('verifyAccessToken', 5_000, () =>
    tokens.verifyAccessToken(token, { presentedCertThumbprint: fp, now }),
  );
}

interface Client {
  readonly agent: Agent;
  bearer: string | undefined;
}

async function post(
  url: string,
  path: string,
  agent: Agent,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; text: string }> {
  const res = await request(url + path, { method: 'POST', dispatcher: agent, headers, body });
  return { status: res.statusCode, text: await res.body.text() };
}

async function getToken(url: string, agent: Agent): Promise<string> {
  const res = await post(
    url,
    '/oauth/token',
    agent,
    { 'content-type': 'application/x-www-form-urlencoded' },
    'grant_type=client_credentials',
  );
  if (res.status !== 200) throw new Error(`token ${res.status} ${res.text}`);
  return (JSON.parse(res.text) as { access_token: string }).access_token;
}

async function payment(url: string, c: Client): Promise<void> {
  const body = JSON.stringify({
    billType: 'ELECTRICITY',
    billReference: 'DESCO-1002003',
    amount: '10.00',
    currency: 'BDT',
    payer: { wallet: '01711000001' },
    partnerReference: randomUUID().slice(0, 12),
  });
  const res = await post(
    url,
    '/bill/pay',
    c.agent,
    {
      authorization: `Bearer ${c.bearer ?? ''}`,
      'idempotency-key': randomUUID(),
      'content-type': 'application/json',
    },
    body,
  );
  if (res.status !== 201 || !res.text.includes('APPROVED')) throw new Error(`pay ${res.status} ${res.text}`);
}

async function measure(label: string, iterations: number, fn: () => Promise<void>): Promise<number> {
  for (let i = 0; i < Math.min(20, iterations); i++) await fn();
  const samples: bigint[] = [];
  const start = performance.now();
  for (let i = 0; i < iterations; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    samples.push(process.hrtime.bigint() - t0);
  }
  const meanMs = (performance.now() - start) / iterations;
  const s = summarise(samples);
  console.log(
    `${label.padEnd(52)} mean ${fmt(meanMs, 2).padStart(6)} ms  p50 ${fmt(s.p50Ms, 2).padStart(6)}  p90 ${fmt(s.p90Ms, 2).padStart(6)}  p99 ${fmt(s.p99Ms, 2).padStart(6)}`,
  );
  return meanMs;
}

async function endToEnd(iterations: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'billgate-edge-bench-'));
  const certs = join(dir, 'certs');
  const config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: join(dir, 'data'),
    HTTP_PORT: '0',
    MTLS_PORT: '0',
    ISO8583_PORT: '0',
    BILLER_SIMULATOR_PORT: '0',
    CORE_BANKING_SIMULATOR_PORT: '0',
    CERTS_DIR: certs,
    LOG_LEVEL: 'silent',
    DEMO_DATA: 'true',
    SIMULATORS: 'true',
  });
  const gw = await startGateway(config, { logger: createLogger('silent') });
  try {
    const plainUrl = gw.httpLanes['http-plain'] ?? '';
    const mtlsUrl = gw.httpLanes['public-mtls'] ?? '';
    const tls = {
      ca: readFileSync(join(certs, 'ca.crt'), 'utf8'),
      cert: readFileSync(join(certs, 'partners/demo-fintech.crt'), 'utf8'),
      key: readFileSync(join(certs, 'partners/demo-fintech.key'), 'utf8'),
      servername: 'localhost',
    };
    console.log(`\nend to end, ${iterations} sequential payments each (embedded PGlite)`);
    const plain: Client = { agent: new Agent(), bearer: 'demo-key-demo-mfs' };
    const keptPlain = await measure('plain lane, kept connection (API key)', iterations, () =>
      payment(plainUrl, plain),
    );
    const newPlain = await measure('plain lane, new connection per payment', iterations, async () => {
      const c: Client = { agent: new Agent({ pipelining: 0 }), bearer: 'demo-key-demo-mfs' };
      try {
        await payment(plainUrl, c);
      } finally {
        await c.agent.close();
      }
    });
    const kept: Client = { agent: new Agent({ connect: tls }), bearer: undefined };
    kept.bearer = await getToken(mtlsUrl, kept.agent);
    const keptMtls = await measure('public lane, kept connection (mTLS + bound JWT)', iterations, () =>
      payment(mtlsUrl, kept),
    );
    const newMtls = await measure(
      'public lane, new connection: handshake + token + payment',
      iterations,
      async () => {
        const c: Client = { agent: new Agent({ connect: tls }), bearer: undefined };
        try {
          c.bearer = await getToken(mtlsUrl, c.agent);
          await payment(mtlsUrl, c);
        } finally {
          await c.agent.close();
        }
      },
    );
    await Promise.all([plain.agent.close(), kept.agent.close()]);
    console.log('\nratios (mean)');
    console.log(`  public kept / plain kept                          ${fmt(keptMtls / keptPlain, 2)}x`);
    console.log(`  public new (handshake+token+pay) / plain kept     ${fmt(newMtls / keptPlain, 2)}x`);
    console.log(`  public new (handshake+token+pay) / plain new      ${fmt(newMtls / newPlain, 2)}x`);
  } finally {
    await gw.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function run(): Promise<void> {
  await main();
  await endToEnd(Number(arg('iterations', '300')));
}

void run().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
