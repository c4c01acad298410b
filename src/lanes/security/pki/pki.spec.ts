import { X509Certificate, createPrivateKey } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import forge from 'node-forge';
import { createDevelopmentPki } from './dev-pki';
import { CertificateFormatError, fingerprintSha256 } from './fingerprint';
import {
  type CertificateAuthority,
  PkiError,
  createCertificateAuthority,
  createCsr,
  generateRsaKeyPem,
  issueClientCertificate,
  issueClientKeyAndCertificate,
  issueServerCertificate,
} from './issue';
import { type ClientCertificatePolicy, TrustStore, verifyClientCertificate } from './verify';

const NOW = new Date('2030-06-01T12:00:00Z');
const DAY = 86_400_000;

let ca: CertificateAuthority;
let otherCa: CertificateAuthority;
let acme: { certPem: string; keyPem: string };
let trust: TrustStore;

beforeAll(() => {
  ca = createCertificateAuthority({ now: new Date('2030-01-01T00:00:00Z') });
  otherCa = createCertificateAuthority({
    now: new Date('2030-01-01T00:00:00Z'),
    commonName: 'billgate development CA',
  });
  acme = issueClientKeyAndCertificate(ca, { partnerId: 'acme', validityDays: 365, now: NOW });
  trust = new TrustStore([ca.certPem]);
});

function policy(overrides: Partial<ClientCertificatePolicy> = {}): ClientCertificatePolicy {
  const registered = new Map([[fingerprintSha256(acme.certPem).base64url, 'acme']]);
  return {
    trustedCas: trust,
    now: NOW,
    isRevoked: () => false,
    partnerForFingerprint: (fp) => registered.get(fp),
    ...overrides,
  };
}

describe('fingerprintSha256', () => {
  it('is base64url SHA-256 over DER, the same from PEM, DER and X509Certificate', () => {
    const x509 = new X509Certificate(acme.certPem);
    const fromPem = fingerprintSha256(acme.certPem);
    expect(fromPem.base64url).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(fingerprintSha256(x509.raw)).toEqual(fromPem);
    expect(fingerprintSha256(x509)).toEqual(fromPem);
    expect(fromPem.hex).toBe(x509.fingerprint256);
    expect(Buffer.from(fromPem.base64url, 'base64url').toString('hex').toUpperCase()).toBe(
      fromPem.hex.replace(/:/g, ''),
    );
  });

  it('refuses input without a certificate', () => {
    expect(() => fingerprintSha256('hello')).toThrow(CertificateFormatError);
    expect(() => fingerprintSha256(new Uint8Array())).toThrow(CertificateFormatError);
  });
});

