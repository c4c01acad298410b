import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../db';
import { asPartnerKind, isPayerType, type Principal } from './partner';

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

interface CachedPrincipal {
  principal: Principal | undefined;
  until: number;
}

/**
 * API keys are stored as SHA-256 hashes (they are long random strings, so a slow hash adds nothing)
 * with a validity window, which is what lets a partner rotate: old and new keys overlap until the
 * old one's valid_until. Lookups are remembered for a few seconds, which bounds how late a
 * revocation takes effect.
 */
export class ApiKeyAuthenticator {
  private readonly cache = new Map<string, CachedPrincipal>();

  constructor(
    private readonly db: Db,
    private readonly cacheMs = 5_000,
    private readonly now: () => number = Date.now,
  ) {}

  async authenticate(presentedKey: string): Promise<Principal | undefined> {
    const hash = hashApiKey(presentedKey);
    const t = this.now();
    const cached = this.cache.get(hash);
    if (cached !== undefined && cached.until > t) return cached.principal;

    const at = new Date(t);
    const row = await this.db
      .selectFrom('api_keys as k')
      .leftJoin('partners as p', (j) =>
        j.onRef('p.id', '=', 'k.principal_id').on('k.principal_type', '=', 'partner'),
      )
      .select([
        'k.id as credential_id',
        'k.principal_type',
        'k.principal_id',
        'p.name',
        'p.kind',
        'p.payer_types',
        'p.status',
      ])
      .where('k.key_hash', '=', hash)
      .where('k.revoked_at', 'is', null)
      .where('k.valid_from', '<=', at)
      .where((eb) => eb.or([eb('k.valid_until', 'is', null), eb('k.valid_until', '>', at)]))
      .executeTakeFirst();

    let principal: Principal | undefined;
    if (row?.principal_type === 'ops') {
      principal = { type: 'ops', user: row.principal_id, credentialId: row.credential_id };
    } else if (row?.principal_type === 'partner' && row.name !== null && row.kind !== null) {
      principal = {
        type: 'partner',
        credentialId: row.credential_id,
        partner: {
          id: row.principal_id,
          name: row.name,
          kind: asPartnerKind(row.kind),
          payerTypes: (row.payer_types ?? []).filter(isPayerType),
          status: row.status ?? 'live',
        },
      };
    }
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(hash, { principal, until: t + this.cacheMs });
    return principal;
  }

  forget(): void {
    this.cache.clear();
  }
}

export interface NewApiKey {
  readonly principalType: 'partner' | 'ops';
  readonly principalId: string;
  readonly key: string;
  readonly validFrom?: Date;
  readonly validUntil?: Date;
}

export async function registerApiKey(db: Db, k: NewApiKey): Promise<void> {
  await db
    .insertInto('api_keys')
    .values({
      principal_type: k.principalType,
      principal_id: k.principalId,
      key_hash: hashApiKey(k.key),
      key_hint: k.key.slice(-4),
      valid_from: k.validFrom ?? sql<Date>`now()`,
      valid_until: k.validUntil ?? null,
      revoked_at: null,
    })
    .onConflict((oc) => oc.column('key_hash').doNothing())
    .execute();
}
