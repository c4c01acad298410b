import { type z } from 'zod';
import { OnboardingError } from '../../domain/partners/onboarding.repository';
import { problem, ProblemError } from '../../protocols/rest/problem';
import { problemFields } from '../../protocols/rest/zod-problems';
import { CredentialRotationError } from '../security/credentials/credential';
import { LastCredentialError } from '../security/credentials/credential-service';
import { LaneRegistryError } from '../security/edge/lane-registry';
import { PkiError } from '../security/pki/issue';
import { SigningKeyRingError } from '../security/tokens/signing-key-ring';

/** Maps the edge modules' errors to problem+json; anything else is rethrown (500). */
export async function edgeMapped<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e: unknown) {
    if (e instanceof ProblemError) throw e;
    if (e instanceof OnboardingError) {
      if (e.code === 'NOT_FOUND') throw problem(404, 'not-found', e.message);
      if (e.code === 'EXISTS') throw problem(409, 'partner-exists', e.message);
      if (e.code === 'GATE') throw problem(409, 'onboarding-gate', e.message, { reasons: e.reasons });
      const errors =
        e.invalid !== undefined
          ? problemFields(e.invalid.issues, e.invalid.input)
          : e.reasons.map((r) => {
              const field = r.includes(':') ? (r.split(':')[0] ?? '(body)') : '(body)';
              return { field, message: r.includes(':') ? r.slice(field.length + 1).trim() : r };
            });
      throw problem(e.code === 'UNPROCESSABLE' ? 422 : 400, 'invalid-request', e.message, { errors });
    }
    if (e instanceof LastCredentialError) {
      throw problem(409, 'last-valid-credential', 'The last valid credential of its kind cannot be revoked', {
        detail: e.message,
        partnerId: e.partnerId,
        credentialKind: e.credentialKind,
      });
    }
    if (e instanceof CredentialRotationError) throw problem(409, 'credential-rotation', e.message);
    if (e instanceof PkiError) throw problem(400, 'invalid-certificate-request', e.message, { code: e.code });
    if (e instanceof LaneRegistryError) throw problem(400, 'invalid-request', e.message);
    if (e instanceof SigningKeyRingError) throw problem(409, 'signing-key', e.message);
    throw e;
  }
}

export function parseEdgeBody<S extends z.ZodType>(schema: S, body: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(body ?? {});
  if (!r.success) {
    throw problem(400, 'invalid-request', `Invalid ${what}`, {
      errors: problemFields(r.error.issues, body),
    });
  }
  return r.data;
}

/** The rotation options of a credential request body, without the fields left out. */
export function rotationRequest(b: {
  noticeHours?: number | undefined;
  replaces?: string | undefined;
  rotate?: boolean | undefined;
}): { noticeHours?: number; replaces?: string; rotate?: boolean } {
  return {
    ...(b.noticeHours !== undefined ? { noticeHours: b.noticeHours } : {}),
    ...(b.replaces !== undefined ? { replaces: b.replaces } : {}),
    ...(b.rotate !== undefined ? { rotate: b.rotate } : {}),
  };
}

/** The certificate (or CSR) of a certificate registration body. */
export function certificateMaterial(b: { certPem?: string | undefined; csrPem?: string | undefined }): {
  certPem?: string;
  csrPem?: string;
} {
  return {
    ...(b.certPem !== undefined ? { certPem: b.certPem } : {}),
    ...(b.csrPem !== undefined ? { csrPem: b.csrPem } : {}),
  };
}
