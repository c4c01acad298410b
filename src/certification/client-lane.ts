import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { connect, createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { request } from 'undici';
import type { AssertionResult } from '../domain/certification/assertions';
import type { CertificationReport, RecordedMessage } from '../domain/certification/report';
import type { RenderedAwait } from '../domain/certification/runner';
import type { Observation } from '../domain/certification/template';
import { Iso20022Engine } from '../protocols/iso20022';
import {
  encodeFrame,
  FrameDecoder,
  unpack,
  type Dialect,
  type Frame,
  type LengthHeader,
  type UnpackedMessage,
} from '../protocols/iso8583';
import { loadLibxml2, type Libxml2 } from '../protocols/iso20022/libxml2-loader';
import { iso20022Checks, iso8583Checks, restChecks } from './conformance';
import { bodyForReport, httpObservation, REDACTED, SECRET_HEADERS, type XmlDoc } from './http-target';
import { iso8583Observation, recordIso8583, responseMti } from './iso8583-target';
import type { Sandbox } from './sandbox';
import { suiteDialect, type SuiteFile } from './suites';

/**
 * The certification lane: where a partner's client connects when billgate certifies it (direction 1
 * of issue 14). It listens as the bank would (ISO 8583 over TCP in the suite's dialect and framing;
 * HTTP for REST and ISO 20022), hands each message the partner sends to the step waiting for it, and
 * passes it on to the sandbox gateway behind it (a whole billgate on a scratch database with its
 * simulators: scripted biller and core-banking outcomes come from the test data the case tells the
 * partner to use), so every answer is the one billgate really gives. A step may withhold the answer
 * (lost on the way back) to see what the partner does next. What to send next is served at
 * `GET /certification/next` and printed; `/certification/session`, `/certification/script` and
 * `POST /certification/webhook-receiver` are the rest of the partner's side.
 */

export type AnswerPolicy = 'forward' | 'withhold';

export interface PartnerAnswer {
  readonly recorded: RecordedMessage;
  readonly view: Observation;
  readonly withheld: boolean;
  /** No answer came from the sandbox (closed, timed out). */
  readonly error?: string;
}

/** One message from the partner's client, read with the gateway's own readers. */
export interface PartnerMessage {
  readonly kind: string;
  /** A payment-protocol message (ISO 8583, /bill/*, /iso20022/*), as opposed to the partner API. */
  readonly protocolMessage: boolean;
  readonly recorded: RecordedMessage;
  readonly view: Observation;
  checks(now: Date): AssertionResult[];
  respond(policy: AnswerPolicy): Promise<PartnerAnswer>;
}

export interface LaneState {
  readonly phase: 'idle' | 'awaiting' | 'working' | 'finished';
  readonly step?: RenderedAwait;
  /** What the harness is doing when it is not waiting for the partner. */
  readonly doing?: string;
  readonly caseId?: string;
  readonly stepId?: string;
}

export interface CertificationLaneOptions {
  readonly suite: SuiteFile;
  readonly sandbox: Sandbox;
  readonly host?: string;
  readonly iso8583Port?: number;
  readonly httpPort?: number;
  /** Told each instruction as it becomes the current one (the CLI prints them). */
  readonly onInstruction?: (step: RenderedAwait) => void;
}

const ANSWER_TIMEOUT_MS = 30_000;
const MAX_BODY = 2 * 1024 * 1024;
const HOP_BY_HOP = new Set([
  'host',
  'connection',
  'keep-alive',
  'content-length',
  'transfer-encoding',
  'upgrade',
  'proxy-connection',
  'te',
  'trailer',
]);

/** `0200|0201`, `POST /bill/pay`, `GET /bill/pay/*` (`*`: one path segment). */
export function matchesMessage(pattern: string, kind: string): boolean {
  return pattern.split('|').some((alt) => {
    const p = alt.trim();
    if (!p.includes(' ')) return p === kind;
    const [method, path] = p.split(/\s+/, 2) as [string, string];
    const [kMethod, kPath] = kind.split(' ', 2) as [string, string | undefined];
    if (method !== kMethod || kPath === undefined) return false;
    const re = new RegExp(`^${path.split('*').map(escapeRegExp).join('[^/]+')}$`);
    return re.test(kPath);
  });
}

const escapeRegExp = (s: string): string => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');

function shownHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers)
      .filter(([k]) => !HOP_BY_HOP.has(k) && k !== 'date')
      .map(([k, v]) => [k, SECRET_HEADERS.has(k) ? REDACTED : v]),
  );
}

