import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { hashApiKey } from '../../../domain/partners/api-key-authenticator';
import type {
  CredentialsRepository,
  StoredCredential,
} from '../../../domain/partners/credentials.repository';
import type { Db } from '../../../domain/db';
import type { Clock } from '../clock';
import { fingerprintSha256 } from '../pki/fingerprint';
import { type CertificateAuthority, issueClientCertificate } from '../pki/issue';
import {
  CredentialRotationError,
  credentialStatus,
  expiringSoon,
  isAcceptable,
  pendingRotations,
  revoke,
  rotate,
  type Credential,
  type CredentialStatus,
  type PendingRotation,
} from './credential';

/**
 * Rotation on notice for the credentials partners hold: client certificates, API keys, webhook
 * secrets. A new credential is registered now; the one it replaces stays acceptable until the end of
 * the notice window (the partner's schedule, 24 h by default) and then stops by itself, because its
 * valid_until is that instant. Revocation is immediate.
 */

export type CredentialView = StoredCredential & { readonly status: CredentialStatus };

export interface CredentialOverview {
  readonly credentials: readonly CredentialView[];
  readonly pendingRotations: readonly PendingRotation[];
  readonly expiringSoon: readonly Credential[];
}

export interface CredentialServiceOptions {
  readonly db: Db;
  readonly repository: CredentialsRepository;
  readonly clock: Clock;
  /** Notice hours of a partner (its Technical Schedule), 24 by default. */
  readonly noticeHoursOf: (partnerId: string) => Promise<number>;
  /** Our issuing CA, to sign partners' CSRs; absent when certificates come from elsewhere. */
  readonly issuingCa?: CertificateAuthority;
  /** Called after any change, so caches (API key lookups) forget at once. */
  readonly onChange?: () => void;
  readonly expiryHorizonHours?: number;
  readonly clientCertificateValidityDays?: number;
}

export interface RotationRequest {
  readonly noticeHours?: number;
  /** The credential to replace; by default the partner's newest current one of that kind. */
  readonly replaces?: string;
  /** Register alongside the existing ones without a rotation. */
  readonly rotate?: boolean;
}

export class CredentialService {
  constructor(private readonly o: CredentialServiceOptions) {}

  get horizonHours(): number {
    return this.o.expiryHorizonHours ?? 7 * 24;
  }

  async overview(partnerId?: string, withinHours = this.horizonHours): Promise<CredentialOverview> {
    const now = this.o.clock.now();
    const all = await this.o.repository.list(partnerId);
    return {
      credentials: all.map((c) => ({ ...c, status: credentialStatus(c, now) })),
      pendingRotations: pendingRotations(all, now),
      expiringSoon: expiringSoon(all, now, withinHours),
    };
  }

  /** Counts by kind of credentials that are acceptable now and end within the horizon. */
  async nearingEnd(): Promise<Record<string, number>> {
    const now = this.o.clock.now();
    const horizon = now.getTime() + this.horizonHours * 3_600_000;
    const counts: Record<string, number> = { 'client-certificate': 0, 'api-key': 0, 'webhook-secret': 0 };
    for (const c of await this.o.repository.list()) {
      const end = Math.min(c.validUntil?.getTime() ?? Infinity, c.notAfter?.getTime() ?? Infinity);
      if (isAcceptable(c, now) && end <= horizon) counts[c.kind] = (counts[c.kind] ?? 0) + 1;
    }
    return counts;
  }

  /** Registers a certificate (the partner's own, or issued now from its CSR by our CA). */
  async registerCertificate(
    partnerId: string,
    material: { readonly certPem?: string; readonly csrPem?: string },
    req: RotationRequest = {},
  ): Promise<{ id: string; fingerprint: string; certPem: string; replaced?: string; noticeEndsAt?: Date }> {
    const now = this.o.clock.now();
    let certPem = material.certPem;
    if (certPem === undefined) {
      if (material.csrPem === undefined) throw new CredentialRotationError('certPem or csrPem is required');
      if (this.o.issuingCa === undefined) throw new CredentialRotationError('no issuing CA is configured');
      certPem = issueClientCertificate(this.o.issuingCa, material.csrPem, {
        partnerId,
        validityDays: this.o.clientCertificateValidityDays ?? 365,
        now,
      });
    }
    let x509: X509Certificate;
    try {
      x509 = new X509Certificate(certPem);
    } catch {
      throw new CredentialRotationError('the certificate is not a readable PEM certificate');
    }
    if (x509.ca) throw new CredentialRotationError('a CA certificate is not a client certificate');
    const fingerprint = fingerprintSha256(x509).base64url;
    const pem = certPem;
    return this.register(partnerId, 'client-certificate', fingerprint, req, async (supersedes, tx) => {
      const id = await this.o.repository.insertCertificate(
        {
          partnerId,
          fingerprint,
          subject: x509.subject,
          certPem: pem,
          notBefore: new Date(x509.validFrom),
          notAfter: new Date(x509.validTo),
          validFrom: now,
          ...(supersedes !== undefined ? { supersedes } : {}),
        },
        tx,
      );
      return { id, fingerprint, certPem: pem };
    });
  }

  /** The webhook secrets valid now (two during a rotation), to sign each delivery with every one. */
  async webhookSigningSecrets(partnerId: string): Promise<string[]> {
    const now = this.o.clock.now();
    return (await this.o.repository.webhookSecretsOf(partnerId))
      .filter((c) => isAcceptable(c, now))
      .map((c) => c.secret);
  }

