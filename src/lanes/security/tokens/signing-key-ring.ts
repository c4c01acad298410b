import {
  type KeyObject,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
} from 'node:crypto';
import { z } from 'zod';

/**
 * ES256 signing keys for access tokens, with rotation by overlap.
 *
 * A key's state is derived from its timestamps and the clock, never stored, so a retiring key stops
 * verifying when its overlap ends without anyone running a job:
 *   next      published in the JWKS ahead of use (so relying parties' caches already hold it)
 *   active    signs and verifies; exactly one at a time
 *   retiring  superseded, still verifies until `verifyUntil` (the overlap)
 *   retired   neither; overlap over or revoked. Left in the snapshot until `prune`
 *
 * Keys are held as Node KeyObjects created once per kid, so each verification reuses the imported
 * key (jose also caches its CryptoKey conversion per KeyObject).
 *
 * Persistence: `toSnapshot()` contains the PRIVATE keys as JWK in clear; SigningKeysRepository
 * seals it under the key-encryption key before it reaches the database (src/infrastructure/secrets).
 */

export type SigningKeyState = 'next' | 'active' | 'retiring' | 'retired';

export interface EcPublicJwk {
  readonly kty: 'EC';
  readonly crv: 'P-256';
  readonly x: string;
  readonly y: string;
  readonly kid: string;
  readonly alg: 'ES256';
  readonly use: 'sig';
}

export interface JsonWebKeySet {
  readonly keys: readonly EcPublicJwk[];
}

export interface SigningKeyInfo {
  readonly kid: string;
  readonly state: SigningKeyState;
  readonly createdAt: Date;
  readonly activatedAt: Date | undefined;
  readonly supersededAt: Date | undefined;
  readonly verifyUntil: Date | undefined;
  readonly revokedAt: Date | undefined;
}

const base64url = z.string().regex(/^[A-Za-z0-9_-]+$/);
const isoDate = z.iso.datetime();

const privateJwkSchema = z.object({
  kty: z.literal('EC'),
  crv: z.literal('P-256'),
  x: base64url,
  y: base64url,
  d: base64url,
});

const keyRecordSchema = z.object({
  kid: z.string().min(1),
  privateJwk: privateJwkSchema,
  createdAt: isoDate,
  activatedAt: isoDate.optional(),
  supersededAt: isoDate.optional(),
  verifyUntil: isoDate.optional(),
  revokedAt: isoDate.optional(),
});

const snapshotSchema = z.object({
  version: z.literal(1),
  overlapSeconds: z.number().int().positive(),
  keys: z.array(keyRecordSchema),
});

export type SigningKeyRecord = z.infer<typeof keyRecordSchema>;
/** What is persisted (sealed). Plain JSON: dates as ISO strings, keys as private JWK. */
export type SigningKeyRingSnapshot = z.infer<typeof snapshotSchema>;

export const DEFAULT_KEY_OVERLAP_SECONDS = 24 * 3600;

export class SigningKeyRingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SigningKeyRingError';
  }
}

interface LoadedKey {
  readonly kid: string;
  readonly privateJwk: SigningKeyRecord['privateJwk'];
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly publicJwk: EcPublicJwk;
  readonly createdAt: number;
  activatedAt: number | undefined;
  supersededAt: number | undefined;
  verifyUntil: number | undefined;
  revokedAt: number | undefined;
}

/** RFC 7638 thumbprint: a kid derived from the key itself cannot collide or be reused for another key. */
function jwkThumbprint(jwk: { crv: string; kty: string; x: string; y: string }): string {
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return createHash('sha256').update(canonical).digest('base64url');
}

function loadKey(record: SigningKeyRecord): LoadedKey {
  const privateKey = createPrivateKey({ key: record.privateJwk, format: 'jwk' });
  const publicKey = createPublicKey(privateKey);
  const { kty, crv, x, y } = record.privateJwk;
  if (jwkThumbprint({ kty, crv, x, y }) !== record.kid) {
    throw new SigningKeyRingError(`key ${record.kid}: kid is not the thumbprint of its key`);
  }
  const ms = (iso: string | undefined): number | undefined =>
    iso === undefined ? undefined : Date.parse(iso);
  return {
    kid: record.kid,
    privateJwk: record.privateJwk,
    privateKey,
    publicKey,
    publicJwk: { kty, crv, x, y, kid: record.kid, alg: 'ES256', use: 'sig' },
    createdAt: Date.parse(record.createdAt),
    activatedAt: ms(record.activatedAt),
    supersededAt: ms(record.supersededAt),
    verifyUntil: ms(record.verifyUntil),
    revokedAt: ms(record.revokedAt),
  };
}

