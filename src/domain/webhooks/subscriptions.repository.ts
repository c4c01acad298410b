import type { Selectable } from 'kysely';
import type { WebhookSubscriptionsTable } from '../../infrastructure/database/schema';
import type { Executor } from '../db';
import { uuidv7 } from '../ids';
import type { PaymentEventType } from '../payments/payment-events';

export interface WebhookSubscription {
  readonly id: string;
  readonly partnerId: string;
  readonly url: string;
  readonly eventTypes: readonly PaymentEventType[];
  readonly state: 'active' | 'disabled' | 'deleted';
  readonly stateReason: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

function toSubscription(r: Selectable<WebhookSubscriptionsTable>): WebhookSubscription {
  return {
    id: r.id,
    partnerId: r.partner_id,
    url: r.url,
    eventTypes: r.event_types as PaymentEventType[],
    state: r.state,
    stateReason: r.state_reason,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** Partners' webhook endpoints: where, for which events, and whether we still send there. */
export class WebhookSubscriptionsRepository {
  async create(
    db: Executor,
    s: { partnerId: string; url: string; eventTypes: readonly PaymentEventType[] },
    now: Date,
  ): Promise<WebhookSubscription> {
    const row = await db
      .insertInto('webhook_subscriptions')
      .values({
        id: uuidv7(now.getTime()),
        partner_id: s.partnerId,
        url: s.url,
        event_types: [...s.eventTypes],
        state: 'active',
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toSubscription(row);
  }

  async list(db: Executor, partnerId: string, includeDeleted = false): Promise<WebhookSubscription[]> {
    let q = db.selectFrom('webhook_subscriptions').selectAll().where('partner_id', '=', partnerId);
    if (!includeDeleted) q = q.where('state', '!=', 'deleted');
    return (await q.orderBy('created_at').execute()).map(toSubscription);
  }

  async find(db: Executor, partnerId: string, id: string): Promise<WebhookSubscription | undefined> {
    if (!isUuid(id)) return undefined;
    const row = await db
      .selectFrom('webhook_subscriptions')
      .selectAll()
      .where('partner_id', '=', partnerId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? undefined : toSubscription(row);
  }

  /** Active subscriptions of a partner that want this event type. */
  async activeFor(db: Executor, partnerId: string, type: string): Promise<WebhookSubscription[]> {
    const rows = await db
      .selectFrom('webhook_subscriptions')
      .selectAll()
      .where('partner_id', '=', partnerId)
      .where('state', '=', 'active')
      .execute();
    return rows.map(toSubscription).filter((s) => s.eventTypes.includes(type as PaymentEventType));
  }

  /**
   * Ends a subscription (deleted by the partner, disabled by ops or by a 410 from the receiver) and
   * cancels what was still waiting to be sent to it. Answers false when it was not active.
   */
  async end(
    db: Executor,
    id: string,
    state: 'disabled' | 'deleted',
    reason: string,
    now: Date,
  ): Promise<boolean> {
    const ended = await db
      .updateTable('webhook_subscriptions')
      .set({ state, state_reason: reason, updated_at: now })
      .where('id', '=', id)
      .where(
        'state',
        state === 'deleted' ? 'in' : '=',
        state === 'deleted' ? ['active', 'disabled'] : 'active',
      )
      .returning('id')
      .executeTakeFirst();
    if (ended === undefined) return false;
    await db
      .updateTable('webhook_deliveries')
      .set({ state: 'cancelled', last_error: `subscription ${state}: ${reason}`, updated_at: now })
      .where('subscription_id', '=', id)
      .where('state', '=', 'pending')
      .execute();
    return true;
  }
}

export function isUuid(id: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);
}
