import type { SecretSealer } from '../../infrastructure/secrets/secret-sealer';
import type { Executor } from '../db';
import { uuidv7 } from '../ids';
import { SEALED_COLUMNS } from '../secrets/sealed-columns';
import { asPartnerKind, isPayerType, type Partner } from './partner';

/**
 * Storage of the partner credentials that rotate on notice: client certificates, API keys and
 * webhook secrets. Every row maps to one StoredCredential with the same validity model (the rules of
 * rotation live with the lane security code; this module only reads and writes rows).
 */

export type StoredCredentialKind = 'client-certificate' | 'api-key' | 'webhook-secret';

export interface StoredCredential {
  readonly id: string;
  readonly partnerId: string;
  readonly kind: StoredCredentialKind;
  /** x5t#S256 for certificates, SHA-256 hex of the secret for API keys and webhook secrets. */
  readonly fingerprint: string;
  readonly hint?: string;
  readonly validFrom: Date;
  readonly validUntil?: Date;
  readonly revokedAt?: Date;
  readonly revocationReason?: string;
  readonly supersedes?: string;
  readonly noticeEndsAt?: Date;
  /** Certificates only: the certificate's own validity. */
  readonly notAfter?: Date;
  readonly subject?: string;
}

export interface NewCertificate {
  readonly partnerId: string;
  readonly fingerprint: string;
  readonly subject: string;
  readonly certPem: string | null;
  readonly notBefore: Date | null;
  readonly notAfter: Date | null;
  readonly validFrom: Date;
  readonly supersedes?: string;
}

export interface CertificateRegistration {
  readonly id: string;
  readonly partnerId: string;
  readonly validFrom: Date;
  readonly validUntil: Date | null;
  readonly revokedAt: Date | null;
}

const opt = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

const webhookSecret = SEALED_COLUMNS.webhookSecrets;

export class CredentialsRepository {
  /** `sealer` seals webhook secrets before they are written and opens them when they are read. */
  constructor(
    private readonly db: Executor,
    private readonly sealer: SecretSealer,
  ) {}

  /** The registration of a certificate with its partner, in one query (run on every mTLS request). */
  async findCertificateWithPartner(
    fingerprint: string,
    db: Executor = this.db,
  ): Promise<(CertificateRegistration & { partner: Partner }) | undefined> {
    const row = await db
      .selectFrom('partner_certificates as c')
      .innerJoin('partners as p', 'p.id', 'c.partner_id')
      .select([
        'c.id',
        'c.partner_id',
        'c.valid_from',
        'c.valid_until',
        'c.revoked_at',
        'p.name',
        'p.kind',
        'p.payer_types',
        'p.status',
      ])
      .where('c.fingerprint', '=', fingerprint)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    return {
      id: row.id,
      partnerId: row.partner_id,
      validFrom: row.valid_from,
      validUntil: row.valid_until,
      revokedAt: row.revoked_at,
      partner: {
        id: row.partner_id,
        name: row.name,
        kind: asPartnerKind(row.kind),
        payerTypes: row.payer_types.filter(isPayerType),
        status: row.status,
      },
    };
  }

