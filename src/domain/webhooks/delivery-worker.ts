import type { Logger } from '../../infrastructure/logging/logger';
import type { Metrics } from '../../infrastructure/metrics/metrics';
import type { WebhookSender } from '../../infrastructure/http/webhook-sender';
import type { Db } from '../db';
import type { AttemptRecord, ClaimedDelivery, WebhookDeliveriesRepository } from './deliveries.repository';
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
  readonly pollMs: number;
  readonly batchSize: number;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly random?: () => number;
}

/**
 * Sends the outbox's deliveries, at least once, from any number of nodes: each attempt is made under
 * a lease longer than the request's timeout, so a node that dies mid-send leaves the delivery to be
 * leased again (a receiver may then see it twice, with the same webhook-id, and deduplicate).
 */
export class WebhookDeliveryWorker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private lastStatsAt = 0;

  constructor(private readonly o: DeliveryWorkerOptions) {}

  private get leaseMs(): number {
    return this.o.timeoutMs * 2 + 5_000;
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick()
        .then((busy) => this.schedule(busy ? 0 : this.o.pollMs))
        .catch((error: unknown) => {
          this.o.log.warn(
            { err: error instanceof Error ? error.message : String(error) },
            'webhook tick failed',
          );
          this.schedule(this.o.pollMs);
        });
    }, ms);
    this.timer.unref();
  }

  /** One round: sends a batch of due deliveries. Answers whether it sent any (more may be due now). */
  async tick(now = new Date()): Promise<boolean> {
    if (now.getTime() - this.lastStatsAt > 2_000) {
      this.lastStatsAt = now.getTime();
      const stats = await this.o.deliveries.stats(this.o.db, now);
      this.o.metrics.webhookPending.set(stats.pending);
      this.o.metrics.webhookOldestPendingAge.set(stats.oldestPendingAgeSeconds);
    }
    const claimed = await this.o.deliveries.claimDue(this.o.db, now, this.o.batchSize, this.leaseMs);
    // One look-up of each partner's secrets per batch: fresh after a rotation, cheap under load.
    const secrets = new Map<string, Promise<readonly string[]>>();
    const secretsOf = (partnerId: string): Promise<readonly string[]> => {
      let s = secrets.get(partnerId);
      if (s === undefined) {
        s = this.o.secretsOf(partnerId);
        secrets.set(partnerId, s);
      }
      return s;
    };
    await Promise.all(claimed.map(async (d) => this.deliver(d, await secretsOf(d.partnerId))));
    return claimed.length > 0;
  }

  /** Sends everything due until nothing is (tests and the CLI drain with it). */
  async drain(maxRounds = 1_000): Promise<void> {
    for (let i = 0; i < maxRounds && (await this.tick()); i += 1);
  }

  private async deliver(d: ClaimedDelivery, secrets: readonly string[]): Promise<void> {
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
    if (!kept) return;
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
  }
}
