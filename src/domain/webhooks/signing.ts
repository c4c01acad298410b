import { Webhook } from 'standardwebhooks';

/**
 * Standard Webhooks v1 signing, by the `standardwebhooks` library (the reference implementation):
 * `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`. A `whsec_` secret is the base64 of its key
 * bytes, as the specification says; a secret issued before the whsec_ format (`whs_…`) keys the
 * HMAC with its own characters.
 */
export function webhookFor(secret: string): Webhook {
  return secret.startsWith('whsec_') ? new Webhook(secret) : new Webhook(secret, { format: 'raw' });
}

/**
 * The webhook-signature header: one signature per secret that is valid now, space separated, so a
 * receiver in the middle of a secret rotation verifies with either its old or its new secret.
 */
export function signatureHeader(
  secrets: readonly string[],
  id: string,
  timestamp: Date,
  body: string,
): string {
  return secrets.map((s) => webhookFor(s).sign(id, timestamp, body)).join(' ');
}

export type SignedHeaders = Readonly<
  Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string>
>;

export function signedHeaders(
  secrets: readonly string[],
  id: string,
  timestamp: Date,
  body: string,
): SignedHeaders {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
    'webhook-signature': signatureHeader(secrets, id, timestamp, body),
  };
}

/**
 * Verifies a signed request against any of the given secrets (timestamp within 5 minutes of now, the
 * library's tolerance). Answers whether one secret's signature matched; never throws.
 */
export function verifySigned(
  secrets: readonly string[],
  body: string,
  headers: Readonly<Record<string, string | string[] | undefined>>,
): boolean {
  const pick = (name: string): string => {
    const v = headers[name];
    return Array.isArray(v) ? (v[0] ?? '') : (v ?? '');
  };
  const h = {
    'webhook-id': pick('webhook-id'),
    'webhook-timestamp': pick('webhook-timestamp'),
    'webhook-signature': pick('webhook-signature'),
  };
  for (const secret of secrets) {
    try {
      webhookFor(secret).verify(body, h, { jsonParse: false });
      return true;
    } catch {
      // wrong secret, stale timestamp or malformed header: try the next secret
    }
  }
  return false;
}
