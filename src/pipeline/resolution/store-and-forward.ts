import type { AgentBankingCoreClient } from '../../domain/agents/agent-banking-core-client';
import type { BillerClient } from '../../domain/billers/biller-client';
import type { BillerDirectory } from '../../domain/billers/biller-directory';
import type { Db, Tx } from '../../domain/db';
import type { PaymentsRepository } from '../../domain/payments/payments.repository';
import type { Logger } from '../../infrastructure/logging/logger';
import { retryLater, type Job, type JobQueue, type RetryLater } from '../../infrastructure/jobs';
import { AGENT_CORE_REVERSAL, paymentIdOf } from './follow-ups';
import type { PaymentDecisions } from './payment-decisions';
import { collectionOf } from './payment-resolver';

interface Deps {
  readonly db: Db;
  readonly payments: PaymentsRepository;
  readonly decisions: PaymentDecisions;
  readonly queue: JobQueue;
  readonly log: Logger;
}

/**
 * Store and forward of reversals to the biller: a reversal the biller could not take at once (a
 * timeout, a 5xx, unreachable) is kept as a `biller.reversal` job and sent again with the same payment
 * id until the biller confirms it, so the partner never keeps a reversal the biller does not have.
 * A biller that refuses the reversal outright, or never confirms it, leaves the payment with ops.
 */
export class BillerReversalForwarder {
  constructor(
    private readonly d: Deps & { readonly billers: BillerClient; readonly billerDirectory: BillerDirectory },
  ) {}

  readonly handle = async (job: Job): Promise<void | RetryLater> => {
    const reason =
      typeof job.payload === 'object' && job.payload !== null && 'reason' in job.payload
        ? String(job.payload.reason)
        : 'reversal';
    return this.forward(paymentIdOf(job.payload), reason);
  };

  async forward(paymentId: string, reason: string): Promise<void | RetryLater> {
    const payment = await this.d.payments.findById(this.d.db, paymentId);
    const endpointId = payment?.route?.billerEndpoint;
    if (payment === undefined || endpointId === undefined) return undefined;
    const endpoint = await this.d.billerDirectory.get(endpointId);
    if (endpoint === undefined) return retryLater(`biller endpoint ${endpointId} is not configured`);
    const answer = await this.d.billers.reverse(endpoint, paymentId, reason);
    switch (answer) {
      case 'reversed':
        this.d.log.info({ paymentId, biller: endpointId }, 'biller confirmed the reversal');
        return undefined;
      case 'not-found':
        // The biller never had it (its payment timed out on the way): nothing to undo there — unless
        // it had confirmed the payment with a receipt, which it now denies.
        if (payment.billerReceipt !== null) {
          await this.park(
            paymentId,
            `the biller does not know payment ${paymentId} it confirmed with receipt ${payment.billerReceipt}; reversal not confirmed`,
          );
        }
        return undefined;
      case 'refused':
        await this.park(paymentId, `the biller refused the reversal of payment ${paymentId}`);
        return undefined;
      case 'unknown':
        return retryLater('the biller did not confirm the reversal');
    }
  }

  /** After the job's last attempt: the reversal is ours but not the biller's; ops take it from here. */
  readonly onExhausted = async (tx: Tx, job: Job, lastError: string): Promise<void> => {
    await this.d.decisions.parkInTx(
      tx,
      paymentIdOf(job.payload),
      `the biller never confirmed the reversal after ${job.attempt} attempts (${lastError})`,
    );
  };

  private async park(paymentId: string, reason: string): Promise<void> {
    await this.d.db.transaction().execute((tx) => this.d.decisions.parkInTx(tx, paymentId, reason));
  }
}

/**
 * Undoing an agent's cash collection at the agent banking core after our ledger undid it (a decline,
 * a reversal): a durable `agent-core.reversal` job, tried once right after the commit and retried
 * until the core confirms. The core deduplicates on our payment id.
 */
export class AgentCoreReversals {
  constructor(private readonly d: Deps & { readonly agentCore: AgentBankingCoreClient }) {}

  readonly handle = async (job: Job): Promise<void | RetryLater> => this.reverse(paymentIdOf(job.payload));

  async reverse(paymentId: string): Promise<void | RetryLater> {
    const payment = await this.d.payments.findById(this.d.db, paymentId);
    if (payment === undefined) return undefined;
    const answer = await this.d.agentCore.reverse(collectionOf(payment));
    switch (answer.outcome) {
      case 'recorded':
        return undefined;
      case 'refused':
        await this.d.db
          .transaction()
          .execute((tx) =>
            this.d.decisions.parkInTx(
              tx,
              paymentId,
              `the agent banking core refused to undo the collection: ${answer.detail}`,
            ),
          );
        return undefined;
      case 'unavailable':
      case 'unknown':
        return retryLater(`agent banking core: ${answer.detail}`);
    }
  }

  /** The first attempt, right after the commit that owed it; the job stays as the fallback. */
  readonly attemptNow = async (paymentId: string): Promise<void> => {
    const outcome = await this.reverse(paymentId);
    if (outcome === undefined) await this.d.queue.completePending(this.d.db, AGENT_CORE_REVERSAL, paymentId);
  };

  readonly onExhausted = async (tx: Tx, job: Job, lastError: string): Promise<void> => {
    await this.d.decisions.parkInTx(
      tx,
      paymentIdOf(job.payload),
      `the agent banking core never confirmed undoing the collection after ${job.attempt} attempts (${lastError})`,
    );
  };
}
