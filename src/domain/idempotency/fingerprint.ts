import { createHash } from 'node:crypto';

/*
 * The idempotency fingerprint: what "the same request" means under one key, for every protocol. A
 * translator picks the request's content (a REST body, an ISO 8583 message's fields, an ISO 20022
 * transaction) and hashes it here; the same key with another fingerprint is a conflict.
 */

/** JSON with object keys sorted at every level, so two encodings of the same body hash alike. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** SHA-256 of the canonical JSON, base64url (43 characters). */
export function fingerprint(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('base64url');
}
