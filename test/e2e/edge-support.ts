import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'undici';
import { ManualClock } from '../../src/lanes/security/clock';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { call, type HttpAnswer } from '../support/http';
import { payBody } from '../support/payments';

export interface Pem {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface EdgeGateway {
  readonly gw: TestGateway;
  readonly clock: ManualClock;
  readonly certsDir: string;
  readonly caPem: string;
  readonly ca: Pem;
  readonly fintech: Pem;
  readonly mtlsUrl: string;
  readonly plainUrl: string;
}

/** A whole gateway on a fresh database, a temporary CERTS_DIR and a clock the test moves. */
export async function startEdgeGateway(env: Record<string, string> = {}): Promise<EdgeGateway> {
  const certsDir = mkdtempSync(join(tmpdir(), 'billgate-certs-'));
  const clock = new ManualClock(new Date());
  const gw = await startTestGateway(
    { MTLS_PORT: '0', ISO8583_PORT: '0', CERTS_DIR: certsDir, ...env },
    { clock },
  );
  // API keys seeded at start are valid from the database's now(): start the test clock after them.
  clock.set(Date.now() + 1000);
  const read = (p: string) => readFileSync(join(certsDir, p), 'utf8');
  const mtlsUrl = gw.httpLanes['public-mtls'];
  const plainUrl = gw.httpLanes['http-plain'];
  if (mtlsUrl === undefined || plainUrl === undefined) throw new Error('lanes missing');
  return {
    gw,
    clock,
    certsDir,
    caPem: read('ca.crt'),
    ca: { certPem: read('ca.crt'), keyPem: read('ca.key') },
    fintech: { certPem: read('partners/demo-fintech.crt'), keyPem: read('partners/demo-fintech.key') },
    mtlsUrl,
    plainUrl,
  };
}

/** A client connection pool presenting `client` (or no certificate), optionally from another source address. */
export function mtlsAgent(caPem: string, client?: Pem, localAddress?: string): Agent {
  return new Agent({
    connect: {
      ca: caPem,
      ...(client !== undefined ? { cert: client.certPem, key: client.keyPem } : {}),
      servername: 'localhost',
    },
    // undici takes the source address as a client option (it is not passed through `connect`)
    ...(localAddress !== undefined ? { localAddress } : {}),
  });
}

/** A partner's call over its own connection pool (client certificate, source address). */
export function send<T = Record<string, unknown>>(
  agent: Agent | undefined,
  url: string,
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  options: { bearer?: string; body?: unknown; form?: Record<string, string>; idempotencyKey?: string } = {},
): Promise<HttpAnswer<T>> {
  return call<T>(url, method, path, {
    ...(options.bearer !== undefined ? { key: options.bearer } : {}),
    ...(options.idempotencyKey !== undefined ? { idempotencyKey: options.idempotencyKey } : {}),
    ...(options.form !== undefined
      ? {
          rawBody: new URLSearchParams(options.form).toString(),
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        }
      : options.body !== undefined
        ? { body: options.body }
        : {}),
    ...(agent !== undefined ? { dispatcher: agent } : {}),
  });
}

export async function token(agent: Agent, url: string): Promise<string> {
  const res = await send<{ access_token: string }>(agent, url, 'POST', '/oauth/token', {
    form: { grant_type: 'client_credentials' },
  });
  if (res.status !== 200) throw new Error(`token: ${res.status} ${res.text}`);
  return res.body.access_token;
}

export function payOver(agent: Agent | undefined, url: string, bearer: string | undefined) {
  return send(agent, url, 'POST', '/bill/pay', {
    ...(bearer !== undefined ? { bearer } : {}),
    idempotencyKey: randomUUID(),
    body: payBody(),
  });
}

/** Resolves to the error when the request fails below HTTP (refused handshake, closed connection). */
export async function transportError(p: Promise<unknown>): Promise<string> {
  try {
    const r = await p;
    return `unexpectedly answered: ${JSON.stringify((r as { status?: number }).status)}`;
  } catch (e: unknown) {
    const err = e as { code?: string; cause?: { code?: string }; message?: string };
    return err.code ?? err.cause?.code ?? err.message ?? 'error';
  }
}
