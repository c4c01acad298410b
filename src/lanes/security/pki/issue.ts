import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

/**
 * X.509 building with node-forge. Keys come from Node's native generator (tens of milliseconds
 * rather than forge's pure-JS prime search) and are imported into forge only to sign.
 *
 * Limitation: forge handles RSA only, so CAs, issued certificates and CSRs are RSA. Partners
 * sending an EC CSR get MALFORMED_CSR; verification (verify.ts) accepts any key type.
 */

export interface CertificateAuthority {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface KeyAndCertificate {
  readonly certPem: string;
  /** PKCS#8 PEM. */
  readonly keyPem: string;
}

export type PkiErrorCode =
  | 'MALFORMED_CSR'
  | 'BAD_CSR_SIGNATURE'
  | 'WEAK_KEY'
  | 'INVALID_PARTNER_ID'
  | 'INVALID_VALIDITY'
  | 'INVALID_CA';

export class PkiError extends Error {
  constructor(
    readonly code: PkiErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'PkiError';
  }
}

export const PARTNER_URN_PREFIX = 'urn:billgate:partner:';
export const MIN_RSA_BITS = 2048;
/** CA/Browser Forum's historical ceiling; longer-lived client certificates defeat rotation. */
export const MAX_CLIENT_VALIDITY_DAYS = 825;
const DAY_MS = 86_400_000;
/** Partner ids end up in file names and URNs, so they are restricted to a path-safe alphabet. */
const PARTNER_ID = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62}[A-Za-z0-9])?$/;
/** Issued certificates start slightly in the past so a partner whose clock lags is not refused at once. */
const BACKDATE_MS = 5 * 60_000;

export function assertPartnerId(partnerId: string): void {
  if (!PARTNER_ID.test(partnerId)) {
    throw new PkiError(
      'INVALID_PARTNER_ID',
      `partner id ${JSON.stringify(partnerId)} is not [A-Za-z0-9._-]{1,64}`,
    );
  }
}

export function partnerUrn(partnerId: string): string {
  return `${PARTNER_URN_PREFIX}${partnerId}`;
}

export function generateRsaKeyPem(bits = MIN_RSA_BITS): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

function forgeKeys(keyPem: string): {
  privateKey: forge.pki.rsa.PrivateKey;
  publicKey: forge.pki.rsa.PublicKey;
} {
  const privateKey = forge.pki.privateKeyFromPem(keyPem);
  return { privateKey, publicKey: forge.pki.setRsaPublicKey(privateKey.n, privateKey.e) };
}

/** Positive, 127-bit random serial: unpredictable serials are what defeats chosen-prefix collisions. */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}

function assertValidityDays(days: number, max: number): void {
  if (!Number.isInteger(days) || days < 1 || days > max) {
    throw new PkiError('INVALID_VALIDITY', `validity must be a whole number of days between 1 and ${max}`);
  }
}

function setValidity(cert: forge.pki.Certificate, now: Date, days: number): void {
  cert.validity.notBefore = new Date(now.getTime() - BACKDATE_MS);
  cert.validity.notAfter = new Date(now.getTime() + days * DAY_MS);
}

