import type { Kysely } from 'kysely';
import type { Database } from '../../infrastructure/database/schema';
import {
  isSealed,
  sealedKid,
  SealedSecretError,
  type SecretSealer,
} from '../../infrastructure/secrets/secret-sealer';
import { OpsAuditLog } from '../audit/ops-audit-log';
import type { Db, Executor, Tx } from '../db';
import { SEALED_COLUMNS, type SealedColumnName } from './sealed-columns';

/**
 * The stored secrets as a whole, for what concerns all of them at once rather than one repository:
 * the start-up check that this node's key-encryption keys open every one (a node with the wrong KEK
 * refuses to start instead of failing on the first webhook), sealing rows written in plaintext before
 * sealing existed, and re-sealing under the active KEK after a rotation (`billgate secrets rewrap`).
 * None of it ever returns, logs or audits a secret: counts and kids only.
 */

interface StoredValue {
  readonly column: SealedColumnName;
  readonly id: string;
  /** The sealed value, or the plaintext of a row written before sealing. */
  readonly value: string;
}

/** Stored values of one column, read and written the same way whatever the column's type. */
interface ColumnAccess {
  read(db: Executor, forUpdate: boolean): Promise<StoredValue[]>;
  write(tx: Tx, id: string, sealed: string): Promise<void>;
}

const COLUMNS: Record<SealedColumnName, ColumnAccess> = {
  tokenSigningKeys: {
    read: async (db, forUpdate) => {
      let q = db.selectFrom('token_signing_keys').select(['id', 'snapshot']);
      if (forUpdate) q = q.forUpdate();
      return (await q.execute()).map((r) => {
        const sealed = (r.snapshot as { sealed?: unknown } | null)?.sealed;
        return {
          column: 'tokenSigningKeys' as const,
          id: String(r.id),
          value: typeof sealed === 'string' ? sealed : JSON.stringify(r.snapshot),
        };
      });
    },
    write: async (tx, id, sealed) => {
      // The snapshot's content is unchanged, so its version is too: nodes need not reload it.
      await tx
        .updateTable('token_signing_keys')
        .set({ snapshot: JSON.stringify({ sealed }) })
        .where('id', '=', Number(id))
        .execute();
    },
  },
  webhookSecrets: {
    read: async (db, forUpdate) => {
      let q = db.selectFrom('webhook_secrets').select(['id', 'secret']).orderBy('id');
      if (forUpdate) q = q.forUpdate();
      return (await q.execute()).map((r) => ({
        column: 'webhookSecrets' as const,
        id: r.id,
        value: r.secret,
      }));
    },
    write: async (tx, id, sealed) => {
      await tx.updateTable('webhook_secrets').set({ secret: sealed }).where('id', '=', id).execute();
    },
  },
  billerSecrets: {
    read: async (db, forUpdate) => {
      let q = (db as Kysely<Database>).selectFrom('biller_secrets').select(['id', 'secret']).orderBy('id');
      if (forUpdate) q = q.forUpdate();
      return (await q.execute()).map((r) => ({
        column: 'billerSecrets' as const,
        id: r.id,
        value: r.secret,
      }));
    },
    write: async (tx, id, sealed) => {
      await tx.updateTable('biller_secrets').set({ secret: sealed }).where('id', '=', id).execute();
    },
  },
};

const NAMES = Object.keys(COLUMNS) as SealedColumnName[];

function contextOf(v: StoredValue): string {
  const c = SEALED_COLUMNS[v.column];
  return c.context(v.id);
}

/** How many values of each column are sealed under each kid, and how many are still plaintext. */
export type SealedSecretsStatus = Record<
  SealedColumnName,
  { readonly table: string; readonly byKid: Record<string, number>; readonly plaintext: number }
>;

