import { X509Certificate, createHash } from 'node:crypto';

/** A certificate as it arrives: PEM text, DER bytes, or what `tlsSocket.getPeerX509Certificate()` returns. */
export type CertificateInput = string | Uint8Array | X509Certificate;

export interface CertificateFingerprint {
  /** base64url(SHA-256(DER)); also the RFC 8705 `x5t#S256` confirmation value. */
  readonly base64url: string;
  /** Upper-case colon-separated hex, as `openssl x509 -fingerprint -sha256` prints it, for display. */
  readonly hex: string;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/;

export class CertificateFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CertificateFormatError';
  }
}

/** DER bytes of the first certificate in the input; throws CertificateFormatError on anything else. */
export function certificateDer(input: CertificateInput): Buffer {
  if (input instanceof X509Certificate) return input.raw;
  if (typeof input !== 'string') {
    if (input.length === 0) throw new CertificateFormatError('empty certificate');
    return Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  }
  const m = PEM_CERT.exec(input);
  if (m === null) throw new CertificateFormatError('no PEM CERTIFICATE block found');
  const der = Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64');
  if (der.length === 0) throw new CertificateFormatError('empty PEM CERTIFICATE block');
  return der;
}

export function fingerprintSha256(input: CertificateInput): CertificateFingerprint {
  const digest = createHash('sha256').update(certificateDer(input)).digest();
  return {
    base64url: digest.toString('base64url'),
    hex: (digest.toString('hex').toUpperCase().match(/../g) ?? []).join(':'),
  };
}
