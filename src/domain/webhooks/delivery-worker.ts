import type { Logger } from '../../infrastructure/logging/logger';
import type { Metrics } from '../../infrastructure/metrics/metrics';
import type { WebhookSender } from '../../infrastructure/http/webhook-sender';
import { exponentialBackoff, JobRunner, retryLater, type RetryLater } from '../../infrastructure/jobs';
import type { Db } from '../db';
import {
  DELIVER_JOB,
  type AttemptRecord,
  type ClaimedDelivery,
  type DeliverJobPayload,
  type WebhookDeliveriesRepository,
} from './deliveries.repository';
import { nextRetryDelayMs, parseRetryAfterMs } from './retry-schedule';
import { signedHeaders } from './signing';
import type { WebhookSubscriptionsRepository } from './subscriptions.repository';

export interface DeliveryWorkerOptions {
  readonly db: Db;
  readonly deliveries: WebhookDeliveriesRepository;
  readonly subscriptions: WebhookSubscriptionsRepository;
  readonly sender: WebhookSender;
  /** The partner's webhook secrets valid now (more than one during a rotation). */
  readonly secretsOf: (partnerId: string) => Promise<readonly string[]>;
  /** Waits after each failure (WEBHOOK_RETRY_SCHEDULE). */
  readonly schedule: readonly number[];
  readonly timeoutMs: number;
  /** How often this node's runner looks for due delivery jobs (WEBHOOK_POLL_MS). */
  readonly pollMs: number;
  /** Most deliveries claimed, and sent at once, per round. */
  readonly batchSize: number;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly random?: () => number;
  /** Names this node's leases on delivery jobs (default: random per process). */
  readonly owner?: string;
}

/** How often pending deliveries with no live job are looked for (once per cluster). */
const ORPHAN_SWEEP_MS = 60_000;

/**
 * Sends the outbox's deliveries, at least once, from any number of nodes, on durable jobs: one
 * `webhook.deliver` job per delivery (created with it), run by this node's job runner, which polls
 * every `pollMs` (WEBHOOK_POLL_MS). Jobs of one subscription and payment run one at a time, in order.
 * Each attempt is also made under a lease on the delivery row, longer than the request's timeout, so
 * only the node that made an attempt records it; a node that dies mid-send leaves the job to be run
 * again (a receiver may then see the delivery twice, with the same webhook-id, and deduplicate). The
 * delivery row keeps the retry schedule: its job waits until the row's next attempt, and finishes
 * when the delivery is delivered, failed for good or cancelled.
 */
export class WebhookDeliveryWorker {
  readonly runner: JobRunner;
  /** Deliveries leased for this round's jobs, taken by each job's run. */
  private readonly prepared = new Map<string, ClaimedDelivery>();

  constructor(private readonly o: DeliveryWorkerOptions) {
    this.runner = new JobRunner(o.db, o.log, {
      batch: o.batchSize,
      // A round's deliveries go out together (one per subscription and payment at most): one slow
      // receiver does not hold up the others.
      concurrency: o.batchSize,
      ...(o.owner !== undefined ? { owner: o.owner } : {}),
    });
    this.runner.register<DeliverJobPayload>(
      DELIVER_JOB,
      {
        // Never given up by the job: the delivery's own schedule decides when it has failed for good.
        maxAttempts: Number.POSITIVE_INFINITY,
        // Only when an attempt could not be made at all (the database away): soon again.
        backoffMs: exponentialBackoff(1_000, 60_000),
        leaseMs: this.leaseMs,
      },
      (job) => this.attempt(job.payload.deliveryId),
      {
        // A round's deliveries are leased in one statement; a job whose delivery was not (not due,
        // leased elsewhere, no longer pending) finds out why on its own.
        prepare: async (jobs) => {
          const claimed = await this.o.deliveries.claimAll(
            this.o.db,
            jobs.map((j) => j.payload.deliveryId),
            new Date(),
            this.leaseMs,
          );
          for (const d of claimed) this.prepared.set(d.id, d);
        },
      },
    );
    this.runner.every('webhook.adopt-orphans', { everyMs: ORPHAN_SWEEP_MS }, async () => {
      const adopted = await this.o.deliveries.adoptOrphans(this.o.db, new Date());
      if (adopted > 0) this.o.log.warn({ adopted }, 'pending webhook deliveries without a job given one');
    });
    // Waiting deliveries and the oldest one's age, read from the database on each scrape (cluster-wide).
    o.metrics.onScrape('webhooks', async () => {
      const stats = await this.o.deliveries.stats(this.o.db, new Date());
      this.o.metrics.webhookPending.set(stats.pending);
      this.o.metrics.webhookOldestPendingAge.set(stats.oldestPendingAgeSeconds);
    });
  }

  private get leaseMs(): number {
    return this.o.timeoutMs * 2 + 5_000;
  }

