import { createHash, createPrivateKey } from 'node:crypto';
import { CompactSign, createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { ManualClock } from '../clock';
import { AccessTokenError, AccessTokenService, bearerToken } from './access-token';
import { SigningKeyRing, SigningKeyRingError } from './signing-key-ring';

const T0 = new Date('2030-01-01T00:00:00Z');
const ISSUER = 'https://billgate.test';
const AUDIENCE = 'billgate-mtls-lane';
const thumb = (seed: string): string => createHash('sha256').update(seed).digest('base64url');
const CERT_A = thumb('certificate A');
const CERT_B = thumb('certificate B');

function setup(clock = new ManualClock(T0), overlapSeconds = 3600) {
  const ring = SigningKeyRing.create(clock.now(), { overlapSeconds });
  const tokens = new AccessTokenService({ ring, issuer: ISSUER, audience: AUDIENCE });
  return { clock, ring, tokens };
}

function b64(json: unknown): string {
  return Buffer.from(JSON.stringify(json)).toString('base64url');
}

describe('AccessTokenService', () => {
  it('issues an ES256 at+jwt that verifies and carries the expected claims', async () => {
    const { clock, ring, tokens } = setup();
    const issued = await tokens.issueAccessToken({
      partnerId: 'acme',
      certificateThumbprint: CERT_A,
      scope: ['bills:pay', 'bills:read'],
      now: clock.now(),
    });
    expect(decodeProtectedHeader(issued.token)).toEqual({ alg: 'ES256', kid: issued.kid, typ: 'at+jwt' });
    expect(issued.kid).toBe(ring.signingKey(clock.now()).kid);
    expect(issued.expiresIn).toBe(300);
    expect(issued.expiresAt).toEqual(new Date(T0.getTime() + 300_000));

    const result = await tokens.verifyAccessToken(issued.token, {
      presentedCertThumbprint: CERT_A,
      now: clock.now(),
    });
    expect(result).toEqual({
      ok: true,
      partnerId: 'acme',
      claims: {
        iss: ISSUER,
        sub: 'acme',
        aud: AUDIENCE,
        iat: T0.getTime() / 1000,
        nbf: T0.getTime() / 1000,
        exp: T0.getTime() / 1000 + 300,
        jti: issued.jti,
        client_id: 'acme',
        scope: 'bills:pay bills:read',
        cnf: { 'x5t#S256': CERT_A },
      },
    });
  });

  it('refuses an expired token by the injected clock', async () => {
    const { clock, tokens } = setup();
    const { token } = await tokens.issueAccessToken({
      partnerId: 'acme',
      certificateThumbprint: CERT_A,
      now: clock.now(),
    });
    clock.advanceSeconds(300 + 4);
    expect(
      (await tokens.verifyAccessToken(token, { presentedCertThumbprint: CERT_A, now: clock.now() })).ok,
    ).toBe(true);
    clock.advanceSeconds(1);
    expect(
      await tokens.verifyAccessToken(token, { presentedCertThumbprint: CERT_A, now: clock.now() }),
    ).toEqual({
      ok: false,
      reason: 'EXPIRED',
    });
  });

  it('refuses a token that is not yet valid', async () => {
    const { clock, tokens } = setup();
    const { token } = await tokens.issueAccessToken({
      partnerId: 'acme',
      certificateThumbprint: CERT_A,
      now: new Date(T0.getTime() + 60_000),
    });
    expect(
      await tokens.verifyAccessToken(token, { presentedCertThumbprint: CERT_A, now: clock.now() }),
    ).toEqual({
      ok: false,
      reason: 'NOT_YET_VALID',
    });
  });

  it('refuses a token bound to another certificate, or presented without one', async () => {
    const { clock, tokens } = setup();
    const { token } = await tokens.issueAccessToken({
      partnerId: 'acme',
      certificateThumbprint: CERT_A,
      now: clock.now(),
    });
    for (const presented of [CERT_B, undefined, '', CERT_A.slice(1)]) {
      expect(
        await tokens.verifyAccessToken(token, { presentedCertThumbprint: presented, now: clock.now() }),
      ).toEqual({
        ok: false,
        reason: 'CERT_BINDING_MISMATCH',
      });
    }
  });

  it('refuses a token signed by a key it does not know', async () => {
    const { clock, tokens } = setup();
    const stranger = setup(clock).tokens;
    const { token } = await stranger.issueAccessToken({
      partnerId: 'acme',
      certificateThumbprint: CERT_A,
      now: clock.now(),
    });
    expect(
      await tokens.verifyAccessToken(token, { presentedCertThumbprint: CERT_A, now: clock.now() }),
    ).toEqual({
      ok: false,
      reason: 'UNKNOWN_KEY',
    });
  });

  it('refuses a tampered signature, a tampered payload, and a forgery that reuses our kid', async () => {
    const { clock, ring, tokens } = setup();
    const { token, kid } = await tokens.issueAccessToken({
      partnerId: 'acme',
      certificateThumbprint: CERT_A,
      now: clock.now(),
    });
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const flipped = `${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    const verify = (t: string) =>
      tokens.verifyAccessToken(t, { presentedCertThumbprint: CERT_A, now: clock.now() });
    expect(await verify(`${header}.${payload}.${flipped}`)).toEqual({ ok: false, reason: 'BAD_SIGNATURE' });

    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    expect(await verify(`${header}.${b64({ ...claims, sub: 'globex' })}.${signature}`)).toEqual({
      ok: false,
      reason: 'BAD_SIGNATURE',
    });

    const otherKey = SigningKeyRing.create(clock.now()).signingKey(clock.now()).key;
    const forged = await new CompactSign(Buffer.from(JSON.stringify(claims)))
      .setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' })
      .sign(otherKey);
    expect(await verify(forged)).toEqual({ ok: false, reason: 'BAD_SIGNATURE' });
    expect(ring.verificationKey(kid, clock.now())).toBeDefined();
  });

  it('refuses missing and malformed tokens, including alg confusion and foreign token types', async () => {
    const { clock, ring, tokens } = setup();
    const now = clock.now();
    const verify = (t: string | undefined) =>
      tokens.verifyAccessToken(t, { presentedCertThumbprint: CERT_A, now });
    expect(await verify(undefined)).toEqual({ ok: false, reason: 'MISSING' });
    expect(await verify('')).toEqual({ ok: false, reason: 'MISSING' });
    const { kid } = ring.signingKey(now);
    const body = b64({ sub: 'acme' });
    for (const bad of [
      'garbage',
      'a.b',
      'a.b.c.d',
      `${b64({ alg: 'none', kid, typ: 'at+jwt' })}.${body}.`,
      `${b64({ alg: 'HS256', kid, typ: 'at+jwt' })}.${body}.c2ln`,
      `${b64({ alg: 'ES256', kid, typ: 'JWT' })}.${body}.c2ln`,
      `${b64({ alg: 'ES256', typ: 'at+jwt' })}.${body}.c2ln`,
      `!!!.${body}.c2ln`,
      'x'.repeat(10_000),
    ]) {
      expect([bad.slice(0, 40), await verify(bad)]).toEqual([
        bad.slice(0, 40),
        { ok: false, reason: 'MALFORMED' },
      ]);
    }
    // Correctly signed by our key, but missing the claims we always issue.
    const unbound = await new CompactSign(Buffer.from(JSON.stringify({ sub: 'acme', exp: 2e9, iat: 1 })))
      .setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' })
      .sign(ring.signingKey(now).key);
    expect(await verify(unbound)).toEqual({ ok: false, reason: 'MALFORMED' });
  });

  it('refuses a token minted for another audience or issuer', async () => {
    const { clock, ring, tokens } = setup();
    const other = new AccessTokenService({ ring, issuer: ISSUER, audience: 'another-api' });
    const foreignIssuer = new AccessTokenService({ ring, issuer: 'https://elsewhere', audience: AUDIENCE });
    const opts = { presentedCertThumbprint: CERT_A, now: clock.now() };
    const input = { partnerId: 'acme', certificateThumbprint: CERT_A, now: clock.now() };
    expect(await tokens.verifyAccessToken((await other.issueAccessToken(input)).token, opts)).toEqual({
      ok: false,
      reason: 'WRONG_AUDIENCE',
    });
    expect(await tokens.verifyAccessToken((await foreignIssuer.issueAccessToken(input)).token, opts)).toEqual(
      {
        ok: false,
        reason: 'WRONG_ISSUER',
      },
    );
  });

  it('refuses bad issue input', async () => {
    const { clock, tokens } = setup();
    const now = clock.now();
    await expect(
      tokens.issueAccessToken({ partnerId: 'acme', certificateThumbprint: 'nope', now }),
    ).rejects.toThrow(AccessTokenError);
    await expect(
      tokens.issueAccessToken({ partnerId: 'acme', certificateThumbprint: CERT_A, ttlSeconds: 7200, now }),
    ).rejects.toThrow('overlap');
    await expect(
      tokens.issueAccessToken({ partnerId: 'acme', certificateThumbprint: CERT_A, scope: 'a "b"', now }),
    ).rejects.toThrow('scope');
  });

  it('tokens verify with a plain jose JWKS consumer (what a relying party would do)', async () => {
    const { clock, ring, tokens } = setup();
    const { token } = await tokens.issueAccessToken({
      partnerId: 'acme',
      certificateThumbprint: CERT_A,
      now: clock.now(),
    });
    const jwks = createLocalJWKSet(
      JSON.parse(JSON.stringify(ring.jwks(clock.now()))) as Parameters<typeof createLocalJWKSet>[0],
    );
    const { payload } = await jwtVerify(token, jwks, {
      issuer: ISSUER,
      audience: AUDIENCE,
      typ: 'at+jwt',
      currentDate: clock.now(),
    });
    expect(payload.sub).toBe('acme');
  });
});

describe('SigningKeyRing rotation', () => {
  it('keeps old tokens verifying during the overlap, refuses them after, and publishes both keys meanwhile', async () => {
    const { clock, ring, tokens } = setup(new ManualClock(T0), 3600);
    const old = await tokens.issueAccessToken({
      partnerId: 'acme',
      certificateThumbprint: CERT_A,
      now: clock.now(),
    });

    clock.advanceSeconds(60);
    const { active, retiring } = ring.rotate(clock.now());
    expect(retiring).toBe(old.kid);
    expect(active).not.toBe(old.kid);
    expect(ring.jwks(clock.now()).keys.map((k) => k.kid)).toEqual([active, old.kid]);
    expect(ring.stateOf(old.kid, clock.now())).toBe('retiring');

    const fresh = await tokens.issueAccessToken({
      partnerId: 'acme',
      certificateThumbprint: CERT_A,
      now: clock.now(),
    });
    expect(fresh.kid).toBe(active);
    const verify = (t: string) =>
      tokens.verifyAccessToken(t, { presentedCertThumbprint: CERT_A, now: clock.now() });
    expect((await verify(old.token)).ok).toBe(true);
    expect((await verify(fresh.token)).ok).toBe(true);

    // Overlap ends one hour after the rotation; the old key stops by itself.
    clock.set(new Date(T0.getTime() + 60_000 + 3600_000));
    expect(ring.stateOf(old.kid, clock.now())).toBe('retired');
    expect(ring.jwks(clock.now()).keys.map((k) => k.kid)).toEqual([active]);
    const longLived = new AccessTokenService({
      ring,
      issuer: ISSUER,
      audience: AUDIENCE,
      clockToleranceSeconds: 0,
    });
    expect(
      await longLived.verifyAccessToken(old.token, { presentedCertThumbprint: CERT_A, now: clock.now() }),
    ).toEqual({
      ok: false,
      reason: 'UNKNOWN_KEY',
    });
    expect(ring.prune(clock.now())).toEqual([old.kid]);
  });

  it('pre-publishes a next key that does not sign or verify until rotation', () => {
    const { clock, ring } = setup();
    const current = ring.signingKey(clock.now()).kid;
    const next = ring.prepareNext(clock.now());
    expect(ring.prepareNext(clock.now())).toBe(next);
    expect(ring.stateOf(next, clock.now())).toBe('next');
    expect(ring.jwks(clock.now()).keys.map((k) => k.kid)).toEqual([current, next]);
    expect(ring.signingKey(clock.now()).kid).toBe(current);
    expect(ring.verificationKey(next, clock.now())).toBeUndefined();
    expect(ring.rotate(clock.now()).active).toBe(next);
  });

  it('revoking the active key refuses its tokens at once and activates a replacement', async () => {
    const { clock, ring, tokens } = setup();
    const issued = await tokens.issueAccessToken({
      partnerId: 'acme',
      certificateThumbprint: CERT_A,
      now: clock.now(),
    });
    clock.advanceSeconds(10);
    const { active } = ring.revoke(issued.kid, clock.now());
    expect(active).toBeDefined();
    expect(active).not.toBe(issued.kid);
    expect(
      await tokens.verifyAccessToken(issued.token, { presentedCertThumbprint: CERT_A, now: clock.now() }),
    ).toEqual({
      ok: false,
      reason: 'UNKNOWN_KEY',
    });
    expect(ring.jwks(clock.now()).keys.map((k) => k.kid)).toEqual([active]);
  });

  it('publishes public keys only', () => {
    const { clock, ring } = setup();
    ring.rotate(clock.now());
    for (const jwk of ring.jwks(clock.now()).keys) {
      expect(Object.keys(jwk).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
    }
  });

  it('round-trips through a JSON snapshot and rejects a tampered one', async () => {
    const { clock, ring, tokens } = setup();
    ring.rotate(clock.now());
    const issued = await tokens.issueAccessToken({
      partnerId: 'acme',
      certificateThumbprint: CERT_A,
      now: clock.now(),
    });
    const snapshot = JSON.parse(JSON.stringify(ring.toSnapshot())) as unknown;
    const restored = SigningKeyRing.fromSnapshot(snapshot);
    expect(restored.toSnapshot()).toEqual(ring.toSnapshot());
    expect(
      restored
        .list(clock.now())
        .map((k) => k.state)
        .sort(),
    ).toEqual(['active', 'retiring']);
    const again = new AccessTokenService({ ring: restored, issuer: ISSUER, audience: AUDIENCE });
    expect(
      (await again.verifyAccessToken(issued.token, { presentedCertThumbprint: CERT_A, now: clock.now() })).ok,
    ).toBe(true);
    const privateJwk = ring.toSnapshot().keys[0]?.privateJwk;
    expect(createPrivateKey({ key: { ...privateJwk }, format: 'jwk' }).asymmetricKeyType).toBe('ec');

    const tampered = ring.toSnapshot();
    const second = tampered.keys[1];
    const first = tampered.keys[0];
    if (first === undefined || second === undefined) throw new Error('expected two keys');
    expect(() => SigningKeyRing.fromSnapshot({ ...tampered, keys: [{ ...first, kid: second.kid }] })).toThrow(
      SigningKeyRingError,
    );
    expect(() => SigningKeyRing.fromSnapshot({ version: 2, keys: [] })).toThrow(SigningKeyRingError);
  });
});

describe('bearerToken', () => {
  it.each([
    ['Bearer abc.def.ghi', 'abc.def.ghi'],
    ['bearer   abc.def.ghi', 'abc.def.ghi'],
    ['Basic dXNlcg==', undefined],
    ['Bearer', undefined],
    ['Bearer a b', undefined],
    [undefined, undefined],
  ])('%j -> %j', (header, token) => {
    expect(bearerToken(header)).toBe(token);
  });
});