function statusOf(values: readonly StoredValue[]): SealedSecretsStatus {
  const status = Object.fromEntries(
    NAMES.map((n) => [n, { table: SEALED_COLUMNS[n].table, byKid: {}, plaintext: 0 }]),
  ) as Record<SealedColumnName, { table: string; byKid: Record<string, number>; plaintext: number }>;
  for (const v of values) {
    const kid = sealedKid(v.value);
    const s = status[v.column];
    if (kid === undefined) s.plaintext += 1;
    else s.byKid[kid] = (s.byKid[kid] ?? 0) + 1;
  }
  return status;
}

async function readAll(db: Executor, forUpdate = false): Promise<StoredValue[]> {
  const all: StoredValue[] = [];
  for (const name of NAMES) all.push(...(await COLUMNS[name].read(db, forUpdate)));
  return all;
}

export interface ResealResult {
  readonly resealed: number;
  readonly before: SealedSecretsStatus;
  readonly after: SealedSecretsStatus;
}

export class SealedSecrets {
  private readonly audit = new OpsAuditLog();

  constructor(
    private readonly db: Db,
    private readonly sealer: SecretSealer,
  ) {}

  async status(): Promise<SealedSecretsStatus> {
    return statusOf(await readAll(this.db));
  }

  /**
   * Opens every sealed value with this node's keys. Throws the first SealedSecretError (prefixed with
   * how many fail) when any does not open: started anyway, the node would fail later on a webhook or
   * a token, far from the cause.
   */
  async verify(): Promise<{ sealed: number; plaintext: number }> {
    const values = await readAll(this.db);
    const failures: SealedSecretError[] = [];
    let plaintext = 0;
    for (const v of values) {
      if (!isSealed(v.value)) {
        plaintext += 1;
        continue;
      }
      try {
        this.sealer.open(v.value, contextOf(v));
      } catch (error) {
        if (!(error instanceof SealedSecretError)) throw error;
        failures.push(error);
      }
    }
    const first = failures[0];
    if (first !== undefined) {
      const of = `${failures.length} of ${values.length - plaintext} stored secrets do not open`;
      throw new SealedSecretError(`${of} with this node's key-encryption keys: ${first.message}`, first.kid);
    }
    return { sealed: values.length - plaintext, plaintext };
  }

  /** Seals the rows written in plaintext before sealing existed (done by the gateway at start-up). */
  async sealPlaintext(actor: string): Promise<ResealResult> {
    return this.reseal(actor, 'secrets.seal-plaintext', 'stored secrets sealed at rest', (v) => !isSealed(v));
  }

  /**
   * Re-seals under the active KEK every value sealed under another one (and any plaintext), in one
   * transaction with its audit entry. Afterwards the other KEKs open nothing and can be removed.
   */
  async rewrap(actor: string, reason: string): Promise<ResealResult> {
    return this.reseal(actor, 'secrets.rewrap', reason, (v) => this.sealer.needsRewrap(v));
  }

  private async reseal(
    actor: string,
    action: string,
    reason: string,
    needs: (value: string) => boolean,
  ): Promise<ResealResult> {
    // Cheap read first: nothing to do (every start-up after the first) takes no lock and writes nothing.
    if (!(await readAll(this.db)).some((v) => needs(v.value))) {
      const status = statusOf(await readAll(this.db));
      return { resealed: 0, before: status, after: status };
    }
    return this.db.transaction().execute(async (tx) => {
      const values = await readAll(tx, true);
      const before = statusOf(values);
      const after: StoredValue[] = [];
      let resealed = 0;
      for (const v of values) {
        if (!needs(v.value)) {
          after.push(v);
          continue;
        }
        const context = contextOf(v);
        const plaintext = isSealed(v.value) ? this.sealer.open(v.value, context) : v.value;
        const sealed = this.sealer.seal(plaintext, context);
        await COLUMNS[v.column].write(tx, v.id, sealed);
        after.push({ ...v, value: sealed });
        resealed += 1;
      }
      const result = { resealed, before, after: statusOf(after) };
      if (resealed > 0) {
        await this.audit.append(tx, {
          actor,
          action,
          subjectType: 'key-encryption-key',
          subjectId: this.sealer.activeKid,
          reason,
          before: result.before,
          after: { ...result.after, resealed },
        });
      }
      return result;
    });
  }
}