  start(): void {
    this.runner.start(this.o.pollMs);
    this.runner.kick();
  }

  async stop(): Promise<void> {
    await this.runner.stop();
  }

  /** One round: runs the delivery jobs that are due. Answers whether it ran any (more may be due now). */
  async tick(): Promise<boolean> {
    return (await this.runner.runOnce()) > 0;
  }

  /** Sends everything due until nothing is (tests and the CLI drain with it). */
  async drain(maxRounds = 1_000): Promise<void> {
    await this.runner.drain(maxRounds);
  }

  /** One delivery job's run: an attempt when the delivery is due, then when the next one is. */
  private async attempt(deliveryId: string): Promise<RetryLater | undefined> {
    const now = new Date();
    const prepared = this.prepared.get(deliveryId);
    this.prepared.delete(deliveryId);
    const claimed = prepared ?? (await this.o.deliveries.claim(this.o.db, deliveryId, now, this.leaseMs));
    if (claimed === undefined) return undefined;
    if ('notBefore' in claimed) {
      return retryLater(
        'the delivery is not due yet',
        Math.max(0, claimed.notBefore.getTime() - now.getTime()),
      );
    }
    const next = await this.deliver(claimed, await this.o.secretsOf(claimed.partnerId));
    if (next === 'finished') return undefined;
    if (next === 'not-recorded') return retryLater('another node recorded this attempt', 1_000);
    return retryLater(next.outcome, Math.max(0, next.at.getTime() - Date.now()));
  }

  /** One attempt, recorded on the delivery: answers when the next is due, if one is. */
  private async deliver(
    d: ClaimedDelivery,
    secrets: readonly string[],
  ): Promise<'finished' | 'not-recorded' | { readonly outcome: string; readonly at: Date }> {
    const started = Date.now();
    let record: Omit<AttemptRecord, 'at' | 'durationMs' | 'nextAttemptAt'>;
    let retryAfterMs: number | undefined;
    if (secrets.length === 0) {
      // Never send unsigned: the partner could not tell us from anyone else. Retried on schedule.
      record = { outcome: 'unsigned', statusCode: null, error: 'the partner has no valid webhook secret' };
    } else {
      const at = new Date();
      const headers = signedHeaders(secrets, d.eventId, at, d.body);
      const res = await this.o.sender.post(d.url, { ...headers }, d.body, this.o.timeoutMs);
      if (res.kind === 'answered') {
        if (res.status >= 200 && res.status < 300) {
          record = { outcome: 'delivered', statusCode: res.status, error: null };
        } else if (res.status === 410) {
          record = { outcome: 'gone', statusCode: 410, error: 'the receiver answered 410 Gone' };
        } else {
          record = { outcome: 'failed', statusCode: res.status, error: `HTTP ${res.status}` };
          if (res.status === 429 || res.status === 503) retryAfterMs = parseRetryAfterMs(res.retryAfter, at);
        }
      } else if (res.kind === 'timeout') {
        record = { outcome: 'timeout', statusCode: null, error: `no answer within ${this.o.timeoutMs} ms` };
      } else {
        record = { outcome: 'failed', statusCode: null, error: res.detail.slice(0, 500) };
      }
    }
    const end = new Date();
    let nextAttemptAt: Date | undefined;
    if (record.outcome !== 'delivered' && record.outcome !== 'gone') {
      const delay = nextRetryDelayMs(d.attempts + 1, this.o.schedule, {
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
        ...(this.o.random !== undefined ? { random: this.o.random } : {}),
      });
      if (delay !== undefined) nextAttemptAt = new Date(end.getTime() + delay);
    }
    const full: AttemptRecord = {
      ...record,
      at: end,
      durationMs: end.getTime() - started,
      ...(nextAttemptAt !== undefined ? { nextAttemptAt } : {}),
    };
    const kept =
      record.outcome === 'gone'
        ? await this.o.db.transaction().execute(async (tx) => {
            const ok = await this.o.deliveries.recordAttempt(tx, d, full);
            if (ok)
              await this.o.subscriptions.end(
                tx,
                d.subscriptionId,
                'disabled',
                'the receiver answered 410 Gone',
                end,
              );
            return ok;
          })
        : await this.o.deliveries.recordAttempt(this.o.db, d, full);
    if (!kept) return 'not-recorded';
    this.o.metrics.webhookDeliveries.inc({ outcome: record.outcome });
    if (record.outcome !== 'delivered') {
      this.o.log.info(
        {
          delivery: d.id,
          event: d.eventId,
          outcome: record.outcome,
          status: record.statusCode,
          attempt: d.attempts + 1,
        },
        nextAttemptAt === undefined && record.outcome !== 'gone'
          ? 'webhook delivery failed for good; redeliver or replay it'
          : 'webhook delivery not accepted',
      );
    }
    return nextAttemptAt === undefined ? 'finished' : { outcome: record.outcome, at: nextAttemptAt };
  }
}
