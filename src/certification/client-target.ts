import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import type { AssertionResult } from '../domain/certification/assertions';
import type { CertificationReport, RecordedMessage } from '../domain/certification/report';
import {
  runSuite,
  type CertificationTarget,
  type Exchange,
  type RenderedAwait,
  type RunOptions,
  type WebhookWait,
} from '../domain/certification/runner';
import type { Capability, Forgery } from '../domain/certification/suite';
import type { Observation } from '../domain/certification/template';
import { signedHeaders } from '../domain/webhooks/signing';
import { matchesMessage, type CertificationLane } from './client-lane';
import { jsonPath } from './http-target';

/**
 * The harness playing the bank: each step of a `role: client` suite against the certification
 * lane. `await` takes the partner's next message, judges it (the protocol's conformance checks,
 * then the case's expectations) and answers with the sandbox's real answer or withholds it;
 * `webhook` waits for the sandbox's genuine delivery to the partner's receiver and reads what the
 * receiver answered; `deliver` sends the receiver a delivery of the harness's own (a forgery the
 * receiver must refuse); `billerReversal` makes the sandbox's biller reverse a payment.
 */

const none: Observation = { select: () => undefined };
const STALE_MS = 10 * 60_000;

interface Genuine {
  readonly eventId: string;
  readonly body: string;
}

export class ClientTarget implements CertificationTarget {
  readonly capabilities = new Set<Capability>();
  private lastGenuine: Genuine | undefined;

  constructor(private readonly lane: CertificationLane) {}

  get description(): string {
    const p = this.lane.sandbox.partner;
    const where = [
      this.lane.iso8583Address !== undefined
        ? `iso8583 ${this.lane.iso8583Address} (${this.lane.dialect?.name ?? ''})`
        : undefined,
      `http ${this.lane.httpUrl}`,
    ].filter((x): x is string => x !== undefined);
    return `the client of partner ${p.id} on a certification lane (${where.join(' + ')}), answered by a sandbox billgate`;
  }

  /** Offered when the partner has named its webhook receiver by the time a case starts. */
  refreshCapabilities(): void {
    if (this.lane.webhookReceiver !== undefined) this.capabilities.add('webhooks');
    else this.capabilities.delete('webhooks');
  }

  async await(step: RenderedAwait, timeoutMs: number): Promise<Exchange> {
    const t0 = performance.now();
    const m = await this.lane.take(step, timeoutMs);
    this.lane.working(`judging ${step.stepId}`, step.caseId, step.stepId);
    const waitedFor = step.automatic
      ? `the partner's own ${step.message} (${step.action})`
      : `the partner's ${step.message} (${step.action})`;
    if (m === undefined) {
      return {
        sent: { protocol: 'http', summary: `told the partner: ${step.instruct}` },
        sentView: none,
        connection: 'open',
        elapsedMs: Math.round(performance.now() - t0),
        error: `nothing within ${timeoutMs} ms`,
        waitedFor,
      };
    }
    const kindCheck: AssertionResult = {
      description: `the partner sends ${step.message}`,
      passed: matchesMessage(step.message, m.kind),
      expected: step.message,
      actual: m.kind,
    };
    const checks = [kindCheck, ...m.checks(new Date())];
    const answer = await m.respond(step.answer);
    return {
      // From the harness's side: what it received is the partner's message, what it sent the answer.
      received: m.recorded,
      receivedView: m.view,
      sent: answer.recorded,
      sentView: answer.view,
      connection: 'open',
      elapsedMs: Math.round(performance.now() - t0),
      checks,
      ...(answer.error !== undefined ? { error: answer.error, waitedFor: 'the sandbox answer' } : {}),
    };
  }

