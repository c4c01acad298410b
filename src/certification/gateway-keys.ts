import type { JSONWebKeySet } from 'jose';
import type { Db } from '../domain/db';
import type { ReportSigningKey } from '../domain/certification/report-signature';
import { SigningKeysRepository } from '../domain/partners/signing-keys.repository';
import type { SecretSealer } from '../infrastructure/secrets/secret-sealer';
import { SigningKeyRing } from '../lanes/security/tokens/signing-key-ring';

/**
 * The gateway's signing key ring (the one whose public keys are at /.well-known/jwks.json), read
 * from the database it shares with every node. Reports are signed with its active key; whoever
 * verifies needs only the JWKS.
 */
async function ring(db: Db, sealer: SecretSealer): Promise<SigningKeyRing> {
  const stored = await new SigningKeysRepository(db, sealer).load();
  if (stored === undefined) {
    throw new Error('the gateway has no signing key ring yet: start it once (or run `billgate migrate`)');
  }
  return SigningKeyRing.fromSnapshot(stored.snapshot);
}

export async function gatewayReportSigner(
  db: Db,
  sealer: SecretSealer,
  now: Date,
): Promise<ReportSigningKey> {
  return (await ring(db, sealer)).signingKey(now);
}

export async function gatewayJwks(db: Db, sealer: SecretSealer, now: Date): Promise<JSONWebKeySet> {
  const jwks = (await ring(db, sealer)).jwks(now);
  return { keys: jwks.keys.map((k) => ({ ...k })) };
}
