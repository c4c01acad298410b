import type { SecretSealer } from '../../infrastructure/secrets/secret-sealer';
import type { Db, Executor } from '../db';
import { SEALED_COLUMNS } from '../secrets/sealed-columns';

const ROW_ID = 1;
const context = SEALED_COLUMNS.tokenSigningKeys.context(ROW_ID);

/**
 * The token signing key ring, persisted as one snapshot row (the ring's own format, private keys
 * included) with a version for compare-and-set, so nodes rotating at once cannot overwrite each
 * other's keys. The snapshot is stored sealed (`{"sealed": "sealed:v1:…"}`); what callers get and
 * give is the opened snapshot.
 */
export class SigningKeysRepository {
  constructor(
    private readonly db: Db,
    private readonly sealer: SecretSealer,
  ) {}

  async load(db: Executor = this.db): Promise<{ snapshot: unknown; version: number } | undefined> {
    const row = await db
      .selectFrom('token_signing_keys')
      .select(['snapshot', 'version'])
      .where('id', '=', ROW_ID)
      .executeTakeFirst();
    return row === undefined ? undefined : { snapshot: this.open(row.snapshot), version: row.version };
  }

  /** Stores the first snapshot unless another node got there first; returns what is stored. */
  async initialise(snapshot: unknown, now: Date): Promise<{ snapshot: unknown; version: number }> {
    await this.db
      .insertInto('token_signing_keys')
      .values({ id: ROW_ID, snapshot: this.seal(snapshot), version: 1, updated_at: now })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    const stored = await this.load();
    if (stored === undefined) throw new Error('token signing key ring vanished');
    return stored;
  }

  /** Read-modify-write under a row lock: `change` gets the stored snapshot and returns the new one. */
  async update<T>(
    now: Date,
    change: (snapshot: unknown) => { snapshot: unknown; result: T },
  ): Promise<{ result: T; snapshot: unknown; version: number }> {
    return this.db.transaction().execute(async (tx) => {
      const row = await tx
        .selectFrom('token_signing_keys')
        .select(['snapshot', 'version'])
        .where('id', '=', ROW_ID)
        .forUpdate()
        .executeTakeFirst();
      if (row === undefined) throw new Error('token signing key ring not initialised');
      const { snapshot, result } = change(this.open(row.snapshot));
      const version = row.version + 1;
      await tx
        .updateTable('token_signing_keys')
        .set({ snapshot: this.seal(snapshot), version, updated_at: now })
        .where('id', '=', ROW_ID)
        .execute();
      return { result, snapshot, version };
    });
  }

  private seal(snapshot: unknown): string {
    return JSON.stringify({ sealed: this.sealer.seal(JSON.stringify(snapshot), context) });
  }

  private open(stored: unknown): unknown {
    const sealed = (stored as { sealed?: unknown } | null)?.sealed;
    // A plaintext ring (written before sealing) is refused rather than used: the gateway seals it
    // at start-up, before anything reads it.
    return JSON.parse(this.sealer.open(typeof sealed === 'string' ? sealed : '', context)) as unknown;
  }
}
