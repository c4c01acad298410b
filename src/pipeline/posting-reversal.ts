import type { Tx } from '../domain/db';
import type { Payment } from '../domain/payments/payment';
import type { AgentEngine } from '../domain/posting/agent-engine';
import type { CoreBankingEngine } from '../domain/posting/core-banking-engine';
import type { FloatEngine } from '../domain/posting/float-engine';
import { engineFor, type PostingEngine, type PostingRequest } from '../domain/posting/posting-engine';
import type { PayerType } from '../domain/reason-codes';

export interface Engines {
  readonly floatEngine: FloatEngine;
  readonly agentEngine: AgentEngine;
  readonly coreBanking: CoreBankingEngine;
}

/** The engine that posts a payer type's payments: the one place the choice is made. */
export function engineOf(engines: Engines, payerType: PayerType): PostingEngine {
  switch (engineFor(payerType)) {
    case 'core-banking':
      return engines.coreBanking;
    case 'agent-banking':
      return engines.agentEngine;
    case 'mfs-float':
      return engines.floatEngine;
  }
}

export function postingRequestOf(payment: Payment): PostingRequest {
  return {
    paymentId: payment.id,
    partnerId: payment.partnerId,
    payer: { kind: payment.payerKind, id: payment.payerId },
    amountMinor: payment.amountMinor,
    currency: payment.currency,
    settlementAccount: payment.route?.settlementAccount ?? '',
    receivedAt: payment.receivedAt,
  };
}

/** Undoes a payment's posting in our ledger through the engine that made it. */
export function reversePostingInTx(engines: Engines, tx: Tx, payment: Payment, memo: string): Promise<void> {
  return engineOf(engines, payment.payerType).reverse(tx, postingRequestOf(payment), memo);
}
