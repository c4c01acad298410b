import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fingerprintSha256 } from './fingerprint';
import {
  type CertificateAuthority,
  assertPartnerId,
  createCertificateAuthority,
  issueClientKeyAndCertificate,
  issueServerCertificate,
} from './issue';

/**
 * The development PKI behind `billgate certs init` and the first embedded start (dir = certs/dev).
 *
 * Idempotent: an existing CA is never replaced (that would orphan every certificate it issued),
 * missing server/partner certificates are added. A leftover key without its certificate is reused;
 * a certificate without its key is an error, because fixing it means overwriting something.
 * Keys are PKCS#8 PEM, unencrypted, mode 0600: this is a development convenience, not key custody.
 */

export interface DevelopmentPkiOptions {
  readonly now?: Date;
  readonly caValidityDays?: number;
  readonly serverValidityDays?: number;
  readonly clientValidityDays?: number;
  readonly serverDnsNames?: readonly string[];
  readonly serverIpAddresses?: readonly string[];
}

export interface DevelopmentPartnerFiles {
  readonly partnerId: string;
  readonly certPath: string;
  readonly keyPath: string;
  /** x5t#S256 of the certificate, what the lead registers against the partner. */
  readonly fingerprint: string;
}

export interface DevelopmentPki {
  readonly ca: CertificateAuthority;
  readonly caCertPath: string;
  readonly caKeyPath: string;
  readonly serverCertPath: string;
  readonly serverKeyPath: string;
  readonly partners: readonly DevelopmentPartnerFiles[];
  /** Paths written by this call; empty when everything already existed. */
  readonly created: readonly string[];
}

export class DevelopmentPkiError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DevelopmentPkiError';
  }
}

const KEY_MODE = 0o600;
const CERT_MODE = 0o644;

/** Temp file then rename, so an interrupted run never leaves a half-written PEM for the next start. */
function writeAtomically(path: string, content: string, mode: number): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, content, { mode, flag: 'wx' });
  // The umask may have narrowed the mode at creation; chmod states it exactly.
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}

function ensurePair(
  certPath: string,
  keyPath: string,
  make: (existingKeyPem: string | undefined) => { certPem: string; keyPem: string },
  created: string[],
): { certPem: string; keyPem: string } {
  const hasCert = existsSync(certPath);
  const hasKey = existsSync(keyPath);
  if (hasCert && hasKey) {
    chmodSync(keyPath, KEY_MODE);
    return { certPem: readFileSync(certPath, 'utf8'), keyPem: readFileSync(keyPath, 'utf8') };
  }
  if (hasCert) throw new DevelopmentPkiError(`${certPath} exists but its key ${keyPath} is missing`);
  const existingKey = hasKey ? readFileSync(keyPath, 'utf8') : undefined;
  const pair = make(existingKey);
  if (!hasKey) {
    writeAtomically(keyPath, pair.keyPem, KEY_MODE);
    created.push(keyPath);
  } else {
    chmodSync(keyPath, KEY_MODE);
  }
  writeAtomically(certPath, pair.certPem, CERT_MODE);
  created.push(certPath);
  return pair;
}

export function createDevelopmentPki(
  dir: string,
  partners: readonly string[],
  opts: DevelopmentPkiOptions = {},
): DevelopmentPki {
  // Validate every id before touching the disk, so a bad one cannot leave a half-built tree.
  for (const p of partners) assertPartnerId(p);
  const now = opts.now ?? new Date();
  const created: string[] = [];
  const partnersDir = join(dir, 'partners');
  mkdirSync(partnersDir, { recursive: true, mode: 0o700 });

  const caCertPath = join(dir, 'ca.crt');
  const caKeyPath = join(dir, 'ca.key');
  const ca = ensurePair(
    caCertPath,
    caKeyPath,
    (keyPem) =>
      createCertificateAuthority({
        now,
        ...(keyPem !== undefined ? { keyPem } : {}),
        ...(opts.caValidityDays !== undefined ? { validityDays: opts.caValidityDays } : {}),
      }),
    created,
  );

  const serverCertPath = join(dir, 'server.crt');
  const serverKeyPath = join(dir, 'server.key');
  ensurePair(
    serverCertPath,
    serverKeyPath,
    (keyPem) =>
      issueServerCertificate(ca, {
        now,
        dnsNames: opts.serverDnsNames ?? ['localhost'],
        ipAddresses: opts.serverIpAddresses ?? ['127.0.0.1', '::1'],
        ...(keyPem !== undefined ? { keyPem } : {}),
        ...(opts.serverValidityDays !== undefined ? { validityDays: opts.serverValidityDays } : {}),
      }),
    created,
  );

  const partnerFiles = [...new Set(partners)].map((partnerId): DevelopmentPartnerFiles => {
    const certPath = join(partnersDir, `${partnerId}.crt`);
    const keyPath = join(partnersDir, `${partnerId}.key`);
    const pair = ensurePair(
      certPath,
      keyPath,
      (keyPem) =>
        issueClientKeyAndCertificate(ca, {
          partnerId,
          now,
          validityDays: opts.clientValidityDays ?? 365,
          ...(keyPem !== undefined ? { keyPem } : {}),
        }),
      created,
    );
    return { partnerId, certPath, keyPath, fingerprint: fingerprintSha256(pair.certPem).base64url };
  });

  return { ca, caCertPath, caKeyPath, serverCertPath, serverKeyPath, partners: partnerFiles, created };
}