function generateRecord(now: Date): SigningKeyRecord {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' });
  const privateJwk = privateJwkSchema.parse(jwk);
  return { kid: jwkThumbprint(privateJwk), privateJwk, createdAt: now.toISOString() };
}

function stateAt(key: LoadedKey, t: number): SigningKeyState {
  if (key.revokedAt !== undefined && key.revokedAt <= t) return 'retired';
  if (key.activatedAt === undefined || t < key.activatedAt) return 'next';
  if (key.supersededAt === undefined || t < key.supersededAt) return 'active';
  if (key.verifyUntil !== undefined && t < key.verifyUntil) return 'retiring';
  return 'retired';
}

function optionalIso<N extends string>(name: N, t: number | undefined): Partial<Record<N, string>> {
  return t === undefined ? {} : ({ [name]: new Date(t).toISOString() } as Record<N, string>);
}
const date = (t: number | undefined): Date | undefined => (t === undefined ? undefined : new Date(t));

export class SigningKeyRing {
  private readonly keys = new Map<string, LoadedKey>();

  private constructor(readonly overlapSeconds: number) {
    if (!Number.isInteger(overlapSeconds) || overlapSeconds <= 0) {
      throw new SigningKeyRingError('overlap must be a positive whole number of seconds');
    }
  }

  /** A new ring with one active key. */
  static create(now: Date, opts: { readonly overlapSeconds?: number } = {}): SigningKeyRing {
    const ring = new SigningKeyRing(opts.overlapSeconds ?? DEFAULT_KEY_OVERLAP_SECONDS);
    const record = generateRecord(now);
    ring.add({ ...record, activatedAt: now.toISOString() });
    return ring;
  }

  /** Loads a persisted snapshot; throws on anything malformed rather than starting with fewer keys. */
  static fromSnapshot(snapshot: unknown): SigningKeyRing {
    const parsed = snapshotSchema.safeParse(snapshot);
    if (!parsed.success) throw new SigningKeyRingError(`invalid key ring snapshot: ${parsed.error.message}`);
    const ring = new SigningKeyRing(parsed.data.overlapSeconds);
    for (const record of parsed.data.keys) ring.add(record);
    return ring;
  }

  toSnapshot(): SigningKeyRingSnapshot {
    // Absent timestamps are left out rather than written as null, so the snapshot round-trips.
    const keys = [...this.keys.values()].map((k): SigningKeyRecord => ({
      kid: k.kid,
      privateJwk: { ...k.privateJwk },
      createdAt: new Date(k.createdAt).toISOString(),
      ...optionalIso('activatedAt', k.activatedAt),
      ...optionalIso('supersededAt', k.supersededAt),
      ...optionalIso('verifyUntil', k.verifyUntil),
      ...optionalIso('revokedAt', k.revokedAt),
    }));
    return { version: 1, overlapSeconds: this.overlapSeconds, keys };
  }

  private add(record: SigningKeyRecord): LoadedKey {
    if (this.keys.has(record.kid)) throw new SigningKeyRingError(`duplicate kid ${record.kid}`);
    const key = loadKey(record);
    this.keys.set(key.kid, key);
    return key;
  }

  list(now: Date): SigningKeyInfo[] {
    const t = now.getTime();
    return [...this.keys.values()].map((k) => ({
      kid: k.kid,
      state: stateAt(k, t),
      createdAt: new Date(k.createdAt),
      activatedAt: date(k.activatedAt),
      supersededAt: date(k.supersededAt),
      verifyUntil: date(k.verifyUntil),
      revokedAt: date(k.revokedAt),
    }));
  }

