import type { Executor } from '../../domain/db';
import type { JobQueue } from '../../infrastructure/jobs';

/**
 * The durable follow-ups of a payment, each a job (src/infrastructure/jobs) enqueued in the
 * transaction of the state change that makes it necessary, keyed by the payment so it exists once:
 *   payment.resolve       a PENDING payment is asked about until it has a final state
 *   biller.reversal       a reversal the biller has not confirmed yet (store and forward)
 *   agent-core.reversal   an agent's cash collection to undo at the agent banking core
 */
export const RESOLVE = 'payment.resolve';
export const BILLER_REVERSAL = 'biller.reversal';
export const AGENT_CORE_REVERSAL = 'agent-core.reversal';

export interface ResolvePayload {
  readonly paymentId: string;
}

export interface BillerReversalPayload {
  readonly paymentId: string;
  readonly reason: string;
}

export interface AgentCoreReversalPayload {
  readonly paymentId: string;
}

/**
 * A follow-up done at once after the commit is left to its job only if that first attempt fails; the
 * job waits this long first, so a runner on another node does not race the attempt in progress.
 */
export const FIRST_ATTEMPT_GRACE_MS = 30_000;

export class FollowUps {
  constructor(
    private readonly queue: JobQueue,
    /** When a new PENDING payment is first asked about. */
    private readonly firstCheckMs: number,
  ) {}

  resolveLater(tx: Executor, paymentId: string, now: Date): Promise<boolean> {
    return this.queue.enqueue<ResolvePayload>(tx, {
      kind: RESOLVE,
      dedupeKey: paymentId,
      payload: { paymentId },
      runAt: new Date(now.getTime() + this.firstCheckMs),
    });
  }

  forwardReversalToBiller(tx: Executor, paymentId: string, reason: string, runAt: Date): Promise<boolean> {
    return this.queue.enqueue<BillerReversalPayload>(tx, {
      kind: BILLER_REVERSAL,
      dedupeKey: paymentId,
      payload: { paymentId, reason },
      runAt,
    });
  }

  reverseAtAgentCore(tx: Executor, paymentId: string, runAt: Date): Promise<boolean> {
    return this.queue.enqueue<AgentCoreReversalPayload>(tx, {
      kind: AGENT_CORE_REVERSAL,
      dedupeKey: paymentId,
      payload: { paymentId },
      runAt,
    });
  }
}

/** A job payload read back from the database: only the payment id is trusted, and checked. */
export function paymentIdOf(payload: unknown): string {
  const id =
    typeof payload === 'object' && payload !== null && 'paymentId' in payload ? payload.paymentId : undefined;
  if (typeof id !== 'string' || !/^[0-9a-f-]{36}$/i.test(id)) {
    throw new Error(`job payload names no payment: ${JSON.stringify(payload)}`);
  }
  return id;
}
