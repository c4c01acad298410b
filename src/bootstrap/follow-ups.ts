import type { AppConfig } from '../config/config';
import type { AgentBankingCoreClient } from '../domain/agents/agent-banking-core-client';
import { OpsAuditLog } from '../domain/audit/ops-audit-log';
import type { BillerClient } from '../domain/billers/biller-client';
import type { BillerDirectory } from '../domain/billers/biller-directory';
import type { Db } from '../domain/db';
import type { IdempotencyRepository } from '../domain/idempotency/idempotency.repository';
import type { Ledger } from '../domain/ledger/ledger';
import type { PaymentEventSink } from '../domain/payments/payment-events';
import type { PaymentsRepository } from '../domain/payments/payments.repository';
import { REFUND_JOB, type CoreBankingRefunds } from '../domain/posting/core-banking-refunds';
import { JobQueue, JobRunner } from '../infrastructure/jobs';
import type { Logger } from '../infrastructure/logging/logger';
import type { Metrics } from '../infrastructure/metrics/metrics';
import type { Engines } from '../pipeline/posting-reversal';
import type { FollowUpServices } from '../lanes/gateway-services';
import { PostingUndo } from '../pipeline/posting-undo';
import { AGENT_CORE_REVERSAL, BILLER_REVERSAL, FollowUps, RESOLVE } from '../pipeline/resolution/follow-ups';
import { OpsDecisions } from '../pipeline/resolution/ops-decisions';
import { PaymentDecisions } from '../pipeline/resolution/payment-decisions';
import { PaymentResolver } from '../pipeline/resolution/payment-resolver';
import { AgentCoreReversals, BillerReversalForwarder } from '../pipeline/resolution/store-and-forward';

/** The wait after attempt n (from 1): the schedule's n-th wait after the first, its last one repeating. */
export function scheduleBackoff(schedule: readonly number[]): (attempt: number) => number {
  return (attempt) => schedule[Math.min(attempt, schedule.length - 1)] ?? 60_000;
}

/**
 * Resolution of PENDING payments and store and forward of reversals (src/pipeline/resolution): the
 * services, and the job runner every node runs for them.
 */
export function createFollowUps(o: {
  readonly db: Db;
  readonly config: AppConfig;
  readonly engines: Engines;
  readonly payments: PaymentsRepository;
  readonly idempotency: IdempotencyRepository;
  readonly ledger: Ledger;
  readonly refunds: CoreBankingRefunds;
  readonly billers: BillerClient;
  readonly billerDirectory: BillerDirectory;
  readonly agentCore: AgentBankingCoreClient | undefined;
  readonly events: PaymentEventSink;
  readonly metrics: Metrics;
  readonly log: Logger;
}): FollowUpServices {
  const c = o.config.followUps;
  const queue = new JobQueue();
  const followUps = new FollowUps(queue, c.resolutionScheduleMs[0] ?? 10_000);
  let agentCoreReversals: AgentCoreReversals | undefined;
  const attemptAgentCoreReversal =
    o.agentCore === undefined
      ? undefined
      : (id: string) => agentCoreReversals?.attemptNow(id) ?? Promise.resolve();
  const undo = new PostingUndo({
    ...o.engines,
    db: o.db,
    ledger: o.ledger,
    refunds: o.refunds,
    followUps,
    agentCore: o.agentCore !== undefined,
    log: o.log,
    ...(attemptAgentCoreReversal !== undefined ? { attemptAgentCoreReversal } : {}),
  });
  const decisions = new PaymentDecisions({
    db: o.db,
    payments: o.payments,
    idempotency: o.idempotency,
    refunds: o.refunds,
    undo,
    events: o.events,
    metrics: o.metrics,
    log: o.log,
  });
  const resolver = new PaymentResolver({
    db: o.db,
    payments: o.payments,
    idempotency: o.idempotency,
    ledger: o.ledger,
    billers: o.billers,
    billerDirectory: o.billerDirectory,
    coreBanking: o.engines.coreBanking,
    ...(o.agentCore !== undefined ? { agentCore: o.agentCore } : {}),
    decisions,
    coreBankingStatusWindowMs: c.coreBankingStatusWindowMs,
    log: o.log,
  });
  const base = { db: o.db, payments: o.payments, decisions, queue, log: o.log };
  const forwarder = new BillerReversalForwarder({
    ...base,
    billers: o.billers,
    billerDirectory: o.billerDirectory,
  });
  if (o.agentCore !== undefined)
    agentCoreReversals = new AgentCoreReversals({ ...base, agentCore: o.agentCore });

  const runner = new JobRunner(o.db, o.log);
  runner.register(
    RESOLVE,
    {
      maxAttempts: c.resolutionMaxAttempts,
      backoffMs: scheduleBackoff(c.resolutionScheduleMs),
      onExhausted: async (tx, job, lastError) => {
        const paymentId = (job.payload as { paymentId?: unknown }).paymentId;
        if (typeof paymentId !== 'string') return;
        await decisions.parkInTx(
          tx,
          paymentId,
          `no final answer after ${job.attempt} status inquiries (last: ${lastError})`,
        );
      },
    },
    resolver.handle,
  );
  const forwarding = {
    maxAttempts: c.maxAttempts,
    backoffMs: scheduleBackoff(c.retryScheduleMs),
  };
  runner.register(BILLER_REVERSAL, { ...forwarding, onExhausted: forwarder.onExhausted }, forwarder.handle);
  if (agentCoreReversals !== undefined) {
    runner.register(
      AGENT_CORE_REVERSAL,
      { ...forwarding, onExhausted: agentCoreReversals.onExhausted },
      agentCoreReversals.handle,
    );
  }

  // Refunds owed to bank customers, retried until core banking confirms them (never given up).
  o.refunds.registerOn(runner, o.db);

  // Payments waiting (PENDING, NEEDS_ATTENTION) are counted by the composition root's 'waiting' hook.
  o.metrics.onScrape('follow-ups', async () => {
    for (const kind of [RESOLVE, BILLER_REVERSAL, AGENT_CORE_REVERSAL, REFUND_JOB]) {
      const counts = await queue.counts(o.db, kind);
      for (const [state, n] of Object.entries(counts)) o.metrics.followUps.set({ kind, state }, n);
    }
  });

  const opsDecisions = new OpsDecisions({
    db: o.db,
    payments: o.payments,
    idempotency: o.idempotency,
    ledger: o.ledger,
    refunds: o.refunds,
    decisions,
    queue,
    audit: new OpsAuditLog(),
  });
  return { queue, undo, followUps, decisions, resolver, opsDecisions, runner, attemptAgentCoreReversal };
}
