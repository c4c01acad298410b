/**
 * Credential rotation independent of storage. Every function is pure: it takes the current time and
 * returns new objects, so the lead's repository decides how to persist them.
 *
 * The model makes rotation safe without anyone acting at the end of it: rotating sets the old
 * credential's `validUntil` to the end of the notice window, so it simply stops being acceptable
 * when the clock passes that instant. Revocation is separate and immediate.
 */

export type CredentialKind = 'client-certificate' | 'api-key' | 'token-signing-key' | 'webhook-secret';

export interface Credential {
  readonly id: string;
  readonly partnerId: string;
  readonly kind: CredentialKind;
  /**
   * What identifies the credential when presented, never the secret itself: x5t#S256 for
   * certificates, a kid for signing keys, a hash of an API key or webhook secret.
   */
  readonly fingerprint: string;
  /** Short, non-secret display aid ("…3f9a"). */
  readonly hint?: string;
  readonly validFrom: Date;
  readonly validUntil?: Date;
  readonly revokedAt?: Date;
  readonly revocationReason?: string;
  /** Id of the credential this one replaced. */
  readonly supersedes?: string;
  /** Set on the replaced credential: when the overlap in which both are accepted ends. */
  readonly noticeEndsAt?: Date;
}

export type CredentialStatus = 'ACCEPTABLE' | 'NOT_YET_VALID' | 'EXPIRED' | 'REVOKED';

export const DEFAULT_NOTICE_HOURS = 24;
const HOUR_MS = 3_600_000;
/** A notice longer than this is almost certainly a unit mistake (minutes or days passed as hours). */
const MAX_NOTICE_HOURS = 24 * 90;

export class CredentialRotationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CredentialRotationError';
  }
}

export interface RotationOptions {
  readonly now: Date;
  readonly noticeHours?: number;
}

export interface Rotation {
  /** The old credential, now ending at `noticeEndsAt` (or earlier if it was already due to). */
  readonly previous: Credential;
  readonly current: Credential;
}

export interface PendingRotation {
  readonly previous: Credential;
  /** Absent when the successor is not in the list handed in. */
  readonly current: Credential | undefined;
  readonly noticeEndsAt: Date;
  readonly remainingMs: number;
}

function earlier(a: Date, b: Date | undefined): Date {
  return b !== undefined && b.getTime() < a.getTime() ? b : a;
}

export function credentialStatus(
  cred: Pick<Credential, 'validFrom' | 'validUntil' | 'revokedAt'>,
  now: Date,
): CredentialStatus {
  const t = now.getTime();
  if (cred.revokedAt !== undefined && cred.revokedAt.getTime() <= t) return 'REVOKED';
  if (t < cred.validFrom.getTime()) return 'NOT_YET_VALID';
  if (cred.validUntil !== undefined && t >= cred.validUntil.getTime()) return 'EXPIRED';
  return 'ACCEPTABLE';
}

export function isAcceptable(cred: Credential, now: Date): boolean {
  return credentialStatus(cred, now) === 'ACCEPTABLE';
}

/**
 * Replaces `existing` with `next`: the new credential is valid from `now`, the old one keeps being
 * accepted until `now + noticeHours` (24 h by default) and then stops by itself. A notice of 0 is an
 * immediate cut-over. The old credential's end is never pushed later than it already was.
 */
export function rotate(existing: Credential, next: Credential, options: RotationOptions): Rotation {
  const noticeHours = options.noticeHours ?? DEFAULT_NOTICE_HOURS;
  if (!Number.isFinite(noticeHours) || noticeHours < 0 || noticeHours > MAX_NOTICE_HOURS) {
    throw new CredentialRotationError(`notice must be between 0 and ${MAX_NOTICE_HOURS} hours`);
  }
  if (existing.id === next.id) throw new CredentialRotationError('a credential cannot supersede itself');
  if (existing.partnerId !== next.partnerId) {
    throw new CredentialRotationError('a credential can only be replaced by one of the same partner');
  }
  if (existing.kind !== next.kind) {
    throw new CredentialRotationError('a credential can only be replaced by one of the same kind');
  }
  if (existing.fingerprint === next.fingerprint) {
    // Re-registering the same material would leave nothing to phase out.
    throw new CredentialRotationError('the new credential has the same fingerprint as the old one');
  }
  if (credentialStatus(existing, options.now) === 'REVOKED') {
    // A revoked credential has no overlap to grant: issue the new one directly instead.
    throw new CredentialRotationError('a revoked credential cannot be rotated');
  }
  const noticeEndsAt = new Date(options.now.getTime() + noticeHours * HOUR_MS);
  const previous: Credential = {
    ...existing,
    validUntil: earlier(noticeEndsAt, existing.validUntil),
    noticeEndsAt: earlier(noticeEndsAt, existing.noticeEndsAt),
  };
  const current: Credential = { ...next, validFrom: options.now, supersedes: existing.id };
  return { previous, current };
}

/** Immediate: the credential is refused from `now` on. Revoking twice keeps the first instant. */
export function revoke(cred: Credential, now: Date, reason?: string): Credential {
  if (cred.revokedAt !== undefined && cred.revokedAt.getTime() <= now.getTime()) return cred;
  return reason === undefined
    ? { ...cred, revokedAt: now }
    : { ...cred, revokedAt: now, revocationReason: reason };
}

/** Rotations whose overlap is still open: both old and new are currently accepted. */
export function pendingRotations(creds: readonly Credential[], now: Date): PendingRotation[] {
  const t = now.getTime();
  const successorOf = new Map<string, Credential>();
  for (const c of creds) if (c.supersedes !== undefined) successorOf.set(c.supersedes, c);
  const pending: PendingRotation[] = [];
  for (const c of creds) {
    if (c.noticeEndsAt === undefined || c.noticeEndsAt.getTime() <= t) continue;
    if (!isAcceptable(c, now)) continue;
    pending.push({
      previous: c,
      current: successorOf.get(c.id),
      noticeEndsAt: c.noticeEndsAt,
      remainingMs: c.noticeEndsAt.getTime() - t,
    });
  }
  return pending.sort((a, b) => a.noticeEndsAt.getTime() - b.noticeEndsAt.getTime());
}

/**
 * Acceptable credentials that will lapse within the horizon and have not been replaced yet, i.e.
 * the ones somebody needs to rotate. Credentials already superseded show up in pendingRotations.
 */
export function expiringSoon(creds: readonly Credential[], now: Date, withinHours: number): Credential[] {
  const t = now.getTime();
  const horizon = t + withinHours * HOUR_MS;
  const superseded = new Set<string>();
  for (const c of creds) if (c.supersedes !== undefined) superseded.add(c.supersedes);
  return creds
    .filter(
      (c) =>
        isAcceptable(c, now) &&
        c.noticeEndsAt === undefined &&
        !superseded.has(c.id) &&
        c.validUntil !== undefined &&
        c.validUntil.getTime() <= horizon,
    )
    .sort((a, b) => (a.validUntil?.getTime() ?? 0) - (b.validUntil?.getTime() ?? 0));
}

/** The credentials a presented fingerprint may match right now (both sides of an open rotation). */
export function acceptableCredentials(
  creds: readonly Credential[],
  now: Date,
  filter: { readonly partnerId?: string; readonly kind?: CredentialKind } = {},
): Credential[] {
  return creds.filter(
    (c) =>
      (filter.partnerId === undefined || c.partnerId === filter.partnerId) &&
      (filter.kind === undefined || c.kind === filter.kind) &&
      isAcceptable(c, now),
  );
}