  async rotateApiKey(
    partnerId: string,
    req: RotationRequest = {},
  ): Promise<{ id: string; key: string; replaced?: string; noticeEndsAt?: Date }> {
    const key = `bgk_${randomBytes(24).toString('base64url')}`;
    const hash = hashApiKey(key);
    return this.register(partnerId, 'api-key', hash, req, async (supersedes, tx) => {
      const id = await this.o.repository.insertApiKey(
        {
          partnerId,
          keyHash: hash,
          hint: key.slice(-4),
          validFrom: this.o.clock.now(),
          ...(supersedes !== undefined ? { supersedes } : {}),
        },
        tx,
      );
      return { id, key };
    });
  }

  async rotateWebhookSecret(
    partnerId: string,
    req: RotationRequest = {},
  ): Promise<{ id: string; secret: string; replaced?: string; noticeEndsAt?: Date }> {
    // Standard Webhooks format: whsec_ and the base64 of the key bytes.
    const secret = `whsec_${randomBytes(24).toString('base64')}`;
    const fingerprint = createHash('sha256').update(secret).digest('hex');
    return this.register(partnerId, 'webhook-secret', fingerprint, req, async (supersedes, tx) => {
      const id = await this.o.repository.insertWebhookSecret(
        {
          partnerId,
          secret,
          fingerprint,
          hint: secret.slice(-4),
          validFrom: this.o.clock.now(),
          ...(supersedes !== undefined ? { supersedes } : {}),
        },
        tx,
      );
      return { id, secret };
    });
  }

  private async register<T extends { id: string }>(
    partnerId: string,
    kind: StoredCredential['kind'],
    fingerprint: string,
    req: RotationRequest,
    insert: (supersedes: string | undefined, tx: Db) => Promise<T>,
  ): Promise<T & { replaced?: string; noticeEndsAt?: Date }> {
    const now = this.o.clock.now();
    const noticeHours = req.noticeHours ?? (await this.o.noticeHoursOf(partnerId));
    const result = await this.o.db.transaction().execute(async (tx) => {
      const mine = (await this.o.repository.list(partnerId, tx)).filter((c) => c.kind === kind);
      const superseded = new Set(mine.flatMap((c) => (c.supersedes !== undefined ? [c.supersedes] : [])));
      let previous: StoredCredential | undefined;
      if (req.replaces !== undefined) {
        previous = mine.find((c) => c.id === req.replaces);
        if (previous === undefined)
          throw new CredentialRotationError(`no ${kind} ${req.replaces} of ${partnerId}`);
      } else if (req.rotate !== false) {
        previous = mine
          .filter((c) => isAcceptable(c, now) && c.noticeEndsAt === undefined && !superseded.has(c.id))
          .sort((a, b) => b.validFrom.getTime() - a.validFrom.getTime())[0];
      }
      if (previous === undefined) return { ...(await insert(undefined, tx)) };
      // The pure rule decides the old credential's end (and refuses rotating a revoked one).
      const { previous: ended } = rotate(
        previous,
        { ...previous, id: '(new)', fingerprint, supersedes: undefined },
        { now, noticeHours },
      );
      const inserted = await insert(previous.id, tx);
      await this.o.repository.saveValidity({ ...previous, ...ended, kind: previous.kind }, tx);
      return {
        ...inserted,
        replaced: previous.id,
        ...(ended.noticeEndsAt !== undefined ? { noticeEndsAt: ended.noticeEndsAt } : {}),
      };
    });
    this.o.onChange?.();
    return result;
  }

  /** Immediate revocation; `partnerId` restricts it to that partner's own credentials. */
  async revoke(
    credentialId: string,
    reason: string | undefined,
    partnerId?: string,
  ): Promise<CredentialView> {
    const now = this.o.clock.now();
    const revoked = await this.o.db.transaction().execute(async (tx) => {
      const c = await this.o.repository.find(credentialId, tx);
      if (c === undefined || (partnerId !== undefined && c.partnerId !== partnerId)) {
        throw new CredentialRotationError(`no credential ${credentialId}`);
      }
      if (LOCKOUT_KINDS.has(c.kind) && credentialStatus(c, now) === 'ACCEPTABLE') {
        // Revocations of one partner queue on its row: two at once cannot each leave the other last.
        await tx.selectFrom('partners').select('id').where('id', '=', c.partnerId).forUpdate().execute();
        const others = (await this.o.repository.list(c.partnerId, tx)).filter(
          (o) => o.kind === c.kind && o.id !== c.id && credentialStatus(o, now) === 'ACCEPTABLE',
        );
        if (others.length === 0) throw new LastCredentialError(c.partnerId, c.kind, c.id);
      }
      const r = { ...c, ...revoke(c, now, reason), kind: c.kind };
      await this.o.repository.saveValidity(r, tx);
      return r;
    });
    this.o.onChange?.();
    return { ...revoked, status: credentialStatus(revoked, now) };
  }
}

/** Kinds a partner authenticates with: revoking its last valid one would lock it out. */
const LOCKOUT_KINDS: ReadonlySet<string> = new Set(['api-key', 'client-certificate']);

/** Refused: the credential is the partner's last valid one of its kind. */
export class LastCredentialError extends CredentialRotationError {
  constructor(
    readonly partnerId: string,
    readonly credentialKind: string,
    readonly credentialId: string,
  ) {
    const what = credentialKind === 'api-key' ? 'API key' : 'client certificate';
    const path = credentialKind === 'api-key' ? 'api-keys' : 'certificates';
    super(
      `${credentialId} is the last valid ${what} of partner ${partnerId}: revoking it would lock the partner out. ` +
        `Issue a new one first (POST /partner/credentials/${path}, or ops: POST /ops/partners/${partnerId}/${path}), ` +
        `then revoke this one; to stop the partner, suspend it instead.`,
    );
    this.name = 'LastCredentialError';
  }
}
