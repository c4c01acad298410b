import { CompactSign, type JSONWebKeySet } from 'jose';
import { SigningKeyRing } from '../../lanes/security/tokens/signing-key-ring';
import { signReport, verifyReport } from './report-signature';

const now = new Date('2026-12-02T12:00:00Z');

function setup(): { ring: SigningKeyRing; jwks: JSONWebKeySet } {
  const ring = SigningKeyRing.create(now);
  return { ring, jwks: { keys: ring.jwks(now).keys.map((k) => ({ ...k })) } };
}

describe('report signature (detached JWS)', () => {
  const bytes = Buffer.from('{"schema":"billgate.certification-report/v1","result":"passed"}\n');

  it('verifies the exact bytes it signed, and names the key', async () => {
    const { ring, jwks } = setup();
    const jws = await signReport(bytes, ring.signingKey(now));
    expect(jws).toMatch(/^[A-Za-z0-9_-]+\.\.[A-Za-z0-9_-]+$/);
    expect(await verifyReport(bytes, jws, jwks)).toEqual({ ok: true, kid: ring.signingKey(now).kid });
  });

  it('fails when one byte of the report changed', async () => {
    const { ring, jwks } = setup();
    const jws = await signReport(bytes, ring.signingKey(now));
    const tampered = Buffer.from(bytes.toString().replace('passed', 'failed'));
    expect(await verifyReport(tampered, jws, jwks)).toEqual({
      ok: false,
      reason: 'signature does not match the report bytes',
    });
    const flipped = Buffer.from(bytes);
    flipped[10] = flipped[10]! ^ 1;
    expect((await verifyReport(flipped, jws, jwks)).ok).toBe(false);
  });

  it('fails against another gateway key set', async () => {
    const { ring } = setup();
    const other = setup();
    const jws = await signReport(bytes, ring.signingKey(now));
    const result = await verifyReport(bytes, jws, other.jwks);
    expect(result.ok).toBe(false);
  });

  it('refuses a JWS of another type signed by the same key (an access token cannot pass as a report)', async () => {
    const { ring, jwks } = setup();
    const { kid, key } = ring.signingKey(now);
    const token = await new CompactSign(bytes)
      .setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' })
      .sign(key);
    const [h, , s] = token.split('.');
    expect(await verifyReport(bytes, `${h}..${s}`, jwks)).toEqual({
      ok: false,
      reason: 'typ at+jwt is not a report signature',
    });
    expect((await verifyReport(bytes, token, jwks)).ok).toBe(false);
  });
});
