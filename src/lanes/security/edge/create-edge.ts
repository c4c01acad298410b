import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AppConfig } from '../../../config/config';
import { CertificationRecords } from '../../../domain/certification/certification-records';
import type { Db } from '../../../domain/db';
import { CredentialsRepository } from '../../../domain/partners/credentials.repository';
import { LaneCidrsRepository } from '../../../domain/partners/lane-cidrs.repository';
import { OnboardingRepository } from '../../../domain/partners/onboarding.repository';
import {
  MILESTONES,
  OnboardingMetrics,
  type ReconciliationMilestones,
} from '../../../domain/partners/onboarding-metrics';
import { PartnersRepository } from '../../../domain/partners/partners.repository';
import { SigningKeysRepository } from '../../../domain/partners/signing-keys.repository';
import type { Logger } from '../../../infrastructure/logging/logger';
import type { Metrics } from '../../../infrastructure/metrics/metrics';
import type { SecretSealer } from '../../../infrastructure/secrets/secret-sealer';
import { DEMO_MTLS_PARTNERS, type LaneDefinition } from '../../lane-config';
import type { Clock } from '../clock';
import { CredentialService } from '../credentials/credential-service';
import { createDevelopmentPki } from '../pki/dev-pki';
import { fingerprintSha256 } from '../pki/fingerprint';
import type { CertificateAuthority } from '../pki/issue';
import { TrustStore } from '../pki/verify';
import { TokenAuthority } from '../tokens/token-authority';
import { checkClientCertificate, type EdgeSecurity } from './edge-security';
import { LaneRegistry } from './lane-registry';

/** TLS options of one lane's listener, as Node's https server takes them. */
export interface LaneTlsOptions {
  readonly key: string;
  readonly cert: string;
  readonly ca?: string;
  readonly requestCert?: boolean;
  readonly rejectUnauthorized?: boolean;
}

export interface EdgeSetup {
  readonly edge: EdgeSecurity;
  readonly laneTls: ReadonlyMap<string, LaneTlsOptions>;
  close(): void;
}

export interface EdgeSetupOptions {
  readonly db: Db;
  /** Seals the token signing keys and webhook secrets stored in the database. */
  readonly sealer: SecretSealer;
  readonly config: AppConfig;
  readonly lanes: readonly LaneDefinition[];
  readonly clock: Clock;
  readonly metrics: Metrics;
  readonly log: Logger;
  /** Forget cached API-key lookups (after a rotation, revocation or state change). */
  readonly forgetApiKeys: () => void;
  /** Partners' first clean reconciliation, from the reconciliation module once it is wired in. */
  readonly reconciliation?: ReconciliationMilestones;
}

const PEM_CERTS = /-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+-----END CERTIFICATE-----/g;