  /** Registers a certificate; an already registered fingerprint of the same partner is left alone. */
  async insertCertificate(c: NewCertificate, db: Executor = this.db): Promise<string> {
    const existing = await db
      .selectFrom('partner_certificates')
      .select(['id', 'partner_id'])
      .where('fingerprint', '=', c.fingerprint)
      .executeTakeFirst();
    if (existing !== undefined) {
      if (existing.partner_id !== c.partnerId) {
        throw new Error(`certificate ${c.fingerprint} is registered to another partner`);
      }
      return existing.id;
    }
    const row = await db
      .insertInto('partner_certificates')
      .values({
        partner_id: c.partnerId,
        fingerprint: c.fingerprint,
        subject: c.subject,
        cert_pem: c.certPem,
        not_before: c.notBefore,
        not_after: c.notAfter,
        valid_from: c.validFrom,
        supersedes: c.supersedes ?? null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  async insertApiKey(
    k: { partnerId: string; keyHash: string; hint: string; validFrom: Date; supersedes?: string },
    db: Executor = this.db,
  ): Promise<string> {
    const row = await db
      .insertInto('api_keys')
      .values({
        principal_type: 'partner',
        principal_id: k.partnerId,
        key_hash: k.keyHash,
        key_hint: k.hint,
        valid_from: k.validFrom,
        valid_until: null,
        revoked_at: null,
        supersedes: k.supersedes ?? null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  async insertWebhookSecret(
    w: {
      partnerId: string;
      secret: string;
      fingerprint: string;
      hint: string;
      validFrom: Date;
      supersedes?: string;
    },
    db: Executor = this.db,
  ): Promise<string> {
    // The id is chosen here because the sealed value is bound to its row.
    const id = uuidv7(w.validFrom.getTime());
    const row = await db
      .insertInto('webhook_secrets')
      .values({
        id,
        partner_id: w.partnerId,
        secret: this.sealer.seal(w.secret, webhookSecret.context(id)),
        fingerprint: w.fingerprint,
        hint: w.hint,
        valid_from: w.validFrom,
        supersedes: w.supersedes ?? null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  /**
   * The partner's webhook secrets with their validity, secret included: for signing deliveries only
   * (never returned by an API or logged).
   */
  async webhookSecretsOf(
    partnerId: string,
    db: Executor = this.db,
  ): Promise<(StoredCredential & { readonly secret: string })[]> {
    const rows = await db
      .selectFrom('webhook_secrets')
      .select(['id', 'partner_id', 'secret', 'fingerprint', 'valid_from', 'valid_until', 'revoked_at'])
      .where('partner_id', '=', partnerId)
      .orderBy('valid_from')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      partnerId: r.partner_id,
      kind: 'webhook-secret',
      fingerprint: r.fingerprint,
      secret: this.sealer.open(r.secret, webhookSecret.context(r.id)),
      validFrom: r.valid_from,
      ...(r.valid_until !== null ? { validUntil: r.valid_until } : {}),
      ...(r.revoked_at !== null ? { revokedAt: r.revoked_at } : {}),
    }));
  }

  /** Every credential of one partner (or of all partners), of every kind. */
  async list(partnerId?: string, db: Executor = this.db): Promise<StoredCredential[]> {
    let certs = db
      .selectFrom('partner_certificates')
      .select([
        'id',
        'partner_id',
        'fingerprint',
        'subject',
        'not_after',
        'valid_from',
        'valid_until',
        'revoked_at',
        'revocation_reason',
        'supersedes',
        'notice_ends_at',
      ]);
    let keys = db
      .selectFrom('api_keys')
      .select([
        'id',
        'principal_id',
        'key_hash',
        'key_hint',
        'valid_from',
        'valid_until',
        'revoked_at',
        'revocation_reason',
        'supersedes',
        'notice_ends_at',
      ])
      .where('principal_type', '=', 'partner');
    let secrets = db
      .selectFrom('webhook_secrets')
      .select([
        'id',
        'partner_id',
        'fingerprint',
        'hint',
        'valid_from',
        'valid_until',
        'revoked_at',
        'revocation_reason',
        'supersedes',
        'notice_ends_at',
      ]);
    if (partnerId !== undefined) {
      certs = certs.where('partner_id', '=', partnerId);
      keys = keys.where('principal_id', '=', partnerId);
      secrets = secrets.where('partner_id', '=', partnerId);
    }
    const [c, k, s] = await Promise.all([certs.execute(), keys.execute(), secrets.execute()]);
    const common = (r: {
      id: string;
      valid_from: Date;
      valid_until: Date | null;
      revoked_at: Date | null;
      revocation_reason: string | null;
      supersedes: string | null;
      notice_ends_at: Date | null;
    }) => ({
      id: r.id,
      validFrom: r.valid_from,
      ...(r.valid_until !== null ? { validUntil: r.valid_until } : {}),
      ...(r.revoked_at !== null ? { revokedAt: r.revoked_at } : {}),
      ...(r.revocation_reason !== null ? { revocationReason: r.revocation_reason } : {}),
      ...(r.supersedes !== null ? { supersedes: r.supersedes } : {}),
      ...(r.notice_ends_at !== null ? { noticeEndsAt: r.notice_ends_at } : {}),
    });
    return [
      ...c.map((r): StoredCredential => ({
        ...common(r),
        partnerId: r.partner_id,
        kind: 'client-certificate',
        fingerprint: r.fingerprint,
        hint: `…${r.fingerprint.slice(-6)}`,
        subject: r.subject,
        ...(opt(r.not_after) !== undefined ? { notAfter: r.not_after as Date } : {}),
      })),
      ...k.map((r): StoredCredential => ({
        ...common(r),
        partnerId: r.principal_id,
        kind: 'api-key',
        fingerprint: r.key_hash,
        hint: `…${r.key_hint}`,
      })),
      ...s.map((r): StoredCredential => ({
        ...common(r),
        partnerId: r.partner_id,
        kind: 'webhook-secret',
        fingerprint: r.fingerprint,
        hint: `…${r.hint}`,
      })),
    ];
  }

  async find(id: string, db: Executor = this.db): Promise<StoredCredential | undefined> {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return undefined;
    return (await this.list(undefined, db)).find((c) => c.id === id);
  }

  /** Writes the validity fields rotation and revocation change. */
  async saveValidity(c: StoredCredential, db: Executor = this.db): Promise<void> {
    const values = {
      valid_until: c.validUntil ?? null,
      revoked_at: c.revokedAt ?? null,
      revocation_reason: c.revocationReason ?? null,
      notice_ends_at: c.noticeEndsAt ?? null,
    };
    switch (c.kind) {
      case 'client-certificate':
        await db.updateTable('partner_certificates').set(values).where('id', '=', c.id).execute();
        return;
      case 'api-key':
        await db.updateTable('api_keys').set(values).where('id', '=', c.id).execute();
        return;
      case 'webhook-secret':
        await db.updateTable('webhook_secrets').set(values).where('id', '=', c.id).execute();
        return;
    }
  }

  /** Whether the partner holds a client certificate or an API key acceptable at `now`. */
  hasLiveCredential(partnerId: string, now: Date, db: Executor = this.db): Promise<boolean> {
    return hasLiveCredential(db, partnerId, now);
  }
}

/** Whether the partner holds a certificate or an API key valid now (reads no secret: no sealer needed). */
export async function hasLiveCredential(db: Executor, partnerId: string, now: Date): Promise<boolean> {
  const live = <T extends { valid_from: Date; valid_until: Date | null; revoked_at: Date | null }>(r: T) =>
    r.revoked_at === null && r.valid_from <= now && (r.valid_until === null || r.valid_until > now);
  const certs = await db
    .selectFrom('partner_certificates')
    .select(['valid_from', 'valid_until', 'revoked_at'])
    .where('partner_id', '=', partnerId)
    .execute();
  if (certs.some(live)) return true;
  const keys = await db
    .selectFrom('api_keys')
    .select(['valid_from', 'valid_until', 'revoked_at'])
    .where('principal_type', '=', 'partner')
    .where('principal_id', '=', partnerId)
    .execute();
  return keys.some(live);
}
