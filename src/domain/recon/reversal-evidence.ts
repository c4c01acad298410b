import { sql } from 'kysely';
import type { Executor } from '../db';

export interface ReversalEvidence {
  readonly paymentId: string;
  readonly notes: string[];
  readonly reversal: Record<string, unknown>;
}

/**
 * Why a payment shows reversed on our side and OK in the partner's file: when the biller reversed
 * it, and whether the partner was told (the `payment.reversed` webhook and its delivery). Read-only
 * over the biller-reversal and webhook tables.
 */
export async function reversalEvidence(
  db: Executor,
  paymentIds: readonly string[],
  partnerCutoff: (partnerId: string, paymentReceivedAt: Date) => Date | undefined,
): Promise<Map<string, ReversalEvidence>> {
  const out = new Map<string, ReversalEvidence>();
  if (paymentIds.length === 0) return out;
  const { rows } = await sql<{
    payment_id: string;
    partner_id: string;
    received_at: Date;
    reversed_at: Date | null;
    reversal_id: string | null;
    reversal_reason: string | null;
    event_at: Date | null;
    delivered_at: Date | null;
    delivery_state: string | null;
    attempts: number | null;
    subscribed: boolean;
  }>`
    select p.id as payment_id, p.partner_id, p.received_at,
           br.created_at as reversed_at, br.reversal_id, br.reason as reversal_reason,
           e.occurred_at as event_at, d.delivered_at, d.state as delivery_state, d.attempts,
           exists (select 1 from webhook_subscriptions s where s.partner_id = p.partner_id and s.state = 'active'
                   and 'payment.reversed' = any(s.event_types)) as subscribed
    from payments p
    left join biller_reversals br on br.payment_id = p.id
    left join lateral (select * from webhook_events e
                       where e.payment_id = p.id and e.type = 'payment.reversed'
                       order by e.occurred_at limit 1) e on true
    left join lateral (select * from webhook_deliveries d where d.event_id = e.id
                       order by d.delivered_at nulls last limit 1) d on true
    where p.id = any(${[...paymentIds]}::uuid[])`.execute(db);
  for (const r of rows) {
    const notes: string[] = [];
    const reversedAt = r.reversed_at === null ? null : new Date(r.reversed_at);
    if (reversedAt !== null) {
      const cutoff = partnerCutoff(r.partner_id, new Date(r.received_at));
      const after = cutoff !== undefined && reversedAt > cutoff;
      notes.push(
        `reversed by the biller at ${reversedAt.toISOString()} (${r.reversal_id ?? ''}: ${r.reversal_reason ?? ''})` +
          (cutoff !== undefined
            ? `, ${after ? 'after' : 'before'} the partner's cut-off ${cutoff.toISOString()}`
            : ''),
      );
    }
    if (r.delivered_at !== null) {
      notes.push(`reversal webhook sent at ${new Date(r.delivered_at).toISOString()}`);
    } else if (r.event_at !== null && r.delivery_state !== null) {
      notes.push(
        `reversal webhook (event of ${new Date(r.event_at).toISOString()}) not delivered: ${r.delivery_state} after ${r.attempts ?? 0} attempts`,
      );
    } else if (!r.subscribed) {
      notes.push(
        'the partner has no webhook subscription for payment.reversed: this break is how it learns of the reversal',
      );
    }
    out.set(r.payment_id, {
      paymentId: r.payment_id,
      notes,
      reversal: {
        reversedAt: reversedAt?.toISOString() ?? null,
        reversalId: r.reversal_id,
        reason: r.reversal_reason,
        webhookEventAt: r.event_at === null ? null : new Date(r.event_at).toISOString(),
        webhookDeliveredAt: r.delivered_at === null ? null : new Date(r.delivered_at).toISOString(),
        webhookDeliveryState: r.delivery_state,
        partnerSubscribed: r.subscribed,
      },
    });
  }
  return out;
}
