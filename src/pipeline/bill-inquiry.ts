import type { BillerClient } from '../domain/billers/biller-client';
import type { BillerDirectory } from '../domain/billers/biller-directory';
import type { PayerType } from '../domain/reason-codes';
import type { RouteResolver } from '../domain/routing/route-resolver';

export type BillInquiryOutcome =
  | {
      readonly kind: 'found';
      readonly amountDueMinor: bigint;
      readonly currency: string;
      readonly customerName: string | null;
      readonly dueDate: string | null;
      readonly billerEndpoint: string;
    }
  | { readonly kind: 'no-route' }
  | { readonly kind: 'unknown-reference' }
  | { readonly kind: 'biller-unavailable'; readonly detail: string };

/**
 * Asks the biller a payment would be routed to what is due on a bill. Nothing is claimed or posted:
 * an inquiry needs no idempotency key. A terminal caches the answer for when it goes offline.
 */
export class BillInquiry {
  constructor(
    private readonly routes: RouteResolver,
    private readonly billerDirectory: BillerDirectory,
    private readonly billers: BillerClient,
  ) {}

  async inquire(q: {
    partnerId: string;
    payerType: PayerType;
    billType: string;
    billReference: string;
    currency: string;
  }): Promise<BillInquiryOutcome> {
    const route = await this.routes.resolve({
      billType: q.billType,
      payerType: q.payerType,
      partnerId: q.partnerId,
    });
    if (route === undefined) return { kind: 'no-route' };
    const endpoint = (await this.billerDirectory.get(route.billerEndpoint.id)) ?? route.billerEndpoint;
    const answer = await this.billers.inquire(endpoint, q.billReference, q.currency);
    switch (answer.outcome) {
      case 'found':
        return {
          kind: 'found',
          amountDueMinor: answer.amountDueMinor,
          currency: answer.currency,
          customerName: answer.customerName,
          dueDate: answer.dueDate,
          billerEndpoint: endpoint.id,
        };
      case 'unknown-reference':
        return { kind: 'unknown-reference' };
      case 'unavailable':
        return { kind: 'biller-unavailable', detail: answer.detail };
    }
  }
}
