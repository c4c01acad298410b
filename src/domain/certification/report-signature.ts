import type { KeyObject } from 'node:crypto';
import {
  CompactSign,
  compactVerify,
  createLocalJWKSet,
  decodeProtectedHeader,
  type JSONWebKeySet,
} from 'jose';

/**
 * A report's signature: a compact JWS with a detached payload (RFC 7515 appendix F), ES256 with the
 * gateway's signing key, so anyone holding the JWKS can check a report.json without trusting whoever
 * hands it over. The `typ` keeps the two uses of that key apart: an access token cannot pass as a
 * report signature, and this JWS carries no claims a token verifier would accept.
 */
export const REPORT_JWS_TYPE = 'billgate-certification-report+jws';

export interface ReportSigningKey {
  readonly kid: string;
  readonly key: KeyObject;
}

export async function signReport(bytes: Uint8Array, signer: ReportSigningKey): Promise<string> {
  const jws = await new CompactSign(bytes)
    .setProtectedHeader({ alg: 'ES256', kid: signer.kid, typ: REPORT_JWS_TYPE })
    .sign(signer.key);
  const [header, , signature] = jws.split('.');
  return `${header}..${signature}`;
}

export type ReportVerification =
  { readonly ok: true; readonly kid: string } | { readonly ok: false; readonly reason: string };

/** Checks the detached JWS over exactly these bytes; one changed byte fails. */
export async function verifyReport(
  bytes: Uint8Array,
  detachedJws: string,
  jwks: JSONWebKeySet,
): Promise<ReportVerification> {
  const parts = detachedJws.trim().split('.');
  if (parts.length !== 3 || parts[1] !== '') {
    return { ok: false, reason: 'not a detached compact JWS (header..signature)' };
  }
  let kid: string | undefined;
  try {
    const header = decodeProtectedHeader(detachedJws.trim());
    if (header.typ !== REPORT_JWS_TYPE)
      return { ok: false, reason: `typ ${String(header.typ)} is not a report signature` };
    if (header.alg !== 'ES256') return { ok: false, reason: `alg ${String(header.alg)} refused` };
    kid = header.kid;
  } catch {
    return { ok: false, reason: 'unreadable JWS header' };
  }
  const attached = `${parts[0]}.${Buffer.from(bytes).toString('base64url')}.${parts[2]}`;
  try {
    await compactVerify(attached, createLocalJWKSet(jwks), { algorithms: ['ES256'] });
    return { ok: true, kid: kid ?? '' };
  } catch (error) {
    const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
    if (code === 'ERR_JWKS_NO_MATCHING_KEY')
      return { ok: false, reason: `key ${kid ?? '?'} is not in the JWKS` };
    return { ok: false, reason: 'signature does not match the report bytes' };
  }
}
