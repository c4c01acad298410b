import { randomUUID, timingSafeEqual } from 'node:crypto';
import { CompactSign, compactVerify, decodeProtectedHeader, errors } from 'jose';
import { z } from 'zod';
import type { SigningKeyRing } from './signing-key-ring';

/**
 * Certificate-bound access tokens (RFC 8705) in the RFC 9068 JWT profile: ES256, `kid` in the
 * header, `typ: at+jwt`, `cnf.x5t#S256` = base64url SHA-256 of the client certificate's DER.
 *
 * Verification checks structure, key, signature, then claims, in that order: nothing in an
 * unauthenticated payload is interpreted before its signature is known to be ours. Times come from
 * the caller's clock, never from Date.now(), so tests and audits decide "now".
 */

export type AccessTokenRefusal =
  | 'MISSING'
  | 'MALFORMED'
  | 'UNKNOWN_KEY'
  | 'BAD_SIGNATURE'
  | 'EXPIRED'
  | 'NOT_YET_VALID'
  | 'WRONG_AUDIENCE'
  /** Signed by one of our keys but for another issuer: only possible if a ring is shared by mistake. */
  | 'WRONG_ISSUER'
  | 'CERT_BINDING_MISMATCH';

const X5T_S256 = /^[A-Za-z0-9_-]{43}$/;
const TOKEN_TYPE = 'at+jwt';
const MAX_TOKEN_LENGTH = 8192;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

const claimsSchema = z.object({
  iss: z.string(),
  sub: z.string().min(1),
  aud: z.union([z.string(), z.array(z.string())]),
  iat: z.number().int(),
  nbf: z.number().int().optional(),
  exp: z.number().int(),
  jti: z.string().min(1),
  client_id: z.string().optional(),
  scope: z.string().optional(),
  cnf: z.object({ 'x5t#S256': z.string().regex(X5T_S256) }),
});

export type AccessTokenClaims = z.infer<typeof claimsSchema>;

export type AccessTokenVerification =
  | { readonly ok: true; readonly partnerId: string; readonly claims: AccessTokenClaims }
  | { readonly ok: false; readonly reason: AccessTokenRefusal };

export interface IssueAccessTokenInput {
  readonly partnerId: string;
  /** x5t#S256 of the certificate the client authenticated with at /oauth/token. */
  readonly certificateThumbprint: string;
  readonly scope?: string | readonly string[];
  readonly ttlSeconds?: number;
  readonly now: Date;
}

export interface IssuedAccessToken {
  /** Compact JWS. */
  readonly token: string;
  readonly kid: string;
  readonly jti: string;
  /** For the token response's `expires_in`. */
  readonly expiresIn: number;
  readonly expiresAt: Date;
}

export interface VerifyAccessTokenOptions {
  /** x5t#S256 of the certificate on the current TLS connection; undefined if none was presented. */
  readonly presentedCertThumbprint: string | undefined;
  readonly now: Date;
}

export interface AccessTokenServiceOptions {
  readonly ring: SigningKeyRing;
  readonly issuer: string;
  readonly audience: string;
  readonly defaultTtlSeconds?: number;
  /** Allowance for clock drift between gateway nodes, applied to exp/nbf/iat. */
  readonly clockToleranceSeconds?: number;
}

export class AccessTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AccessTokenError';
  }
}

const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

function scopeString(scope: string | readonly string[] | undefined): string | undefined {
  if (scope === undefined) return undefined;
  const parts = typeof scope === 'string' ? scope.split(' ').filter((s) => s.length > 0) : [...scope];
  for (const p of parts)
    if (!SCOPE_TOKEN.test(p)) throw new AccessTokenError(`invalid scope token ${JSON.stringify(p)}`);
  return parts.length === 0 ? undefined : [...new Set(parts)].join(' ');
}

