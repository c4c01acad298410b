import type { AgentBankingCoreClient, AgentCollection } from '../../domain/agents/agent-banking-core-client';
import type { BillerClient, BillerEndpointRef } from '../../domain/billers/biller-client';
import type { BillerDirectory } from '../../domain/billers/biller-directory';
import type { Db } from '../../domain/db';
import type { IdempotencyRepository } from '../../domain/idempotency/idempotency.repository';
import type { Ledger } from '../../domain/ledger/ledger';
import type { Payment } from '../../domain/payments/payment';
import type { PaymentsRepository } from '../../domain/payments/payments.repository';
import type { CoreBankingEngine } from '../../domain/posting/core-banking-engine';
import { engineFor } from '../../domain/posting/posting-engine';
import type { Logger } from '../../infrastructure/logging/logger';
import { retryLater, type Job, type RetryLater } from '../../infrastructure/jobs';
import { postingRequestOf } from '../posting-reversal';
import { paymentIdOf } from './follow-ups';
import type { Decision, PaymentDecisions } from './payment-decisions';
import type { ResolvedBy } from './resolution-events';

/** How long "no such payment" from a biller may mean "not yet" when its configuration says nothing. */
export const DEFAULT_BILLER_STATUS_WINDOW_MS = 300_000;

export interface PaymentResolverDeps {
  readonly db: Db;
  readonly payments: PaymentsRepository;
  readonly idempotency: IdempotencyRepository;
  readonly ledger: Ledger;
  readonly billers: BillerClient;
  readonly billerDirectory: BillerDirectory;
  readonly coreBanking: CoreBankingEngine;
  readonly agentCore?: AgentBankingCoreClient;
  readonly decisions: PaymentDecisions;
  /** How long "no such debit" from core banking may mean "not yet". */
  readonly coreBankingStatusWindowMs: number;
  readonly log: Logger;
  readonly now?: () => Date;
}

/**
 * Resolves a PENDING payment: the handler of its `payment.resolve` job, asked again with backoff
 * until the payment has a final state. Nothing is ever guessed: each step asks the party that knows,
 * by our own reference, and acts only on an answer.
 *
 *   1. A bank customer's payment not in our ledger: did core banking debit it? (status inquiry)
 *      debited → recorded in our ledger, go on; no such debit past core banking's window → DECLINED
 *      / CORE_BANKING_TIMEOUT (nothing was taken, nothing to refund).
 *   2. An agent's payment: the agent banking core records the collection (it deduplicates on our
 *      payment id, so asking again is safe); refused → DECLINED, posting undone.
 *   3. The biller, asked by our payment id: paid → APPROVED with its receipt; not found → if the
 *      biller was asked and timed out, DECLINED / BILLER_TIMEOUT once the biller's window has passed
 *      (posting undone: float credited, agent limit restored, core-banking refund owed); if it may
 *      never have been asked (the node died, core banking answered late), the payment is sent to it
 *      now under the same id, which the biller deduplicates.
 * Anything unclear (a timeout, a 5xx, "still processing") is "not yet": the job's backoff asks again;
 * when its attempts run out the payment is parked for ops (NEEDS_ATTENTION).
 */
export class PaymentResolver {
  private readonly now: () => Date;

  constructor(private readonly d: PaymentResolverDeps) {
    this.now = d.now ?? (() => new Date());
  }

  readonly handle = async (job: Job): Promise<void | RetryLater> => {
    return this.resolve(paymentIdOf(job.payload));
  };

  async resolve(paymentId: string): Promise<void | RetryLater> {
    let payment = await this.d.payments.findById(this.d.db, paymentId);
    // Decided meanwhile (a late finish, a reversal, ops): nothing left to resolve.
    if (payment === undefined || payment.state !== 'PENDING') return undefined;
    const journals = await this.d.ledger.postingsOf(this.d.db, paymentId);
    if (journals.reversed) return undefined;

    const engine = engineFor(payment.payerType);
    if (engine === 'core-banking' && !journals.posted) {
      const step = await this.atCoreBanking(payment);
      if (step !== 'debited') return step;
      payment = await this.d.payments.findById(this.d.db, paymentId);
      if (payment === undefined || payment.state !== 'PENDING') return undefined;
    }
    if (engine === 'agent-banking' && this.d.agentCore !== undefined) {
      const step = await this.atAgentCore(payment, this.d.agentCore);
      if (step !== 'recorded') return step;
    }
    return this.atBiller(payment);
  }

  private async atCoreBanking(payment: Payment): Promise<'debited' | void | RetryLater> {
    const status = await this.d.coreBanking.debitStatus(payment.id);
    switch (status.outcome) {
      case 'done': {
        const recorded = await this.d.db.transaction().execute(async (tx) => {
          await this.d.idempotency.lockByPayment(tx, payment.id);
          if ((await this.d.payments.lockState(tx, payment.id)) !== 'PENDING') return false;
          if ((await this.d.ledger.postingsOf(tx, payment.id)).posted) return true;
          await this.d.coreBanking.post(tx, postingRequestOf(payment));
          await this.d.payments.update(tx, payment.id, {
            state: 'PENDING',
            reasonCode: payment.reasonCode,
            coreBankingRef: status.reference,
          });
          return true;
        });
        this.d.log.info({ paymentId: payment.id }, 'core banking had debited a pending payment; recorded');
        return recorded ? 'debited' : undefined;
      }
      case 'not-found':
        if (!this.pastWindow(payment, this.d.coreBankingStatusWindowMs)) {
          return retryLater('core banking has no debit under our reference yet');
        }
        return this.decide(
          payment,
          {
            to: 'DECLINED',
            reasonCode: 'CORE_BANKING_TIMEOUT',
            memo: `core banking never debited ${payment.id}`,
          },
          'core-banking-status',
        );
      case 'processing':
        return retryLater('core banking is still processing the debit');
      case 'unknown':
        return retryLater(`core banking status: ${status.detail}`);
    }
  }