  async webhook(wait: WebhookWait, timeoutMs: number): Promise<Exchange> {
    const t0 = performance.now();
    const receiver = this.lane.webhookReceiver;
    const sent: RecordedMessage = {
      protocol: 'webhook',
      summary: `the sandbox delivers ${wait.event} to ${receiver?.url ?? '(no receiver)'}`,
    };
    const subscription = this.lane.subscriptionId;
    if (receiver === undefined || subscription === undefined) {
      return {
        sent,
        sentView: none,
        connection: 'open',
        elapsedMs: 0,
        error: 'no webhook receiver registered',
      };
    }
    this.lane.working(`waiting for the sandbox to deliver ${wait.event}`);
    const db = this.lane.sandbox.gateway.services.database.db;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rows = await db
        .selectFrom('webhook_deliveries as d')
        .innerJoin('webhook_events as e', 'e.id', 'd.event_id')
        .select([
          'd.id',
          'd.last_status',
          'd.last_error',
          'd.attempts',
          'e.id as event_id',
          'e.body',
          'e.type',
        ])
        .where('d.subscription_id', '=', subscription)
        .where('e.type', '=', wait.event)
        .where('d.attempts', '>', 0)
        .orderBy('d.seq')
        .execute();
      const found = rows.find((r) => matchesEvent(r.body, wait));
      if (found !== undefined) {
        this.lastGenuine = { eventId: found.event_id, body: found.body };
        const status = found.last_status;
        const json = parse(found.body);
        return {
          sent,
          sentView: none,
          received: {
            protocol: 'webhook',
            summary:
              status === null
                ? `${wait.event} ${found.event_id}: the receiver gave no answer (${found.last_error ?? 'error'})`
                : `${wait.event} ${found.event_id}: the receiver answered ${status}`,
            headers: { 'webhook-id': found.event_id },
            body: found.body,
          },
          receivedView: {
            select: (kind, expr) =>
              kind === 'status'
                ? status === null
                  ? undefined
                  : String(status)
                : kind === 'json'
                  ? jsonPath(json, expr)
                  : kind === 'header' && expr.toLowerCase() === 'webhook-id'
                    ? found.event_id
                    : kind === 'body'
                      ? found.body
                      : undefined,
          },
          connection: 'open',
          elapsedMs: Math.round(performance.now() - t0),
        };
      }
      if (Date.now() > deadline) {
        return {
          sent,
          sentView: none,
          connection: 'open',
          elapsedMs: Math.round(performance.now() - t0),
          error: `no ${wait.event} delivery attempt within ${timeoutMs} ms`,
          waitedFor: 'a delivery to the partner',
        };
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async deliver(forgery: { signature: Forgery }, timeoutMs: number): Promise<Exchange> {
    const receiver = this.lane.webhookReceiver;
    const t0 = performance.now();
    const sentEmpty: RecordedMessage = { protocol: 'webhook', summary: `a ${forgery.signature} delivery` };
    if (receiver === undefined) {
      return {
        sent: sentEmpty,
        sentView: none,
        connection: 'open',
        elapsedMs: 0,
        error: 'no webhook receiver registered',
      };
    }
    this.lane.working(`sending a ${forgery.signature} delivery to the partner's receiver`);
    const body = this.lastGenuine?.body ?? syntheticEvent();
    const id = `msg_cert_${randomBytes(9).toString('hex')}`;
    const now = new Date();
    const otherSecret = `whsec_${randomBytes(24).toString('base64')}`;
    const signed = (secret: string, at: Date): Record<string, string> => ({
      ...signedHeaders([secret], id, at, body),
    });
    let headers: Record<string, string>;
    let sentBody = body;
    switch (forgery.signature) {
      case 'valid':
        headers = signed(receiver.secret, now);
        break;
      case 'wrong-secret':
        headers = signed(otherSecret, now);
        break;
      case 'tampered-body':
        headers = signed(receiver.secret, now);
        sentBody = tamperEvent(body);
        break;
      case 'stale-timestamp':
        headers = signed(receiver.secret, new Date(now.getTime() - STALE_MS));
        break;
      case 'missing': {
        const { 'webhook-signature': _dropped, ...rest } = signed(receiver.secret, now);
        headers = rest;
        break;
      }
    }
    const sent: RecordedMessage = {
      protocol: 'webhook',
      summary: `a ${forgery.signature} delivery to ${receiver.url}`,
      headers,
      body: sentBody,
    };
    try {
      const res = await request(receiver.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: sentBody,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      await res.body.dump();
      const status = res.statusCode;
      return {
        sent,
        sentView: none,
        received: { protocol: 'webhook', summary: `the receiver answered ${status}` },
        receivedView: { select: (kind) => (kind === 'status' ? String(status) : undefined) },
        connection: 'open',
        elapsedMs: Math.round(performance.now() - t0),
      };
    } catch (error) {
      return {
        sent,
        sentView: none,
        connection: 'closed',
        elapsedMs: Math.round(performance.now() - t0),
        error: error instanceof Error ? error.message : String(error),
        waitedFor: "the receiver's answer",
      };
    }
  }

  async billerReversal(r: { paymentId: string }, timeoutMs: number): Promise<Exchange> {
    const t0 = performance.now();
    const sandbox = this.lane.sandbox;
    this.lane.working(`the sandbox's biller reverses payment ${r.paymentId}`);
    const sent: RecordedMessage = {
      protocol: 'http',
      summary: `the sandbox's biller reverses payment ${r.paymentId}`,
    };
    const simulator = sandbox.gateway.simulators.biller?.url;
    const payment = await sandbox.gateway.services.database.db
      .selectFrom('payments')
      .select(['bill_type'])
      .where('id', '=', r.paymentId)
      .executeTakeFirst()
      .catch(() => undefined);
    if (simulator === undefined || payment === undefined) {
      return {
        sent,
        sentView: none,
        connection: 'open',
        elapsedMs: 0,
        error:
          payment === undefined
            ? `no payment ${r.paymentId} in the sandbox`
            : 'the sandbox has no biller simulator',
      };
    }
    const res = await request(`${simulator}/billers/${payment.bill_type.toLowerCase()}/control/reversals`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        paymentId: r.paymentId,
        gatewayUrl: sandbox.httpUrl,
        reason: 'certification: the biller reverses',
      }),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const text = await res.body.text();
    const status = res.statusCode;
    return {
      sent,
      sentView: none,
      received: { protocol: 'http', summary: String(status), body: text },
      receivedView: { select: (kind) => (kind === 'status' ? String(status) : undefined) },
      connection: 'open',
      elapsedMs: Math.round(performance.now() - t0),
    };
  }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function matchesEvent(body: string, wait: WebhookWait): boolean {
  const event = parse(body) as { data?: { paymentId?: unknown; partnerReference?: unknown } } | undefined;
  if (wait.paymentId !== undefined && event?.data?.paymentId !== wait.paymentId) return false;
  if (wait.partnerReference !== undefined && event?.data?.partnerReference !== wait.partnerReference)
    return false;
  return true;
}

/**
 * The delivery's JSON with its amount changed, still valid JSON: a receiver that only parses, and
 * does not verify, takes it for a genuine event.
 */
function tamperEvent(body: string): string {
  const event = parse(body) as { data?: Record<string, unknown> } | undefined;
  if (event?.data === undefined) return `${body} `;
  const amount = event.data.amountMinor;
  return JSON.stringify({
    ...event,
    data: { ...event.data, amountMinor: typeof amount === 'string' ? `9${amount}` : '999999' },
  });
}

function syntheticEvent(): string {
  return JSON.stringify({
    type: 'payment.reversed',
    timestamp: new Date().toISOString(),
    data: {
      paymentId: '00000000-0000-7000-8000-000000000000',
      amountMinor: '100',
      currency: 'BDT',
      initiatedBy: 'biller',
    },
  });
}

/**
 * One certification session: the suite played against the partner's client on this lane, case by
 * case, the report marked as certifying the partner's client.
 */
export async function runClientSession(
  lane: CertificationLane,
  options: Omit<RunOptions, 'direction'> = {},
): Promise<CertificationReport> {
  const target = new ClientTarget(lane);
  lane.begin();
  // Capabilities are read when each case starts: a receiver named meanwhile counts from then on.
  const proxy: CertificationTarget = {
    get description() {
      return target.description;
    },
    get capabilities() {
      target.refreshCapabilities();
      return target.capabilities;
    },
    await: (s, t) => target.await(s, t),
    webhook: (w, t) => target.webhook(w, t),
    deliver: (f, t) => target.deliver(f, t),
    billerReversal: (r, t) => target.billerReversal(r, t),
  };
  let report: CertificationReport | undefined;
  try {
    report = await runSuite(lane.suite, proxy, {
      ...options,
      partnerId: options.partnerId ?? lane.sandbox.partner.id,
      direction: 'partner-client',
    });
    return report;
  } finally {
    lane.end(report);
  }
}
