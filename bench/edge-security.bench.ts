/**
 * Per-request cost of the three mTLS-lane layers. Run: npx tsx bench/edge-security.bench.ts
 * (or compile with tsc). Numbers are for this machine only; the point is the order of magnitude.
 */
import { performance } from 'node:perf_hooks';
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

void main();