  private async atAgentCore(
    payment: Payment,
    core: AgentBankingCoreClient,
  ): Promise<'recorded' | void | RetryLater> {
    const answer = await core.record(collectionOf(payment));
    switch (answer.outcome) {
      case 'recorded':
        return 'recorded';
      case 'refused':
        return this.decide(
          payment,
          {
            to: 'DECLINED',
            reasonCode: 'AGENT_NOT_FOUND',
            memo: `agent banking core refused ${payment.id}: ${answer.detail}`,
            agentCoreHasNothing: true,
          },
          'agent-banking-core',
        );
      case 'unavailable':
      case 'unknown':
        return retryLater(`agent banking core: ${answer.detail}`);
    }
  }

  private async atBiller(payment: Payment): Promise<void | RetryLater> {
    const endpointId = payment.route?.billerEndpoint;
    const endpoint = endpointId === undefined ? undefined : await this.d.billerDirectory.get(endpointId);
    if (endpoint === undefined)
      return retryLater(`biller endpoint ${endpointId ?? '(none)'} is not configured`);
    const status = await this.d.billers.status(endpoint, payment.id);
    switch (status.outcome) {
      case 'paid': {
        const differs =
          (status.amountMinor !== undefined && status.amountMinor !== payment.amountMinor) ||
          (status.currency !== undefined && status.currency !== payment.currency);
        if (differs) {
          return this.park(
            payment,
            `the biller holds ${status.amountMinor?.toString() ?? '?'} ${status.currency ?? '?'} (minor units) ` +
              `under receipt ${status.receipt}, not ${payment.amountMinor.toString()} ${payment.currency}`,
          );
        }
        return this.decide(payment, { to: 'APPROVED', billerReceipt: status.receipt }, 'biller-status');
      }
      case 'reversed':
        return this.park(
          payment,
          `the biller reports this payment reversed (receipt ${status.receipt ?? 'none'}) while ours is pending`,
        );
      case 'processing':
        return retryLater('the biller is still processing the payment');
      case 'unknown':
        return retryLater(`biller status: ${status.detail}`);
      case 'not-found':
        return payment.reasonCode === 'BILLER_TIMEOUT'
          ? this.notReceived(payment, endpoint)
          : this.sendToBiller(payment, endpoint);
    }
  }

  /** The biller was asked and timed out, and has no such payment: past its window, it never will. */
  private notReceived(payment: Payment, endpoint: BillerEndpointRef): Promise<void | RetryLater> {
    const window = endpoint.statusWindowMs ?? DEFAULT_BILLER_STATUS_WINDOW_MS;
    if (!this.pastWindow(payment, window)) {
      return Promise.resolve(retryLater('the biller has not received the payment (yet)'));
    }
    return this.decide(
      payment,
      {
        to: 'DECLINED',
        reasonCode: 'BILLER_TIMEOUT',
        memo: `biller ${endpoint.id} never received ${payment.id}`,
      },
      'biller-status',
    );
  }

  /**
   * The biller may never have been asked (the node died before, or core banking answered late): it is
   * asked now, under the same payment id, which the biller deduplicates.
   */
  private async sendToBiller(payment: Payment, endpoint: BillerEndpointRef): Promise<void | RetryLater> {
    const answer = await this.d.billers.pay(endpoint, {
      paymentId: payment.id,
      billType: payment.billType,
      billReference: payment.billReference,
      amountMinor: payment.amountMinor,
      currency: payment.currency,
    });
    switch (answer.outcome) {
      case 'paid':
        return this.decide(payment, { to: 'APPROVED', billerReceipt: answer.receipt }, 'biller');
      case 'declined':
      case 'unavailable':
        return this.decide(
          payment,
          {
            to: 'DECLINED',
            reasonCode: answer.outcome === 'declined' ? answer.reason : 'BILLER_UNAVAILABLE',
            memo: `biller ${endpoint.id} did not take ${payment.id}: ${answer.detail}`,
          },
          'biller',
        );
      case 'unknown':
        // Asked now and timed out: from here on "not found" runs the biller's window.
        await this.decide(payment, { to: 'PENDING', reasonCode: 'BILLER_TIMEOUT' }, 'biller');
        return retryLater(`biller: ${answer.detail}`);
    }
  }

  private async decide(payment: Payment, decision: Decision, by: ResolvedBy): Promise<void> {
    const decided = await this.d.decisions.decide(payment.id, decision, { from: ['PENDING'], by });
    if (decided !== undefined && decision.to !== 'PENDING') {
      this.d.log.info(
        { paymentId: payment.id, state: decided.payment.state, reason: decided.payment.reasonCode, by },
        'pending payment resolved',
      );
    }
  }

  private async park(payment: Payment, reason: string): Promise<void> {
    await this.d.db.transaction().execute((tx) => this.d.decisions.parkInTx(tx, payment.id, reason));
  }

  /** Whether the party's window, counted from when we stopped waiting for its answer, has passed. */
  private pastWindow(payment: Payment, windowMs: number): boolean {
    return this.now().getTime() >= payment.updatedAt.getTime() + windowMs;
  }
}

export function collectionOf(p: Payment): AgentCollection {
  return { agentId: p.payerId, paymentId: p.id, amountMinor: p.amountMinor, currency: p.currency };
}
