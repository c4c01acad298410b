import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { demoBillerSecret } from '../../src/demo/demo-biller-secrets';
import { call, type HttpAnswer } from './http';

/** A biller's signed reversal request, as a biller would send it (Standard Webhooks headers). */
export function billerReversal(
  baseUrl: string,
  billerId: string,
  body: Record<string, unknown>,
  options: { secret?: string; at?: Date; tamper?: (raw: string) => string } = {},
): Promise<HttpAnswer<Record<string, unknown>>> {
  const raw = JSON.stringify(body);
  const id = `msg_${randomUUID()}`;
  const at = options.at ?? new Date();
  const signature = new Webhook(options.secret ?? demoBillerSecret(billerId)).sign(id, at, raw);
  return call(baseUrl, 'POST', `/billers/${billerId}/reversals`, {
    rawBody: options.tamper?.(raw) ?? raw,
    headers: {
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': signature,
    },
  });
}

/** Waits until `check` answers something other than undefined, or fails after `ms`. */
export async function eventually<T>(
  check: () => T | undefined | Promise<T | undefined>,
  ms = 10_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`not reached within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
