import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { verifySigned } from '../domain/webhooks/signing';

/** One delivery as a partner's receiver saw it. */
export interface ReceivedWebhook {
  readonly id: string;
  readonly timestamp: string;
  readonly signatures: readonly string[];
  readonly body: string;
  /** Whether a signature verified with the receiver's secret (and the timestamp was fresh). */
  readonly verified: boolean;
  /** What the receiver answered. */
  readonly status: number;
}

export interface WebhookReceiverOptions {
  /** The partner's whsec_ secrets; a delivery is verified when any of them verifies it. */
  readonly secrets: readonly string[];
  /** Answer the first N deliveries with failStatus (default 500), to exercise the sender's retries. */
  readonly failFirst?: number;
  readonly failStatus?: number;
  /** Sent as Retry-After with the failing answers. */
  readonly retryAfter?: string;
  readonly onDelivery?: (d: ReceivedWebhook) => void;
}

/**
 * What a partner runs to receive billgate's webhooks, in the way the README tells partners to: the
 * exact body, verified by the `standardwebhooks` library with the partner's secret, 204 when it
 * verifies, 401 when it does not. Used by `billgate webhooks listen` and by the specs.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private failuresLeft: number;
  url = '';

  constructor(private readonly o: WebhookReceiverOptions) {
    this.failuresLeft = o.failFirst ?? 0;
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const header = (name: string): string => {
          const v = req.headers[name];
          return Array.isArray(v) ? (v[0] ?? '') : (v ?? '');
        };
        const headers = {
          'webhook-id': header('webhook-id'),
          'webhook-timestamp': header('webhook-timestamp'),
          'webhook-signature': header('webhook-signature'),
        };
        // The same verification the gateway applies to billers' signed requests (signing.ts).
        const verified = verifySigned(this.o.secrets, body, headers);
        let status = verified ? 204 : 401;
        if (verified && this.failuresLeft > 0) {
          this.failuresLeft -= 1;
          status = this.o.failStatus ?? 500;
        }
        const d: ReceivedWebhook = {
          id: headers['webhook-id'],
          timestamp: headers['webhook-timestamp'],
          signatures: headers['webhook-signature'].split(' ').filter((s) => s.length > 0),
          body,
          verified,
          status,
        };
        this.received.push(d);
        this.o.onDelivery?.(d);
        const failing = status !== 204 && status !== 401 && this.o.retryAfter !== undefined;
        res.writeHead(status, failing ? { 'retry-after': this.o.retryAfter } : {}).end();
      });
    });
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    this.url = `http://${host}:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  /** The deliveries that verified and were accepted (2xx). */
  accepted(): ReceivedWebhook[] {
    return this.received.filter((d) => d.verified && d.status < 300);
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