function sign(cert: forge.pki.Certificate, caKey: forge.pki.rsa.PrivateKey): string {
  cert.sign(caKey, forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

function loadCa(ca: CertificateAuthority): { cert: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey } {
  try {
    const cert = forge.pki.certificateFromPem(ca.certPem);
    const { privateKey, publicKey } = forgeKeys(ca.keyPem);
    const caPublic = cert.publicKey as forge.pki.rsa.PublicKey;
    if (caPublic.n.compareTo(publicKey.n) !== 0) throw new Error('key does not match certificate');
    return { cert, key: privateKey };
  } catch (e: unknown) {
    throw new PkiError('INVALID_CA', `unusable CA: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export interface CreateCaOptions {
  readonly commonName?: string;
  readonly organisation?: string;
  readonly validityDays?: number;
  readonly now?: Date;
  /** Reuse an existing key (e.g. re-issuing a lost CA certificate) instead of generating one. */
  readonly keyPem?: string;
}

export function createCertificateAuthority(opts: CreateCaOptions = {}): CertificateAuthority {
  const validityDays = opts.validityDays ?? 3650;
  assertValidityDays(validityDays, 36500);
  const keyPem = opts.keyPem ?? generateRsaKeyPem();
  const { privateKey, publicKey } = forgeKeys(keyPem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = randomSerial();
  setValidity(cert, opts.now ?? new Date(), validityDays);
  const subject = [
    { shortName: 'CN', value: opts.commonName ?? 'billgate development CA' },
    { shortName: 'O', value: opts.organisation ?? 'billgate' },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    // pathLen 0: this CA signs leaves only, so a stolen leaf key can never mint further certificates.
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  return { certPem: sign(cert, privateKey), keyPem };
}

export interface ServerCertificateOptions {
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  readonly commonName?: string;
  readonly validityDays?: number;
  readonly now?: Date;
  readonly keyPem?: string;
}

export function issueServerCertificate(
  ca: CertificateAuthority,
  opts: ServerCertificateOptions = {},
): KeyAndCertificate {
  const validityDays = opts.validityDays ?? 825;
  assertValidityDays(validityDays, MAX_CLIENT_VALIDITY_DAYS);
  const issuer = loadCa(ca);
  const keyPem = opts.keyPem ?? generateRsaKeyPem();
  const { publicKey } = forgeKeys(keyPem);
  const dnsNames = opts.dnsNames ?? ['localhost'];
  const ips = opts.ipAddresses ?? ['127.0.0.1', '::1'];
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = randomSerial();
  setValidity(cert, opts.now ?? new Date(), validityDays);
  cert.setSubject([{ shortName: 'CN', value: opts.commonName ?? dnsNames[0] ?? 'localhost' }]);
  cert.setIssuer(issuer.cert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [...dnsNames.map((value) => ({ type: 2, value })), ...ips.map((ip) => ({ type: 7, ip }))],
    },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: issuer.cert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  return { certPem: sign(cert, issuer.key), keyPem };
}

export interface ClientCertificateOptions {
  readonly partnerId: string;
  readonly validityDays: number;
  readonly now?: Date;
}

function clientCertificate(
  issuer: { cert: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey },
  subject: forge.pki.CertificateField[],
  publicKey: forge.pki.rsa.PublicKey,
  opts: ClientCertificateOptions,
): string {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = randomSerial();
  setValidity(cert, opts.now ?? new Date(), opts.validityDays);
  cert.setSubject(subject);
  cert.setIssuer(issuer.cert.subject.attributes);
  // Extensions are ours alone: anything the CSR asked for (cA=true, extra SANs) is ignored.
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', clientAuth: true },
    { name: 'subjectAltName', altNames: [{ type: 6, value: partnerUrn(opts.partnerId) }] },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: issuer.cert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  return sign(cert, issuer.key);
}

/**
 * Signs a partner's CSR. The CSR's own signature is checked first (proof the requester holds the
 * private key). The subject is taken from the CSR; the partner id comes from the caller, never the
 * CSR, and is recorded as SAN URI urn:billgate:partner:<id>. Registration of the resulting
 * fingerprint to the partner is the caller's job.
 */
export function issueClientCertificate(
  ca: CertificateAuthority,
  csrPem: string,
  opts: ClientCertificateOptions,
): string {
  assertPartnerId(opts.partnerId);
  assertValidityDays(opts.validityDays, MAX_CLIENT_VALIDITY_DAYS);
  const issuer = loadCa(ca);
  let csr: forge.pki.CertificateSigningRequest;
  try {
    csr = forge.pki.certificationRequestFromPem(csrPem);
  } catch (e: unknown) {
    throw new PkiError(
      'MALFORMED_CSR',
      `CSR unreadable (RSA only): ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  let signatureOk: boolean;
  try {
    signatureOk = csr.verify();
  } catch {
    signatureOk = false;
  }
  if (!signatureOk) throw new PkiError('BAD_CSR_SIGNATURE', 'CSR signature does not verify');
  const publicKey = csr.publicKey as forge.pki.rsa.PublicKey | null;
  if (publicKey === null) throw new PkiError('MALFORMED_CSR', 'CSR has no public key');
  if (publicKey.n.bitLength() < MIN_RSA_BITS) {
    throw new PkiError('WEAK_KEY', `RSA key below ${MIN_RSA_BITS} bits`);
  }
  const subject = csr.subject.attributes;
  if (subject.length === 0) throw new PkiError('MALFORMED_CSR', 'CSR subject is empty');
  return clientCertificate(issuer, subject, publicKey, opts);
}

export interface CsrOptions {
  readonly commonName: string;
  readonly organisation?: string;
  readonly keyPem?: string;
}

/** What a partner (or the partner simulator) runs on its side: a key and a CSR signed with it. */
export function createCsr(opts: CsrOptions): { csrPem: string; keyPem: string } {
  const keyPem = opts.keyPem ?? generateRsaKeyPem();
  const { privateKey, publicKey } = forgeKeys(keyPem);
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = publicKey;
  const subject: forge.pki.CertificateField[] = [{ shortName: 'CN', value: opts.commonName }];
  if (opts.organisation !== undefined) subject.push({ shortName: 'O', value: opts.organisation });
  csr.setSubject(subject);
  csr.sign(privateKey, forge.md.sha256.create());
  return { csrPem: forge.pki.certificationRequestToPem(csr), keyPem };
}

/** Key and certificate in one step, for the development PKI and tests (the key never leaves us). */
export function issueClientKeyAndCertificate(
  ca: CertificateAuthority,
  opts: ClientCertificateOptions & { readonly keyPem?: string },
): KeyAndCertificate {
  assertPartnerId(opts.partnerId);
  assertValidityDays(opts.validityDays, MAX_CLIENT_VALIDITY_DAYS);
  const issuer = loadCa(ca);
  const keyPem = opts.keyPem ?? generateRsaKeyPem();
  const { publicKey } = forgeKeys(keyPem);
  const certPem = clientCertificate(
    issuer,
    [
      { shortName: 'CN', value: opts.partnerId },
      { shortName: 'O', value: 'billgate partner' },
    ],
    publicKey,
    opts,
  );
  return { certPem, keyPem };
}
