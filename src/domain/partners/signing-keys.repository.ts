import type { Db, Executor } from '../db';

/**
 * The token signing key ring, persisted as one opaque snapshot row (the ring's own format) with a
 * version for compare-and-set, so nodes rotating at once cannot overwrite each other's keys.
 */
export class SigningKeysRepository {
  constructor(private readonly db: Db) {}

  async load(db: Executor = this.db): Promise<{ snapshot: unknown; version: number } | undefined> {
    const row = await db
      .selectFrom('token_signing_keys')
      .select(['snapshot', 'version'])
      .where('id', '=', 1)
      .executeTakeFirst();
    return row === undefined ? undefined : { snapshot: row.snapshot, version: row.version };
  }

  /** Stores the first snapshot unless another node got there first; returns what is stored. */
  async initialise(snapshot: unknown, now: Date): Promise<{ snapshot: unknown; version: number }> {
    await this.db
      .insertInto('token_signing_keys')
      .values({ id: 1, snapshot: JSON.stringify(snapshot), version: 1, updated_at: now })
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
        .where('id', '=', 1)
        .forUpdate()
        .executeTakeFirst();
      if (row === undefined) throw new Error('token signing key ring not initialised');
      const { snapshot, result } = change(row.snapshot);
      const version = row.version + 1;
      await tx
        .updateTable('token_signing_keys')
        .set({ snapshot: JSON.stringify(snapshot), version, updated_at: now })
        .where('id', '=', 1)
        .execute();
      return { result, snapshot, version };
    });
  }
}