describe('verifyClientCertificate', () => {
  it('accepts a good certificate and maps it to its partner', async () => {
    const result = await verifyClientCertificate(acme.certPem, policy());
    expect(result).toEqual({
      ok: true,
      partnerId: 'acme',
      fingerprint: fingerprintSha256(acme.certPem).base64url,
      notAfter: new Date(NOW.getTime() + 365 * DAY),
    });
    // DER (what a TLS socket yields) and an async registry work the same way.
    const viaDer = await verifyClientCertificate(new X509Certificate(acme.certPem).raw, {
      ...policy(),
      trustedCas: [ca.certPem],
      isRevoked: () => Promise.resolve(false),
      partnerForFingerprint: () => Promise.resolve('acme'),
    });
    expect(viaDer.ok).toBe(true);
  });

  it('refuses a certificate from an untrusted CA, even one with the same name', async () => {
    const foreign = issueClientKeyAndCertificate(otherCa, {
      partnerId: 'acme',
      validityDays: 365,
      now: NOW,
      keyPem: acme.keyPem,
    });
    const fp = fingerprintSha256(foreign.certPem).base64url;
    const result = await verifyClientCertificate(
      foreign.certPem,
      policy({ partnerForFingerprint: () => 'acme' }),
    );
    expect(result).toEqual({ ok: false, reason: 'UNTRUSTED', fingerprint: fp });
  });

  it('refuses an expired certificate by the injected clock', async () => {
    const justAfter = new Date(NOW.getTime() + 365 * DAY + 1000);
    expect(await verifyClientCertificate(acme.certPem, policy({ now: justAfter }))).toMatchObject({
      ok: false,
      reason: 'EXPIRED',
    });
    const atEnd = new Date(NOW.getTime() + 365 * DAY);
    expect((await verifyClientCertificate(acme.certPem, policy({ now: atEnd }))).ok).toBe(true);
  });

  it('refuses a certificate issued with a past validity', async () => {
    const old = issueClientKeyAndCertificate(ca, {
      partnerId: 'acme',
      validityDays: 30,
      now: new Date('2030-01-01T00:00:00Z'),
      keyPem: acme.keyPem,
    });
    const result = await verifyClientCertificate(
      old.certPem,
      policy({ partnerForFingerprint: () => 'acme' }),
    );
    expect(result).toMatchObject({ ok: false, reason: 'EXPIRED' });
  });

  it('refuses a certificate that is not yet valid', async () => {
    const early = new Date(NOW.getTime() - 10 * 60_000);
    expect(await verifyClientCertificate(acme.certPem, policy({ now: early }))).toMatchObject({
      ok: false,
      reason: 'NOT_YET_VALID',
    });
  });

  it('refuses a revoked certificate from the next call on', async () => {
    const revoked = new Set<string>();
    const p = policy({ isRevoked: (fp) => revoked.has(fp) });
    expect((await verifyClientCertificate(acme.certPem, p)).ok).toBe(true);
    revoked.add(fingerprintSha256(acme.certPem).base64url);
    expect(await verifyClientCertificate(acme.certPem, p)).toMatchObject({ ok: false, reason: 'REVOKED' });
  });

  it('refuses an unregistered certificate', async () => {
    const stranger = issueClientKeyAndCertificate(ca, {
      partnerId: 'stranger',
      validityDays: 365,
      now: NOW,
      keyPem: acme.keyPem,
    });
    expect(await verifyClientCertificate(stranger.certPem, policy())).toMatchObject({
      ok: false,
      reason: 'UNREGISTERED',
    });
  });

  it('refuses a certificate registered to a partner other than the one it names', async () => {
    expect(
      await verifyClientCertificate(acme.certPem, policy({ partnerForFingerprint: () => 'globex' })),
    ).toMatchObject({ ok: false, reason: 'UNREGISTERED' });
  });

  it('refuses server and CA certificates presented as client certificates, and garbage', async () => {
    const server = issueServerCertificate(ca, { now: NOW, keyPem: acme.keyPem });
    const anyone = policy({ partnerForFingerprint: () => 'acme' });
    expect(await verifyClientCertificate(server.certPem, anyone)).toMatchObject({
      ok: false,
      reason: 'UNTRUSTED',
    });
    expect(await verifyClientCertificate(ca.certPem, anyone)).toMatchObject({
      ok: false,
      reason: 'UNTRUSTED',
    });
    expect(await verifyClientCertificate('not a cert', anyone)).toEqual({ ok: false, reason: 'UNTRUSTED' });
    expect(await verifyClientCertificate(Buffer.from('junk'), anyone)).toEqual({
      ok: false,
      reason: 'UNTRUSTED',
    });
  });

  it('refuses once the issuing CA itself has expired', async () => {
    const shortCa = createCertificateAuthority({ now: NOW, validityDays: 10, keyPem: ca.keyPem });
    const leaf = issueClientKeyAndCertificate(shortCa, {
      partnerId: 'acme',
      validityDays: 365,
      now: NOW,
      keyPem: acme.keyPem,
    });
    const p = policy({ trustedCas: [shortCa.certPem], partnerForFingerprint: () => 'acme' });
    expect((await verifyClientCertificate(leaf.certPem, p)).ok).toBe(true);
    expect(
      await verifyClientCertificate(leaf.certPem, { ...p, now: new Date(NOW.getTime() + 11 * DAY) }),
    ).toMatchObject({
      ok: false,
      reason: 'UNTRUSTED',
    });
  });

  it('refuses to trust a non-CA certificate as an anchor', () => {
    expect(() => new TrustStore([acme.certPem])).toThrow('not a CA');
  });
});