function read(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e: unknown) {
    throw new Error(`${what} ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * Builds the edge: TLS material per lane (the development PKI under CERTS_DIR unless a lane names
 * its own files; created on the first embedded start), trust stores, the token authority on its
 * persisted key ring, credential rotation, onboarding, and the allowlists with their refresh.
 */
export async function createEdgeSecurity(o: EdgeSetupOptions): Promise<EdgeSetup> {
  const certsDir = resolve(o.config.certsDir);
  const credentialStore = new CredentialsRepository(o.db, o.sealer);
  const needsPki = o.lanes.some((l) => l.tls !== 'off' && l.tlsFiles === undefined);
  if (needsPki && o.config.demoData) {
    const pki = createDevelopmentPki(certsDir, DEMO_MTLS_PARTNERS);
    if (pki.created.length > 0)
      o.log.info({ dir: certsDir, files: pki.created.length }, 'development PKI created');
    const existing = new Set(await new PartnersRepository(o.db, 0).listIds());
    for (const p of pki.partners) {
      if (!existing.has(p.partnerId)) continue;
      const certPem = readFileSync(p.certPath, 'utf8');
      await credentialStore.insertCertificate({
        partnerId: p.partnerId,
        fingerprint: fingerprintSha256(certPem).base64url,
        subject: `CN=${p.partnerId}`,
        certPem,
        notBefore: null,
        notAfter: null,
        validFrom: new Date(0),
      });
    }
  }

  const laneTls = new Map<string, LaneTlsOptions>();
  const trustStores = new Map<string, TrustStore>();
  for (const lane of o.lanes) {
    if (lane.tls === 'off') continue;
    const files = lane.tlsFiles ?? {
      cert: join(certsDir, 'server.crt'),
      key: join(certsDir, 'server.key'),
      ca: join(certsDir, 'ca.crt'),
    };
    const tls: LaneTlsOptions = {
      cert: read(files.cert, 'TLS certificate'),
      key: read(files.key, 'TLS key'),
    };
    if (lane.tls === 'mutual') {
      if (files.ca === undefined) throw new Error(`lane ${lane.id}: tls mutual needs a CA file`);
      const ca = read(files.ca, 'partners CA');
      trustStores.set(lane.id, new TrustStore(ca.match(PEM_CERTS) ?? []));
      laneTls.set(lane.id, { ...tls, ca, requestCert: true, rejectUnauthorized: true });
    } else {
      laneTls.set(lane.id, tls);
    }
  }

  let issuingCa: CertificateAuthority | undefined;
  if (existsSync(join(certsDir, 'ca.key')) && existsSync(join(certsDir, 'ca.crt'))) {
    issuingCa = {
      certPem: read(join(certsDir, 'ca.crt'), 'CA'),
      keyPem: read(join(certsDir, 'ca.key'), 'CA key'),
    };
  }

  const lanes = new LaneRegistry(o.lanes, new LaneCidrsRepository(o.db), o.log);
  await lanes.refresh();
  lanes.start();
  const tokens = await TokenAuthority.open({
    repository: new SigningKeysRepository(o.db, o.sealer),
    clock: o.clock,
    log: o.log,
  });
  tokens.start();
  const certification = new CertificationRecords(o.db);
  const onboarding = new OnboardingRepository(o.db, {
    hasAllowlist: (id) => Promise.resolve(lanes.hasAllowlist(id)),
    // Live needs a valid signed certification report for every endpoint of the Technical Schedule.
    certificationGaps: (id, technical, now, db) =>
      certification.gaps(id, technical?.endpoints ?? [], technical?.certificationValidityDays ?? 90, now, db),
  });
  const credentials = new CredentialService({
    db: o.db,
    repository: credentialStore,
    clock: o.clock,
    noticeHoursOf: async (id) => (await onboarding.get(id, o.clock.now()))?.noticeHours ?? 24,
    ...(issuingCa !== undefined ? { issuingCa } : {}),
    onChange: o.forgetApiKeys,
  });

  const onboardingMetrics = new OnboardingMetrics(o.db, o.reconciliation);
  const edge: EdgeSecurity = {
    clock: o.clock,
    lanes,
    tokens,
    credentials,
    credentialStore,
    onboarding,
    onboardingMetrics,
    partners: new PartnersRepository(o.db),
    trustStores,
    checkClientCertificate: (laneId, cert) =>
      checkClientCertificate({ clock: o.clock, credentialStore, trustStores }, laneId, cert),
  };

  o.metrics.onScrape('credentials', async () => {
    const counts = await credentials.nearingEnd();
    for (const [kind, n] of Object.entries(counts)) o.metrics.credentialsNearingEnd.set({ kind }, n);
    const retiring = tokens.keys().filter((k) => k.state === 'retiring').length;
    o.metrics.credentialsNearingEnd.set({ kind: 'token-signing-key' }, retiring);
  });
  o.metrics.onScrape('partners', async () => {
    const m = o.metrics;
    const { overall, partners } = await onboardingMetrics.overview(o.clock.now());
    const snake = (name: string): string => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    for (const p of partners) {
      for (const [state, seconds] of Object.entries(p.secondsInState)) {
        m.partnerStateSeconds.set({ partner: p.partnerId, state }, seconds);
      }
      const settled = p.milestones.firstSettledPayment?.secondsFromContractsSigned;
      if (settled !== null && settled !== undefined) {
        m.partnerSigningToFirstPaymentSeconds.set({ partner: p.partnerId }, settled);
      }
      for (const milestone of MILESTONES) {
        const seconds = p.milestones[milestone]?.secondsFromContractsSigned;
        if (seconds !== null && seconds !== undefined) {
          m.partnerOnboardingMilestoneSeconds.set(
            { partner: p.partnerId, milestone: snake(milestone) },
            seconds,
          );
        }
      }
      m.partnerCertificationAttempts.set({ partner: p.partnerId, result: 'passed' }, p.certification.passed);
      m.partnerCertificationAttempts.set({ partner: p.partnerId, result: 'failed' }, p.certification.failed);
      if (p.certification.passRate !== null) {
        m.partnerCertificationPassRatio.set({ partner: p.partnerId }, p.certification.passRate);
      }
    }
    for (const [state, n] of Object.entries(overall.byState)) m.onboardingPartners.set({ state }, n);
    for (const milestone of MILESTONES) {
      const median = overall.milestones[milestone].medianSeconds;
      if (median !== null) m.onboardingMilestoneMedianSeconds.set({ milestone: snake(milestone) }, median);
    }
    if (overall.certification.passRate !== null) {
      m.onboardingCertificationPassRatio.set(overall.certification.passRate);
    }
  });

  return {
    edge,
    laneTls,
    close: () => {
      lanes.stop();
      tokens.stop();
    },
  };
}