function flatHeaders(raw: IncomingMessage['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

export class CertificationLane {
  private readonly servers: (Server | ReturnType<typeof createTcpServer>)[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly documents: XmlDoc[] = [];
  private readonly queue: PartnerMessage[] = [];
  private waiter: { pattern: string; resolve: (m: PartnerMessage | undefined) => void } | undefined;
  private sessionActive = false;
  private state: LaneState = { phase: 'idle' };
  private receiver: { url: string; secret: string; subscriptionId: string } | undefined;
  private webhookSecret: string | undefined;
  private lastReport: CertificationReport | undefined;
  httpUrl = '';
  iso8583Address: string | undefined;

  private constructor(
    readonly options: CertificationLaneOptions,
    readonly dialect: Dialect | undefined,
    private readonly lib: Libxml2,
    private readonly engine: Iso20022Engine | undefined,
  ) {}

  static async open(o: CertificationLaneOptions): Promise<CertificationLane> {
    const protocol = o.suite.suite.protocol;
    const dialect = protocol === 'iso8583' ? suiteDialect(o.suite) : undefined;
    const engine = protocol === 'iso20022' ? await Iso20022Engine.create() : undefined;
    const lane = new CertificationLane(o, dialect, await loadLibxml2(), engine);
    try {
      await lane.listen();
    } catch (error) {
      await lane.close();
      throw error;
    }
    return lane;
  }

  get sandbox(): Sandbox {
    return this.options.sandbox;
  }

  get suite(): SuiteFile {
    return this.options.suite;
  }

  /** The partner's webhook receiver and the sandbox's whsec_ secret it must verify with. */
  get webhookReceiver(): { readonly url: string; readonly secret: string } | undefined {
    return this.receiver;
  }

  private async listen(): Promise<void> {
    const host = this.options.host ?? '127.0.0.1';
    const http = createHttpServer((req, res) => {
      this.onHttp(req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: error instanceof Error ? error.message : String(error) }));
      });
    });
    this.track(http);
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(this.options.httpPort ?? 0, host, () => resolve());
    });
    this.servers.push(http);
    this.httpUrl = `http://${host}:${(http.address() as AddressInfo).port}`;
    if (this.dialect !== undefined) {
      const upstreamPort = this.sandbox.iso8583Port;
      if (upstreamPort === undefined) throw new Error('the sandbox has no ISO 8583 lane');
      const tcp = createTcpServer((socket) => this.onIsoConnection(socket, upstreamPort));
      this.track(tcp);
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(this.options.iso8583Port ?? 0, host, () => resolve());
      });
      this.servers.push(tcp);
      this.iso8583Address = `${host}:${(tcp.address() as AddressInfo).port}`;
    }
  }

  private track(server: Server | ReturnType<typeof createTcpServer>): void {
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  // ---- sessions, as the client target drives them ----

  begin(): void {
    this.sessionActive = true;
    this.queue.length = 0;
    this.lastReport = undefined;
    this.state = { phase: 'working', doing: 'starting' };
  }

  end(report: CertificationReport | undefined): void {
    this.sessionActive = false;
    this.lastReport = report;
    this.state = { phase: 'finished' };
    const stale = this.queue.splice(0);
    for (const m of stale) void m.respond('forward');
  }

  working(doing: string, caseId?: string, stepId?: string): void {
    this.state = {
      phase: 'working',
      doing,
      ...(caseId !== undefined ? { caseId } : {}),
      ...(stepId !== undefined ? { stepId } : {}),
    };
  }

  /** Waits for the partner's next payment-protocol message (or one matching the step's pattern). */
  async take(step: RenderedAwait, timeoutMs: number): Promise<PartnerMessage | undefined> {
    this.state = { phase: 'awaiting', step, caseId: step.caseId, stepId: step.stepId };
    this.options.onInstruction?.(step);
    const queued = this.queue.shift();
    if (queued !== undefined) return queued;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve(undefined);
      }, timeoutMs);
      this.waiter = {
        pattern: step.message,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      };
    });
  }

  private arrive(m: PartnerMessage): void {
    const w = this.waiter;
    if (w !== undefined && (m.protocolMessage || matchesMessage(w.pattern, m.kind))) {
      this.waiter = undefined;
      w.resolve(m);
      return;
    }
    if (w === undefined && this.sessionActive && m.protocolMessage) {
      this.queue.push(m);
      return;
    }
    // Not part of the script (the partner API, or a message outside a session): passed through.
    void m.respond('forward');
  }

  /** Subscribes the partner's receiver in the sandbox; the secret is the sandbox's, issued once. */
  async registerReceiver(url: string): Promise<{ url: string; secret: string }> {
    if (!/^https?:\/\/\S+$/.test(url)) throw new LaneRequestError('url: an http(s) URL');
    const key = this.sandbox.partnerKey;
    const call = async (method: 'POST' | 'DELETE', path: string, body?: unknown) => {
      const res = await request(this.sandbox.httpUrl + path, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      return {
        status: res.statusCode,
        body: (await res.body.json().catch(() => ({}))) as Record<string, unknown>,
      };
    };
    if (this.receiver !== undefined) {
      await call('DELETE', `/partner/webhooks/${this.receiver.subscriptionId}`);
      this.receiver = undefined;
    }
    const created = await call('POST', '/partner/webhooks', { url });
    const sub = created.body.subscription as { id?: string } | undefined;
    if (created.status !== 201 || sub?.id === undefined) {
      throw new LaneRequestError(`the sandbox refused the subscription: ${JSON.stringify(created.body)}`);
    }
    if (typeof created.body.secret === 'string') this.webhookSecret = created.body.secret;
    if (this.webhookSecret === undefined)
      throw new Error('the sandbox partner has a webhook secret nobody kept');
    this.receiver = { url, secret: this.webhookSecret, subscriptionId: sub.id };
    return { url, secret: this.webhookSecret };
  }

  get subscriptionId(): string | undefined {
    return this.receiver?.subscriptionId;
  }

  // ---- the partner's HTTP side ----

  private async onHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > MAX_BODY) {
        res.writeHead(413).end();
        return;
      }
      chunks.push(c as Buffer);
    }
    const body = Buffer.concat(chunks).toString('utf8');
    if (url === '/certification' || url.startsWith('/certification/')) {
      this.certificationEndpoint(req.method ?? 'GET', url, body, res);
      return;
    }
    const headers = flatHeaders(req.headers);
    const method = req.method ?? 'GET';
    const pathname = url.split('?')[0] ?? url;
    const kind = `${method} ${pathname}`;
    const protocolMessage = pathname.startsWith('/bill/') || pathname.startsWith('/iso20022/');
    const iso20022 = pathname.startsWith('/iso20022/');
    const namespaces = this.suite.suite.namespaces;
    const message: PartnerMessage = {
      kind,
      protocolMessage,
      recorded: {
        protocol: 'http',
        summary: `${method} ${url}`,
        headers: shownHeaders(headers),
        ...(body !== '' ? { body: bodyForReport(body, headers['content-type']) ?? '' } : {}),
      },
      view: httpObservation(
        this.lib,
        namespaces,
        undefined,
        { ...headers, ':path': url },
        body,
        this.documents,
      ),
      checks: () =>
        iso20022 && this.engine !== undefined
          ? iso20022Checks(this.engine, headers, body)
          : protocolMessage
            ? restChecks(method, url, headers, body)
            : [],
      respond: async (policy) => {
        let status: number;
        let answerHeaders: Record<string, string>;
        let text: string;
        try {
          const upstream = await request(this.sandbox.httpUrl + url, {
            method: method as 'GET',
            headers: Object.fromEntries(Object.entries(headers).filter(([k]) => !HOP_BY_HOP.has(k))),
            ...(body !== '' || method === 'POST' || method === 'PUT' ? { body } : {}),
            headersTimeout: ANSWER_TIMEOUT_MS,
            bodyTimeout: ANSWER_TIMEOUT_MS,
          });
          status = upstream.statusCode;
          answerHeaders = {};
          for (const [k, v] of Object.entries(upstream.headers)) {
            if (v !== undefined) answerHeaders[k] = Array.isArray(v) ? v.join(', ') : v;
          }
          text = await upstream.body.text();
        } catch (error) {
          const reason = error instanceof Error ? error.message : String(error);
          res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ error: reason }));
          return {
            recorded: { protocol: 'http', summary: 'no answer from the sandbox' },
            view: { select: () => undefined },
            withheld: false,
            error: reason,
          };
        }
        if (policy === 'forward') {
          res
            .writeHead(
              status,
              Object.fromEntries(Object.entries(answerHeaders).filter(([k]) => !HOP_BY_HOP.has(k))),
            )
            .end(text);
        } else {
          req.socket.destroy();
        }
        const shownBody = bodyForReport(text, answerHeaders['content-type']);
        return {
          recorded: {
            protocol: 'http',
            summary:
              policy === 'withhold' ? `${status} (withheld: the connection was dropped)` : String(status),
            headers: shownHeaders(answerHeaders),
            ...(shownBody !== undefined ? { body: shownBody } : {}),
          },
          view: httpObservation(this.lib, namespaces, status, answerHeaders, text, this.documents),
          withheld: policy === 'withhold',
        };
      },
    };
    this.arrive(message);
  }

  private certificationEndpoint(method: string, url: string, body: string, res: ServerResponse): void {
    const json = (status: number, value: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value, null, 2));
    };
    const path = url.split('?')[0];
    if (method === 'GET' && path === '/certification/next') return json(200, this.next());
    if (method === 'GET' && path === '/certification/session') return json(200, this.session());
    if (method === 'GET' && path === '/certification/script') return json(200, this.script());
    if (method === 'GET' && path === '/certification/report') {
      return this.lastReport === undefined
        ? json(404, { error: 'no session has finished yet' })
        : json(200, this.lastReport);
    }
    if (method === 'POST' && path === '/certification/webhook-receiver') {
      let url: unknown;
      try {
        url = (JSON.parse(body) as { url?: unknown }).url;
      } catch {
        url = undefined;
      }
      if (typeof url !== 'string') return json(400, { error: 'body: {"url": "http(s)://…"}' });
      this.registerReceiver(url).then(
        (r) => json(200, r),
        (error: unknown) =>
          json(error instanceof LaneRequestError ? 400 : 502, {
            error: error instanceof Error ? error.message : String(error),
          }),
      );
      return;
    }
    json(404, { error: `no ${method} ${path}` });
  }

  /** What the partner should do now. */
  next(): Record<string, unknown> {
    const s = this.state;
    if (s.phase === 'awaiting' && s.step !== undefined) {
      const st = s.step;
      return {
        phase: 'awaiting',
        case: st.caseId,
        caseTitle: st.caseTitle,
        step: st.stepId,
        action: st.action,
        instruct: st.instruct,
        values: st.values,
        send: st.message,
        automatic: st.automatic,
      };
    }
    return {
      phase: s.phase,
      ...(s.doing !== undefined ? { doing: s.doing } : {}),
      ...(s.caseId !== undefined ? { case: s.caseId } : {}),
      ...(s.stepId !== undefined ? { step: s.stepId } : {}),
    };
  }

  session(): Record<string, unknown> {
    const p = this.sandbox.partner;
    const suite = this.suite.suite;
    return {
      partner: {
        id: p.id,
        kind: p.kind,
        payerType: p.payerType,
        ...(p.acquirer !== undefined ? { acquirer: p.acquirer } : {}),
      },
      apiKey: this.sandbox.partnerKey,
      endpoints: {
        http: this.httpUrl,
        ...(this.iso8583Address !== undefined ? { iso8583: this.iso8583Address } : {}),
        ...(this.dialect !== undefined
          ? {
              dialect: this.dialect.name,
              framing: this.dialect.conventions.framing,
            }
          : {}),
      },
      suite: { id: suite.id, version: suite.version, title: suite.title, protocol: suite.protocol },
      webhookReceiver:
        this.receiver === undefined ? null : { url: this.receiver.url, secret: this.receiver.secret },
      phase: this.state.phase,
    };
  }

  /** Every case and step the partner will be asked for, before values are filled in. */
  script(): Record<string, unknown> {
    const suite = this.suite.suite;
    return {
      suite: { id: suite.id, version: suite.version, title: suite.title },
      cases: suite.cases.map((c) => ({
        id: c.id,
        title: c.title,
        ...(c.covers !== undefined ? { covers: c.covers } : {}),
        ...(c.requires.length > 0 ? { requires: c.requires } : {}),
        steps: c.steps.map((s) =>
          s.await !== undefined
            ? {
                id: s.id,
                action: s.await.action,
                instruct: s.await.instruct,
                send: s.await.message,
                answer: s.await.answer,
                automatic: s.await.automatic,
              }
            : {
                id: s.id,
                harness:
                  s.deliver !== undefined
                    ? 'sends your receiver a delivery'
                    : s.webhook !== undefined
                      ? 'waits for a webhook delivery to your receiver'
                      : 'works',
              },
        ),
      })),
    };
  }

  // ---- the partner's ISO 8583 side ----

  private onIsoConnection(socket: Socket, upstreamPort: number): void {
    const dialect = this.dialect;
    if (dialect === undefined) {
      socket.destroy();
      return;
    }
    const framing = dialect.conventions.framing;
    const header: LengthHeader = framing.lengthHeader;
    const upstream = connect({ host: '127.0.0.1', port: upstreamPort });
    this.sockets.add(upstream);
    upstream.on('close', () => {
      this.sockets.delete(upstream);
      socket.end();
    });
    upstream.on('error', () => socket.destroy());
    socket.on('close', () => upstream.destroy());
    socket.on('error', () => upstream.destroy());
    const fromPartner = new FrameDecoder({ header, tpdu: framing.tpdu, maxFrameSize: 65535 });
    const fromSandbox = new FrameDecoder({ header, tpdu: framing.tpdu, maxFrameSize: 65535 });
    const pending = new Map<string, (f: Frame | undefined) => void>();
    const anyAnswer: ((f: Frame | undefined) => void)[] = [];
    upstream.on('data', (chunk) => {
      let frames: Frame[];
      try {
        frames = fromSandbox.push(chunk);
      } catch {
        upstream.destroy();
        return;
      }
      for (const f of frames) {
        let key: string | undefined;
        try {
          const m = unpack(dialect.spec, f.payload);
          key = `${m.mti}:${text(m.fields.get(11))}`;
        } catch {
          key = undefined;
        }
        const waiter = key !== undefined ? pending.get(key) : undefined;
        if (key !== undefined && waiter !== undefined) {
          pending.delete(key);
          waiter(f);
        } else {
          anyAnswer.shift()?.(f);
        }
      }
    });
    upstream.on('close', () => {
      for (const w of [...pending.values(), ...anyAnswer.splice(0)]) w(undefined);
      pending.clear();
    });
    socket.on('data', (chunk) => {
      let frames: Frame[];
      try {
        frames = fromPartner.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const f of frames) this.arrive(this.isoMessage(f, socket, upstream, dialect, pending, anyAnswer));
    });
  }

  private isoMessage(
    frame: Frame,
    socket: Socket,
    upstream: Socket,
    dialect: Dialect,
    pending: Map<string, (f: Frame | undefined) => void>,
    anyAnswer: ((f: Frame | undefined) => void)[],
  ): PartnerMessage {
    const header = dialect.conventions.framing.lengthHeader;
    let decoded: UnpackedMessage | undefined;
    let decodeError: string | undefined;
    try {
      decoded = unpack(dialect.spec, frame.payload);
    } catch (error) {
      decodeError = error instanceof Error ? error.message : String(error);
    }
    const kind = decoded?.mti ?? 'undecodable';
    return {
      kind,
      protocolMessage: true,
      recorded: recordIso8583(dialect, frame.payload, decoded),
      view: decoded === undefined ? { select: () => undefined } : iso8583Observation(dialect, decoded),
      checks: (now) => iso8583Checks(dialect, decoded, decodeError, now),
      respond: async (policy) => {
        const answer = new Promise<Frame | undefined>((resolve) => {
          const timer = setTimeout(() => resolve(undefined), ANSWER_TIMEOUT_MS);
          const done = (f: Frame | undefined): void => {
            clearTimeout(timer);
            resolve(f);
          };
          const stan = decoded === undefined ? '' : text(decoded.fields.get(11));
          if (decoded !== undefined && stan !== '') pending.set(`${responseMti(decoded.mti)}:${stan}`, done);
          else anyAnswer.push(done);
        });
        upstream.write(encodeFrame(frame.payload, { header, tpdu: frame.tpdu }));
        const got = await answer;
        if (got === undefined) {
          if (policy === 'forward') socket.destroy();
          return {
            recorded: {
              protocol: 'iso8583',
              summary: 'no answer: the sandbox closed the connection or timed out',
            },
            view: { select: () => undefined },
            withheld: policy === 'withhold',
            error: 'the sandbox gave no answer',
          };
        }
        if (policy === 'forward' && !socket.destroyed) {
          socket.write(encodeFrame(got.payload, { header, tpdu: got.tpdu }));
        }
        let answerDecoded: UnpackedMessage | undefined;
        try {
          answerDecoded = unpack(dialect.spec, got.payload);
        } catch {
          answerDecoded = undefined;
        }
        const recorded = recordIso8583(dialect, got.payload, answerDecoded);
        return {
          recorded:
            policy === 'withhold'
              ? { ...recorded, summary: `${recorded.summary} (withheld: never sent to the partner)` }
              : recorded,
          view:
            answerDecoded === undefined
              ? { select: () => undefined }
              : iso8583Observation(dialect, answerDecoded),
          withheld: policy === 'withhold',
        };
      },
    };
  }

  async close(): Promise<void> {
    this.waiter?.resolve(undefined);
    this.waiter = undefined;
    for (const s of this.sockets) s.destroy();
    await Promise.all(this.servers.map((srv) => new Promise<void>((resolve) => srv.close(() => resolve()))));
    for (const d of this.documents.splice(0)) d.dispose();
    this.engine?.dispose();
  }
}

export class LaneRequestError extends Error {}

function text(v: unknown): string {
  return typeof v === 'string' ? v : '';
}
