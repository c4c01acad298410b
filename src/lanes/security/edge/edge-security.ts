import type { X509Certificate } from 'node:crypto';
import type { CredentialsRepository } from '../../../domain/partners/credentials.repository';
import type { OnboardingRepository } from '../../../domain/partners/onboarding.repository';
import type { OnboardingMetrics } from '../../../domain/partners/onboarding-metrics';
import type { Partner } from '../../../domain/partners/partner';
import { type PartnersRepository } from '../../../domain/partners/partners.repository';
import type { Clock } from '../clock';
import type { CredentialService } from '../credentials/credential-service';
import { credentialStatus } from '../credentials/credential';
import { fingerprintSha256 } from '../pki/fingerprint';
import { type TrustStore, verifyClientCertificate, type ClientCertificateRefusal } from '../pki/verify';
import type { TokenAuthority } from '../tokens/token-authority';
import type { LaneRegistry } from './lane-registry';

export type CertificateCheck =
  | { readonly ok: true; readonly partner: Partner; readonly fingerprint: string }
  | {
      readonly ok: false;
      readonly reason: ClientCertificateRefusal | 'ROTATED_OUT' | 'NO_CERTIFICATE';
      readonly fingerprint?: string;
    };

/** Everything the lanes use to decide who is at the edge: allowlists, certificates, tokens, credentials. */
export interface EdgeSecurity {
  readonly clock: Clock;
  readonly lanes: LaneRegistry;
  readonly tokens: TokenAuthority;
  readonly credentials: CredentialService;
  readonly credentialStore: CredentialsRepository;
  readonly onboarding: OnboardingRepository;
  /** Time in each state, milestones from contracts signed, certification attempts (ops API, /metrics). */
  readonly onboardingMetrics: OnboardingMetrics;
  readonly partners: PartnersRepository;
  /** Trust anchors per mutual-TLS lane, parsed once at start. */
  readonly trustStores: ReadonlyMap<string, TrustStore>;
  /** The end of the first layer after the handshake: chain, validity, revocation, registration. */
  checkClientCertificate(laneId: string, cert: X509Certificate | undefined): Promise<CertificateCheck>;
}

const fingerprints = new WeakMap<X509Certificate, string>();

/** Fingerprint of a peer certificate, computed once per certificate object. */
export function peerFingerprint(cert: X509Certificate): string {
  let fp = fingerprints.get(cert);
  if (fp === undefined) {
    fp = fingerprintSha256(cert).base64url;
    fingerprints.set(cert, fp);
  }
  return fp;
}

/**
 * Checks run on every request of a mutual-TLS lane, against the registry (so a revocation or the end
 * of a rotation window applies to the next request, even on a kept-alive connection): one query.
 */
export async function checkClientCertificate(
  deps: {
    clock: Clock;
    credentialStore: CredentialsRepository;
    trustStores: ReadonlyMap<string, TrustStore>;
  },
  laneId: string,
  cert: X509Certificate | undefined,
): Promise<CertificateCheck> {
  if (cert === undefined) return { ok: false, reason: 'NO_CERTIFICATE' };
  const trust = deps.trustStores.get(laneId);
  if (trust === undefined) return { ok: false, reason: 'UNTRUSTED' };
  const fingerprint = peerFingerprint(cert);
  const now = deps.clock.now();
  const reg = await deps.credentialStore.findCertificateWithPartner(fingerprint);
  // The registry's validity, judged by the same rule as every other rotating credential.
  const status =
    reg === undefined
      ? undefined
      : credentialStatus(
          {
            validFrom: reg.validFrom,
            ...(reg.validUntil !== null ? { validUntil: reg.validUntil } : {}),
            ...(reg.revokedAt !== null ? { revokedAt: reg.revokedAt } : {}),
          },
          now,
        );
  const rotatedOut = status === 'NOT_YET_VALID' || status === 'EXPIRED';
  const result = await verifyClientCertificate(cert, {
    trustedCas: trust,
    now,
    isRevoked: () => status === 'REVOKED',
    partnerForFingerprint: () => (reg === undefined || rotatedOut ? undefined : reg.partner.id),
  });
  if (!result.ok) {
    return {
      ok: false,
      reason: result.reason === 'UNREGISTERED' && rotatedOut ? 'ROTATED_OUT' : result.reason,
      fingerprint,
    };
  }
  if (reg === undefined) return { ok: false, reason: 'UNREGISTERED', fingerprint };
  return { ok: true, partner: reg.partner, fingerprint };
}