function sameThumbprint(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class AccessTokenService {
  private readonly ring: SigningKeyRing;
  private readonly issuer: string;
  private readonly audience: string;
  private readonly defaultTtlSeconds: number;
  private readonly toleranceSeconds: number;

  constructor(opts: AccessTokenServiceOptions) {
    this.ring = opts.ring;
    this.issuer = opts.issuer;
    this.audience = opts.audience;
    this.defaultTtlSeconds = opts.defaultTtlSeconds ?? 300;
    this.toleranceSeconds = opts.clockToleranceSeconds ?? 5;
    this.assertTtl(this.defaultTtlSeconds);
    if (
      !Number.isInteger(this.toleranceSeconds) ||
      this.toleranceSeconds < 0 ||
      this.toleranceSeconds > 300
    ) {
      throw new AccessTokenError('clock tolerance must be 0..300 seconds');
    }
  }

  /**
   * A token must never outlive the overlap of the key that signed it, or rotation would cut it
   * short: the TTL is bounded by the ring's overlap.
   */
  private assertTtl(ttl: number): void {
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > this.ring.overlapSeconds) {
      throw new AccessTokenError(`ttl must be 1..${this.ring.overlapSeconds} seconds (the key overlap)`);
    }
  }

  async issueAccessToken(input: IssueAccessTokenInput): Promise<IssuedAccessToken> {
    const ttl = input.ttlSeconds ?? this.defaultTtlSeconds;
    this.assertTtl(ttl);
    if (input.partnerId.length === 0) throw new AccessTokenError('partnerId is required');
    if (!X5T_S256.test(input.certificateThumbprint)) {
      throw new AccessTokenError('certificateThumbprint must be a base64url SHA-256 (43 characters)');
    }
    const scope = scopeString(input.scope);
    const { kid, key } = this.ring.signingKey(input.now);
    const iat = Math.floor(input.now.getTime() / 1000);
    const jti = randomUUID();
    const claims: AccessTokenClaims = {
      iss: this.issuer,
      sub: input.partnerId,
      aud: this.audience,
      iat,
      nbf: iat,
      exp: iat + ttl,
      jti,
      client_id: input.partnerId,
      ...(scope !== undefined ? { scope } : {}),
      cnf: { 'x5t#S256': input.certificateThumbprint },
    };
    const token = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
      .setProtectedHeader({ alg: 'ES256', kid, typ: TOKEN_TYPE })
      .sign(key);
    return { token, kid, jti, expiresIn: ttl, expiresAt: new Date((iat + ttl) * 1000) };
  }

  async verifyAccessToken(
    token: string | undefined | null,
    opts: VerifyAccessTokenOptions,
  ): Promise<AccessTokenVerification> {
    if (token === undefined || token === null || token.length === 0) return { ok: false, reason: 'MISSING' };
    if (token.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(token))
      return { ok: false, reason: 'MALFORMED' };

    let kid: string;
    try {
      const header = decodeProtectedHeader(token);
      // Pinning alg and typ here shuts out alg=none/HS256 confusion and other JWTs signed by our keys.
      if (header.alg !== 'ES256' || header.typ !== TOKEN_TYPE || typeof header.kid !== 'string') {
        return { ok: false, reason: 'MALFORMED' };
      }
      kid = header.kid;
    } catch {
      return { ok: false, reason: 'MALFORMED' };
    }

    const key = this.ring.verificationKey(kid, opts.now);
    if (key === undefined) return { ok: false, reason: 'UNKNOWN_KEY' };

    let payload: Uint8Array;
    try {
      ({ payload } = await compactVerify(token, key, { algorithms: ['ES256'] }));
    } catch (e: unknown) {
      if (e instanceof errors.JWSSignatureVerificationFailed) return { ok: false, reason: 'BAD_SIGNATURE' };
      return { ok: false, reason: 'MALFORMED' };
    }

    let claims: AccessTokenClaims;
    try {
      const parsed = claimsSchema.safeParse(JSON.parse(new TextDecoder().decode(payload)));
      if (!parsed.success) return { ok: false, reason: 'MALFORMED' };
      claims = parsed.data;
    } catch {
      return { ok: false, reason: 'MALFORMED' };
    }

    if (claims.iss !== this.issuer) return { ok: false, reason: 'WRONG_ISSUER' };
    const now = opts.now.getTime() / 1000;
    const tolerance = this.toleranceSeconds;
    if (now >= claims.exp + tolerance) return { ok: false, reason: 'EXPIRED' };
    if (claims.iat > now + tolerance || (claims.nbf !== undefined && claims.nbf > now + tolerance)) {
      return { ok: false, reason: 'NOT_YET_VALID' };
    }
    const audiences = typeof claims.aud === 'string' ? [claims.aud] : claims.aud;
    if (!audiences.includes(this.audience)) return { ok: false, reason: 'WRONG_AUDIENCE' };

    const presented = opts.presentedCertThumbprint;
    if (presented === undefined || !sameThumbprint(presented, claims.cnf['x5t#S256'])) {
      return { ok: false, reason: 'CERT_BINDING_MISMATCH' };
    }
    return { ok: true, partnerId: claims.sub, claims };
  }
}

/** The token from an `Authorization: Bearer <token>` header, or undefined if absent or another scheme. */
export function bearerToken(authorization: string | undefined | null): string | undefined {
  if (authorization === undefined || authorization === null) return undefined;
  const m = /^Bearer[ ]+([A-Za-z0-9._~+/-]+=*)\s*$/i.exec(authorization);
  return m?.[1];
}
