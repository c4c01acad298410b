/**
 * Every column that holds a secret, and the context its sealed values are bound to (the additional
 * authenticated data of SecretSealer: a value moved to another row or column does not open).
 * The repositories of those tables seal and open through these; the start-up check, the plaintext
 * upgrade and `billgate secrets rewrap` walk all of them (sealed-secrets.ts).
 */

export const SEALED_COLUMNS = {
  /** The token signing key ring (private ES256 keys as JWK): one row, jsonb `{"sealed": "…"}`. */
  tokenSigningKeys: {
    table: 'token_signing_keys',
    column: 'snapshot',
    context: (id: string | number): string => `token_signing_keys.snapshot:${id}`,
  },
  /** Partners' webhook secrets (Standard Webhooks whsec_…), used to sign deliveries to them. */
  webhookSecrets: {
    table: 'webhook_secrets',
    column: 'secret',
    context: (id: string): string => `webhook_secrets.secret:${id}`,
  },
  /** Billers' secrets their reversal requests are signed with. */
  billerSecrets: {
    table: 'biller_secrets',
    column: 'secret',
    context: (id: string): string => `biller_secrets.secret:${id}`,
  },
} as const;

export type SealedColumnName = keyof typeof SEALED_COLUMNS;
