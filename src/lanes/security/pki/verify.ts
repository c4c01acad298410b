import { X509Certificate } from 'node:crypto';
import { type CertificateInput, certificateDer, fingerprintSha256 } from './fingerprint';
import { PARTNER_URN_PREFIX } from './issue';

/**
 * Application-level client-certificate check, run per connection/request on the mTLS lane.
 *
 * Node's TLS server (requestCert + ca) has already verified the chain at handshake, but only against
 * wall-clock time and without any notion of revocation or partner registration. This re-checks trust
 * and then applies the injectable clock, revocation and registration, so revoking a fingerprint takes
 * effect on the very next request rather than when the connection happens to be re-established.
 *
 * Uses Node's native X509Certificate rather than forge: it is what `getPeerX509Certificate()`
 * returns, is fast, and accepts EC partner keys that forge cannot parse.
 */

export type ClientCertificateRefusal = 'UNTRUSTED' | 'EXPIRED' | 'NOT_YET_VALID' | 'REVOKED' | 'UNREGISTERED';

export type ClientCertificateResult =
  | {
      readonly ok: true;
      readonly partnerId: string;
      /** base64url SHA-256 of the DER certificate, the value tokens are bound to (cnf.x5t#S256). */
      readonly fingerprint: string;
      readonly notAfter: Date;
    }
  | { readonly ok: false; readonly reason: ClientCertificateRefusal; readonly fingerprint?: string };

type MaybePromise<T> = T | Promise<T>;

export interface ClientCertificatePolicy {
  readonly trustedCas: TrustStore | readonly CertificateInput[];
  readonly now: Date;
  readonly isRevoked: (fingerprint: string) => MaybePromise<boolean>;
  readonly partnerForFingerprint: (fingerprint: string) => MaybePromise<string | undefined>;
}

const CLIENT_AUTH_EKU = '1.3.6.1.5.5.7.3.2';
const ANY_EKU = '2.5.29.37.0';
const PARTNER_SAN = new RegExp(
  `(?:^|, )URI:${PARTNER_URN_PREFIX.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}([^,\\s"]+)`,
);

interface Anchor {
  readonly cert: X509Certificate;
  readonly notBefore: number;
  readonly notAfter: number;
}

function parseValidity(text: string): number {
  // Node 20 exposes validity only as OpenSSL text ("Jan  1 00:00:00 2030 GMT"), which V8 parses.
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new Error(`unreadable certificate time ${JSON.stringify(text)}`);
  return t;
}

/** Trusted issuing CAs, parsed once. Build one at startup and reuse it for every connection. */
export class TrustStore {
  private readonly anchors: readonly Anchor[];

  constructor(cas: readonly CertificateInput[]) {
    this.anchors = cas.map((input) => {
      const cert = input instanceof X509Certificate ? input : new X509Certificate(certificateDer(input));
      if (!cert.ca) throw new Error(`trusted certificate ${cert.subject} is not a CA`);
      return { cert, notBefore: parseValidity(cert.validFrom), notAfter: parseValidity(cert.validTo) };
    });
  }

  /** The anchor that issued and signed `cert` and is itself within validity at `now`. */
  issuerOf(cert: X509Certificate, now: number): X509Certificate | undefined {
    for (const a of this.anchors) {
      if (now < a.notBefore || now > a.notAfter) continue;
      if (cert.checkIssued(a.cert) && cert.verify(a.cert.publicKey)) return a.cert;
    }
    return undefined;
  }
}

function partnerIdInCertificate(cert: X509Certificate): string | undefined {
  const san = cert.subjectAltName;
  if (san === undefined) return undefined;
  return PARTNER_SAN.exec(san)?.[1];
}

export async function verifyClientCertificate(
  input: CertificateInput,
  policy: ClientCertificatePolicy,
): Promise<ClientCertificateResult> {
  let cert: X509Certificate;
  let fingerprint: string;
  let notBefore: number;
  let notAfter: number;
  try {
    cert = input instanceof X509Certificate ? input : new X509Certificate(certificateDer(input));
    fingerprint = fingerprintSha256(cert).base64url;
    notBefore = parseValidity(cert.validFrom);
    notAfter = parseValidity(cert.validTo);
  } catch {
    return { ok: false, reason: 'UNTRUSTED' };
  }
  const store =
    policy.trustedCas instanceof TrustStore ? policy.trustedCas : new TrustStore(policy.trustedCas);
  const now = policy.now.getTime();

  // A CA certificate presented as a client identity, or a certificate minted for another purpose
  // (e.g. our own server certificate), is not a client credential even if the chain is good.
  if (cert.ca) return { ok: false, reason: 'UNTRUSTED', fingerprint };
  const eku = cert.keyUsage as readonly string[] | undefined;
  if (eku !== undefined && eku.length > 0 && !eku.includes(CLIENT_AUTH_EKU) && !eku.includes(ANY_EKU)) {
    return { ok: false, reason: 'UNTRUSTED', fingerprint };
  }
  if (store.issuerOf(cert, now) === undefined) return { ok: false, reason: 'UNTRUSTED', fingerprint };

  // Revocation before validity so a compromised certificate is reported as such even once expired.
  if (await policy.isRevoked(fingerprint)) return { ok: false, reason: 'REVOKED', fingerprint };
  if (now < notBefore) return { ok: false, reason: 'NOT_YET_VALID', fingerprint };
  if (now > notAfter) return { ok: false, reason: 'EXPIRED', fingerprint };

  const partnerId = await policy.partnerForFingerprint(fingerprint);
  if (partnerId === undefined) return { ok: false, reason: 'UNREGISTERED', fingerprint };
  // The registry is authoritative; a certificate naming a different partner means a mis-registration.
  const named = partnerIdInCertificate(cert);
  if (named !== undefined && named !== partnerId) return { ok: false, reason: 'UNREGISTERED', fingerprint };

  return { ok: true, partnerId, fingerprint, notAfter: new Date(notAfter) };
}
