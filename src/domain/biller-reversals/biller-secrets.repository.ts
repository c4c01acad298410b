import type { SecretSealer } from '../../infrastructure/secrets/secret-sealer';
import type { Executor } from '../db';
import { uuidv7 } from '../ids';
import { SEALED_COLUMNS } from '../secrets/sealed-columns';

const { context } = SEALED_COLUMNS.billerSecrets;

/**
 * The secrets billers sign their reversal requests with (Standard Webhooks format, whsec_…). More
 * than one may be valid while a biller rotates. The secret itself never leaves this module but to
 * verify a signature: no API returns it and no log line carries it. It is stored sealed (`sealer`).
 */
export class BillerSecretsRepository {
  constructor(private readonly sealer: SecretSealer) {}

  /** The biller's secrets valid at `now`. */
  async validAt(db: Executor, billerId: string, now: Date): Promise<string[]> {
    const rows = await db
      .selectFrom('biller_secrets')
      .select(['id', 'secret'])
      .where('biller_id', '=', billerId)
      .where('valid_from', '<=', now)
      .where((eb) => eb.or([eb('valid_until', 'is', null), eb('valid_until', '>', now)]))
      .execute();
    return rows.map((r) => this.sealer.open(r.secret, context(r.id)));
  }

  /** Registers a secret unless the biller already has this one (seeding is repeatable). */
  async add(db: Executor, billerId: string, secret: string, validFrom: Date): Promise<void> {
    // Sealed values differ on every write (random nonce): compare what they open to.
    const existing = await db
      .selectFrom('biller_secrets')
      .select(['id', 'secret'])
      .where('biller_id', '=', billerId)
      .execute();
    if (existing.some((r) => this.sealer.open(r.secret, context(r.id)) === secret)) return;
    const id = uuidv7(validFrom.getTime());
    await db
      .insertInto('biller_secrets')
      .values({
        id,
        biller_id: billerId,
        secret: this.sealer.seal(secret, context(id)),
        hint: secret.slice(-4),
        valid_from: validFrom,
      })
      .execute();
  }

  /** Whether the biller's terms allow reversing less than the whole payment. */
  async partialReversalsAllowed(db: Executor, billerId: string): Promise<boolean> {
    const row = await db
      .selectFrom('biller_reversal_terms')
      .select('partial_reversals')
      .where('biller_id', '=', billerId)
      .executeTakeFirst();
    return row?.partial_reversals ?? false;
  }
}
