import { randomBytes } from 'node:crypto';
import { request, type Dispatcher } from 'undici';
import { WebhookReceiver, type ReceivedWebhook } from '../cli/webhook-receiver';
import type { RecordedMessage } from '../domain/certification/report';
import type { Exchange, WebhookWait } from '../domain/certification/runner';
import { SuiteError } from '../domain/certification/suite';
import type { Observation } from '../domain/certification/template';
import { verifySigned } from '../domain/webhooks/signing';
import { jsonPath } from './http-target';

/**
 * The harness's webhook side, playing the partner's receiver: the same receiver `billgate webhooks
 * listen` runs (Standard Webhooks verification with the partner's whsec_ secret), on a local port,
 * subscribed through the partner API for the length of the run and unsubscribed afterwards. A
 * `webhook` step waits for the delivery it names and judges its signature: that it verifies over
 * the exact bytes, and that the same headers over a tampered body, or under another secret, do not.
 */

export interface WebhookTargetOptions {
  /** Where the receiver listens (default 127.0.0.1, any free port). */
  readonly host?: string;
  readonly port?: number;
  /**
   * The URL the gateway is told to call, when it reaches the harness by another address than the one
   * it listens on (a NAT, a tunnel); the receiver's own URL otherwise.
   */
  readonly publicUrl?: string;
  /** The partner's whsec_ secret, when it already has one (the gateway returns it only when it issues it). */
  readonly secret?: string;
}

interface Subscription {
  readonly id: string;
  readonly url: string;
}

export const tamper = (body: string): string => {
  if (body.length === 0) return ' ';
  const last = body.charCodeAt(body.length - 1);
  return body.slice(0, -1) + String.fromCharCode(last === 0x7d ? 0x20 : 0x7d);
};

function shownHeaders(d: ReceivedWebhook): Record<string, string | undefined> {
  return {
    'webhook-id': d.id,
    'webhook-timestamp': d.timestamp,
    'webhook-signature': d.signatures.join(' '),
  };
}

export class WebhookTarget {
  private constructor(
    private readonly receiver: WebhookReceiver,
    private readonly secrets: string[],
    private readonly subscription: Subscription,
    private readonly unsubscribe: () => Promise<void>,
  ) {}

  get description(): string {
    return `webhooks ${this.subscription.url}`;
  }

  /**
   * Starts the receiver and subscribes it with the partner's credential. The secret comes back from
   * the gateway when this is the partner's first webhook secret; otherwise it must be given.
   */
  static async open(
    baseUrl: string,
    partnerKey: string,
    o: WebhookTargetOptions,
    dispatcher?: Dispatcher,
  ): Promise<WebhookTarget> {
    const secrets: string[] = o.secret !== undefined ? [o.secret] : [];
    const receiver = new WebhookReceiver({ secrets });
    const local = await receiver.start(o.port ?? 0, o.host ?? '127.0.0.1');
    const url = o.publicUrl ?? local;
    const call = (method: 'POST' | 'DELETE', path: string, body?: unknown) =>
      request(baseUrl + path, {
        method,
        headers: {
          authorization: `Bearer ${partnerKey}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        ...(dispatcher !== undefined ? { dispatcher } : {}),
      });
    try {
      const res = await call('POST', '/partner/webhooks', { url });
      const answer = (await res.body.json().catch(() => ({}))) as {
        subscription?: { id?: string };
        secret?: string;
        detail?: string;
      };
      if (res.statusCode !== 201 || answer.subscription?.id === undefined) {
        throw new SuiteError(
          `subscribing the harness's webhook receiver ${url}: HTTP ${res.statusCode} ${answer.detail ?? ''}`.trim(),
        );
      }
      const id = answer.subscription.id;
      if (answer.secret !== undefined) secrets.push(answer.secret);
      const unsubscribe = async (): Promise<void> => {
        const r = await call('DELETE', `/partner/webhooks/${encodeURIComponent(id)}`);
        await r.body.dump();
      };
      if (secrets.length === 0) {
        await unsubscribe();
        throw new SuiteError(
          'the partner already has a webhook secret: pass it (--webhook-secret or BILLGATE_CERTIFY_WEBHOOK_SECRET)',
        );
      }
      return new WebhookTarget(receiver, secrets, { id, url }, unsubscribe);
    } catch (error) {
      await receiver.stop();
      throw error;
    }
  }

  /** Waits for the first delivery of the event that names the payment (or partner reference). */
  async exchange(wait: WebhookWait, timeoutMs: number): Promise<Exchange> {
    const criteria = [
      `type ${wait.event}`,
      ...(wait.paymentId !== undefined ? [`paymentId ${wait.paymentId}`] : []),
      ...(wait.partnerReference !== undefined ? [`partnerReference ${wait.partnerReference}`] : []),
    ].join(', ');
    const sent: RecordedMessage = { protocol: 'webhook', summary: `waiting for a delivery: ${criteria}` };
    const t0 = performance.now();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const d = this.receiver.received.find((x) => matches(x, wait));
      if (d !== undefined) {
        return {
          sent,
          sentView: { select: () => undefined },
          received: {
            protocol: 'webhook',
            summary: `${wait.event} delivery ${d.id} (receiver answered ${d.status})`,
            headers: Object.fromEntries(
              Object.entries(shownHeaders(d)).filter((e): e is [string, string] => e[1] !== undefined),
            ),
            body: d.body,
          },
          receivedView: this.view(d),
          connection: 'open',
          elapsedMs: Math.round(performance.now() - t0),
        };
      }
      if (Date.now() > deadline) {
        return {
          sent,
          sentView: { select: () => undefined },
          connection: 'open',
          elapsedMs: Math.round(performance.now() - t0),
          error: `no ${wait.event} delivery (${criteria}) within ${timeoutMs} ms`,
        };
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private view(d: ReceivedWebhook): Observation {
    const headers = shownHeaders(d);
    let json: unknown;
    try {
      json = JSON.parse(d.body);
    } catch {
      json = undefined;
    }
    // Judged when the step looks, within the 5-minute tolerance of a delivery just received.
    const other = `whsec_${randomBytes(24).toString('base64')}`;
    return {
      select: (kind, expr) => {
        switch (kind) {
          case 'json':
            return jsonPath(json, expr);
          case 'header':
            return headers[expr.toLowerCase()];
          case 'body':
            return d.body;
          case 'status':
            return String(d.status);
          case 'signature':
            if (expr === 'verifies') return String(d.verified);
            if (expr === 'verifies-tampered-body')
              return String(verifySigned(this.secrets, tamper(d.body), headers));
            if (expr === 'verifies-other-secret') return String(verifySigned([other], d.body, headers));
            return undefined;
          default:
            return undefined;
        }
      },
    };
  }

  async close(): Promise<void> {
    await this.unsubscribe().catch(() => undefined);
    await this.receiver.stop();
  }
}

function matches(d: ReceivedWebhook, wait: WebhookWait): boolean {
  let event: { type?: unknown; data?: { paymentId?: unknown; partnerReference?: unknown } };
  try {
    event = JSON.parse(d.body) as typeof event;
  } catch {
    return false;
  }
  if (event.type !== wait.event) return false;
  if (wait.paymentId !== undefined && event.data?.paymentId !== wait.paymentId) return false;
  if (wait.partnerReference !== undefined && event.data?.partnerReference !== wait.partnerReference)
    return false;
  return true;
}