  stateOf(kid: string, now: Date): SigningKeyState | undefined {
    const key = this.keys.get(kid);
    return key === undefined ? undefined : stateAt(key, now.getTime());
  }

  private activeAt(t: number): LoadedKey | undefined {
    let found: LoadedKey | undefined;
    for (const k of this.keys.values()) {
      if (
        stateAt(k, t) === 'active' &&
        (found === undefined || (k.activatedAt ?? 0) > (found.activatedAt ?? 0))
      ) {
        found = k;
      }
    }
    return found;
  }

  /** Generates a key that is published in the JWKS now and becomes active at the next rotate. */
  prepareNext(now: Date): string {
    const pending = [...this.keys.values()].find((k) => stateAt(k, now.getTime()) === 'next');
    if (pending !== undefined) return pending.kid;
    return this.add(generateRecord(now)).kid;
  }

  /**
   * Activates a new key (the prepared `next` one if any) and moves the current active key to
   * retiring: it keeps verifying for `overlapSeconds` so tokens it signed live out their TTL.
   */
  rotate(now: Date, opts: { readonly overlapSeconds?: number } = {}): { active: string; retiring?: string } {
    const t = now.getTime();
    const overlap = opts.overlapSeconds ?? this.overlapSeconds;
    if (!Number.isInteger(overlap) || overlap < 0)
      throw new SigningKeyRingError('overlap must be >= 0 seconds');
    const previous = this.activeAt(t);
    const nextKid = this.prepareNext(now);
    const next = this.keys.get(nextKid);
    if (next === undefined) throw new SigningKeyRingError('prepared key vanished');
    next.activatedAt = t;
    if (previous === undefined) return { active: next.kid };
    previous.supersededAt = t;
    previous.verifyUntil = t + overlap * 1000;
    return { active: next.kid, retiring: previous.kid };
  }

  /**
   * Compromise: the key stops verifying at once, with no overlap. If it was the active key a
   * replacement is activated immediately; tokens it signed are refused from now on.
   */
  revoke(kid: string, now: Date): { active: string | undefined } {
    const key = this.keys.get(kid);
    if (key === undefined) throw new SigningKeyRingError(`unknown kid ${kid}`);
    const t = now.getTime();
    const wasActive = stateAt(key, t) === 'active';
    if (key.revokedAt === undefined || key.revokedAt > t) key.revokedAt = t;
    if (wasActive) return { active: this.rotate(now, { overlapSeconds: 0 }).active };
    return { active: this.activeAt(t)?.kid };
  }

  /** Drops retired keys from the ring (and so from the next snapshot). Returns the kids removed. */
  prune(now: Date): string[] {
    const t = now.getTime();
    const removed: string[] = [];
    for (const k of [...this.keys.values()]) {
      if (stateAt(k, t) === 'retired') {
        this.keys.delete(k.kid);
        removed.push(k.kid);
      }
    }
    return removed;
  }

  /** Public keys relying parties should accept: active, retiring (overlap) and pre-published next. */
  jwks(now: Date): JsonWebKeySet {
    const t = now.getTime();
    const rank: Record<SigningKeyState, number> = { active: 0, retiring: 1, next: 2, retired: 3 };
    const published = [...this.keys.values()]
      .map((k) => ({ k, state: stateAt(k, t) }))
      .filter((e) => e.state !== 'retired')
      .sort((a, b) => rank[a.state] - rank[b.state]);
    return { keys: published.map((e) => ({ ...e.k.publicJwk })) };
  }

  /** The key to sign with at `now`; throws if every key has been revoked without a replacement. */
  signingKey(now: Date): { readonly kid: string; readonly key: KeyObject } {
    const active = this.activeAt(now.getTime());
    if (active === undefined) throw new SigningKeyRingError('no active signing key');
    return { kid: active.kid, key: active.privateKey };
  }

  /** The public key for `kid` if it may verify at `now` (active or retiring), else undefined. */
  verificationKey(kid: string, now: Date): KeyObject | undefined {
    const key = this.keys.get(kid);
    if (key === undefined) return undefined;
    const state = stateAt(key, now.getTime());
    return state === 'active' || state === 'retiring' ? key.publicKey : undefined;
  }
}