describe('issueClientCertificate (CSR flow)', () => {
  it('issues a certificate from a CSR that verifies and records the partner id', async () => {
    const { csrPem } = createCsr({ commonName: 'payments.globex.example', organisation: 'Globex' });
    const certPem = issueClientCertificate(ca, csrPem, { partnerId: 'globex', validityDays: 90, now: NOW });
    const x509 = new X509Certificate(certPem);
    expect(x509.subject).toContain('CN=payments.globex.example');
    expect(x509.subjectAltName).toBe('URI:urn:billgate:partner:globex');
    expect(x509.ca).toBe(false);
    const fp = fingerprintSha256(certPem).base64url;
    const result = await verifyClientCertificate(
      certPem,
      policy({ partnerForFingerprint: (f) => (f === fp ? 'globex' : undefined) }),
    );
    expect(result).toMatchObject({ ok: true, partnerId: 'globex', fingerprint: fp });
  });

  it('refuses a CSR whose signature does not verify', () => {
    const { csrPem } = createCsr({ commonName: 'honest.example' });
    // Swap the subject inside the signed bytes (same length keeps the DER well-formed).
    const der = Buffer.from(forge.pem.decode(csrPem)[0]?.body ?? '', 'binary');
    const at = der.indexOf('honest');
    expect(at).toBeGreaterThan(0);
    der.write('forged', at, 'latin1');
    const tampered = forge.pem.encode({ type: 'CERTIFICATE REQUEST', body: der.toString('binary') });
    expect(forge.pki.certificationRequestFromPem(tampered).subject.getField('CN')?.value).toBe(
      'forged.example',
    );
    expect(() => issueClientCertificate(ca, tampered, { partnerId: 'globex', validityDays: 90 })).toThrow(
      expect.objectContaining({ code: 'BAD_CSR_SIGNATURE' }),
    );
  });

  it('refuses malformed CSRs, weak keys, bad partner ids and silly validity', () => {
    const code = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (e: unknown) {
        return e instanceof PkiError ? e.code : 'other';
      }
      return undefined;
    };
    const { csrPem } = createCsr({ commonName: 'x.example' });
    const weak = createCsr({ commonName: 'weak.example', keyPem: generateRsaKeyPem(1024) });
    expect(code(() => issueClientCertificate(ca, 'garbage', { partnerId: 'p', validityDays: 1 }))).toBe(
      'MALFORMED_CSR',
    );
    expect(code(() => issueClientCertificate(ca, weak.csrPem, { partnerId: 'p', validityDays: 1 }))).toBe(
      'WEAK_KEY',
    );
    expect(code(() => issueClientCertificate(ca, csrPem, { partnerId: '../evil', validityDays: 1 }))).toBe(
      'INVALID_PARTNER_ID',
    );
    expect(code(() => issueClientCertificate(ca, csrPem, { partnerId: 'p', validityDays: 0 }))).toBe(
      'INVALID_VALIDITY',
    );
    expect(code(() => issueClientCertificate(ca, csrPem, { partnerId: 'p', validityDays: 5000 }))).toBe(
      'INVALID_VALIDITY',
    );
    expect(
      code(() =>
        issueClientCertificate({ certPem: ca.certPem, keyPem: otherCa.keyPem }, csrPem, {
          partnerId: 'p',
          validityDays: 1,
        }),
      ),
    ).toBe('INVALID_CA');
  });
});

