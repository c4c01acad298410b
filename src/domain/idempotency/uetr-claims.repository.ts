import { sql } from 'kysely';
import type { Executor } from '../db';

/** Who a UETR belongs to, as the partner presenting it learns. */
export type UetrClaim =
  /** This partner: claimed now, or presented by it before (its own repeat, for the idempotency record). */
  { readonly kind: 'ours' } | { readonly kind: 'taken'; readonly owner: string };

export interface UetrClaimRequest {
  readonly uetr: string;
  readonly partnerId: string;
  readonly at: Date;
}

/**
 * uetr_claims: UETRs are unique worldwide, idempotency keys only per partner, so the first partner
 * to present a UETR for payment owns it. The table's primary key decides a race between nodes; a
 * claim is never released.
 */
export class UetrClaimsRepository {
  /** Claims each UETR for its partner in one statement; the answers in the requests' order. */
  async claimMany(db: Executor, requests: readonly UetrClaimRequest[]): Promise<UetrClaim[]> {
    const input = JSON.stringify(
      requests.map((r, ord) => ({
        ord,
        uetr: r.uetr,
        partner_id: r.partnerId,
        claimed_at: r.at.toISOString(),
      })),
    );
    const { rows } = await sql<{ ord: number; owner: string | null }>`
      with input as (
        select * from jsonb_to_recordset(${input}::jsonb) as t (
          ord int, uetr text, partner_id text, claimed_at timestamptz
        )
      ),
      claim as (
        insert into uetr_claims (uetr, partner_id, claimed_at)
        select uetr, partner_id, claimed_at from input
        -- one order on every node (no deadlock between batches); the earliest of a repeat wins
        order by uetr, ord
        on conflict (uetr) do nothing
        returning uetr, partner_id
      )
      select i.ord, coalesce(c.partner_id, u.partner_id) as owner
      from input i
      left join claim c on c.uetr = i.uetr
      left join uetr_claims u on u.uetr = i.uetr
      order by i.ord`.execute(db);
    const owners = new Map(rows.map((r) => [r.ord, r.owner]));
    // A claim committed by another node after this statement's snapshot: the insert waited for it and
    // did nothing, but the statement cannot read it. A second statement can.
    const unseen = requests.filter((_, ord) => (owners.get(ord) ?? null) === null).map((r) => r.uetr);
    const late =
      unseen.length === 0
        ? new Map<string, string>()
        : new Map(
            (
              await db
                .selectFrom('uetr_claims')
                .select(['uetr', 'partner_id'])
                .where('uetr', 'in', unseen)
                .execute()
            ).map((r) => [r.uetr, r.partner_id]),
          );
    return requests.map((r, ord): UetrClaim => {
      const owner = owners.get(ord) ?? late.get(r.uetr);
      if (owner === undefined || owner === null) throw new Error(`UETR ${r.uetr} neither claimed nor found`);
      return owner === r.partnerId ? { kind: 'ours' } : { kind: 'taken', owner };
    });
  }
}