describe('createDevelopmentPki', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'billgate-pki-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const mode = (path: string): number => statSync(path).mode & 0o777;

  it('writes the CA, server and partner files with private keys at 0600', () => {
    const pki = createDevelopmentPki(dir, ['acme', 'globex']);
    const files = ['ca.crt', 'ca.key', 'server.crt', 'server.key', 'partners/acme.crt', 'partners/acme.key'];
    for (const f of [...files, 'partners/globex.crt', 'partners/globex.key'])
      expect(existsSync(join(dir, f))).toBe(true);
    for (const key of ['ca.key', 'server.key', 'partners/acme.key', 'partners/globex.key']) {
      expect(mode(join(dir, key))).toBe(0o600);
    }
    expect(pki.created).toHaveLength(8);
    const server = new X509Certificate(readFileSync(join(dir, 'server.crt')));
    expect(server.subjectAltName).toContain('DNS:localhost');
    expect(server.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(server.checkIssued(new X509Certificate(pki.ca.certPem))).toBe(true);
    expect(pki.partners.map((p) => p.partnerId)).toEqual(['acme', 'globex']);
    expect(pki.partners[0]?.fingerprint).toBe(
      fingerprintSha256(readFileSync(join(dir, 'partners/acme.crt'), 'utf8')).base64url,
    );
  });

  it('is idempotent: keeps the CA, adds only missing partners, repairs key modes', () => {
    createDevelopmentPki(dir, ['acme']);
    const caBefore = readFileSync(join(dir, 'ca.crt'), 'utf8');
    const acmeBefore = readFileSync(join(dir, 'partners/acme.crt'), 'utf8');

    const again = createDevelopmentPki(dir, ['acme']);
    expect(again.created).toEqual([]);

    const more = createDevelopmentPki(dir, ['acme', 'initech']);
    expect([...more.created].sort()).toEqual(
      [join(dir, 'partners/initech.crt'), join(dir, 'partners/initech.key')].sort(),
    );
    expect(readFileSync(join(dir, 'ca.crt'), 'utf8')).toBe(caBefore);
    expect(readFileSync(join(dir, 'partners/acme.crt'), 'utf8')).toBe(acmeBefore);
    const initech = new X509Certificate(readFileSync(join(dir, 'partners/initech.crt')));
    expect(initech.checkIssued(new X509Certificate(caBefore))).toBe(true);
  });

  it('reuses a leftover key, refuses a certificate without its key, and rejects unsafe partner ids', () => {
    createDevelopmentPki(dir, ['acme']);
    const acmeKey = readFileSync(join(dir, 'partners/acme.key'), 'utf8');
    unlinkSync(join(dir, 'partners/acme.crt'));
    createDevelopmentPki(dir, ['acme']);
    expect(readFileSync(join(dir, 'partners/acme.key'), 'utf8')).toBe(acmeKey);
    expect(
      new X509Certificate(readFileSync(join(dir, 'partners/acme.crt'))).checkPrivateKey(
        createPrivateKey(acmeKey),
      ),
    ).toBe(true);

    unlinkSync(join(dir, 'ca.key'));
    expect(() => createDevelopmentPki(dir, ['acme'])).toThrow('key');
    expect(() => createDevelopmentPki(dir, ['../../etc/passwd'])).toThrow(PkiError);
  });

  it('produces files a Node TLS server and client complete an mTLS handshake with', async () => {
    const pki = createDevelopmentPki(dir, ['acme']);
    const read = (p: string): Buffer => readFileSync(p);
    const partner = pki.partners[0];
    if (partner === undefined) throw new Error('no partner');
    const server = tls.createServer({
      cert: read(pki.serverCertPath),
      key: read(pki.serverKeyPath),
      ca: read(pki.caCertPath),
      requestCert: true,
      rejectUnauthorized: true,
    });
    const peer = new Promise<X509Certificate | undefined>((resolve) =>
      server.on('secureConnection', (socket) => {
        resolve(socket.getPeerX509Certificate());
        socket.end();
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const client = tls.connect({
      host: '127.0.0.1',
      port,
      ca: read(pki.caCertPath),
      cert: read(partner.certPath),
      key: read(partner.keyPath),
    });
    client.on('error', () => undefined);
    try {
      const presented = await peer;
      if (presented === undefined) throw new Error('no peer certificate');
      const result = await verifyClientCertificate(presented, {
        trustedCas: [pki.ca.certPem],
        now: new Date(),
        isRevoked: () => false,
        partnerForFingerprint: (fp) => (fp === partner.fingerprint ? 'acme' : undefined),
      });
      expect(result).toMatchObject({ ok: true, partnerId: 'acme', fingerprint: partner.fingerprint });
    } finally {
      client.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
