import { request, type Dispatcher } from 'undici';
import type { Exchange, RenderedHttp } from '../domain/certification/runner';
import type { RecordedMessage } from '../domain/certification/report';
import type { Observation } from '../domain/certification/template';
import { loadLibxml2, type Libxml2 } from '../protocols/iso20022/libxml2-loader';
import { maskPan } from '../protocols/iso8583';

/**
 * The harness's HTTP side, playing the partner (REST and ISO 20022 lanes) and ops (ledger effects
 * through the ops API). Assertions read the status, headers, JSON paths (`a.b[0].c`) and XPath 1.0
 * over the XML answer (libxml2, with the suite's namespace prefixes). The report gets the request
 * and the answer with Authorization and credential values redacted and card numbers masked.
 */

export interface HttpCredentials {
  /** The partner's API key or bearer token. */
  readonly partner?: string;
  readonly ops?: string;
}

/** JSON members whose values are credentials: shown as [redacted] in the report, used as they are. */
const SECRET_KEYS =
  /^(key|secret|apiKey|api_key|password|token|access_token|privateKey|keyPem|authorization)$/i;
export const SECRET_HEADERS = new Set(['authorization', 'cookie', 'set-cookie', 'x-api-key']);
export const REDACTED = '[redacted]';

/** A Luhn-valid 13-19 digit run is treated as a card number wherever it appears in a body. */
function maskCardNumbers(text: string): string {
  return text.replace(/(?<!\d)\d{13,19}(?!\d)/g, (digits) => (luhn(digits) ? maskPan(digits) : digits));
}

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

function redactJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactJson);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        SECRET_KEYS.test(k) && typeof v === 'string' ? REDACTED : redactJson(v),
      ]),
    );
  }
  return value;
}

export function bodyForReport(text: string | undefined, contentType: string | undefined): string | undefined {
  if (text === undefined || text === '') return undefined;
  if (contentType?.includes('json') === true) {
    try {
      return maskCardNumbers(JSON.stringify(redactJson(JSON.parse(text)), null, 2));
    } catch {
      // Malformed JSON (a case sending it on purpose) is shown as it was sent.
    }
  }
  return maskCardNumbers(text);
}

/** `a.b[0].c` or `$.a.b[0].c`; scalars as strings, objects and arrays as their JSON. */
export function jsonPath(value: unknown, path: string): string | undefined {
  const tokens = path
    .replace(/^\$\.?/, '')
    .split(/\.|\[(\d+)\]/)
    .filter((t) => t !== undefined && t !== '');
  let cur: unknown = value;
  for (const t of tokens) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = Array.isArray(cur) ? cur[Number(t)] : (cur as Record<string, unknown>)[t];
  }
  if (cur === undefined) return undefined;
  return typeof cur === 'string' ? cur : JSON.stringify(cur);
}

export type XmlDoc = InstanceType<Libxml2['XmlDocument']>;

export class HttpTarget {
  private readonly documents: XmlDoc[] = [];

  private constructor(
    readonly baseUrl: string,
    private readonly credentials: HttpCredentials,
    private readonly namespaces: Readonly<Record<string, string>>,
    private readonly lib: Libxml2,
    private readonly dispatcher: Dispatcher | undefined,
  ) {}

  static async open(
    baseUrl: string,
    credentials: HttpCredentials,
    namespaces: Readonly<Record<string, string>> = {},
    dispatcher?: Dispatcher,
  ): Promise<HttpTarget> {
    return new HttpTarget(
      baseUrl.replace(/\/$/, ''),
      credentials,
      namespaces,
      await loadLibxml2(),
      dispatcher,
    );
  }

  async exchange(r: RenderedHttp, timeoutMs: number): Promise<Exchange> {
    const headers: Record<string, string> = { ...r.headers };
    const bearer =
      typeof r.auth === 'object' ? r.auth.bearer : r.auth === 'none' ? undefined : this.credentials[r.auth];
    if (r.auth !== 'none' && bearer === undefined) {
      throw new Error(
        `no ${typeof r.auth === 'string' ? r.auth : 'bearer'} credential for ${this.baseUrl} (--key / --ops-key)`,
      );
    }
    if (bearer !== undefined) headers.authorization = `Bearer ${bearer}`;
    const sentHeaders = Object.fromEntries(
      Object.entries(headers).map(([k, v]) => [k, SECRET_HEADERS.has(k) ? REDACTED : v]),
    );
    const sent: RecordedMessage = {
      protocol: 'http',
      summary: `${r.method} ${r.path}`,
      headers: sentHeaders,
      ...(r.body !== undefined ? { body: bodyForReport(r.body, headers['content-type']) ?? '' } : {}),
    };
    const sentView = this.view(undefined, headers, r.body);
    const t0 = performance.now();
    let res: Dispatcher.ResponseData;
    let text: string;
    try {
      res = await request(this.baseUrl + r.path, {
        method: r.method,
        headers,
        ...(r.body !== undefined ? { body: r.body } : {}),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        ...(this.dispatcher !== undefined ? { dispatcher: this.dispatcher } : {}),
      });
      text = await res.body.text();
    } catch (error) {
      return {
        sent,
        sentView,
        connection: 'closed',
        elapsedMs: Math.round(performance.now() - t0),
        error: error instanceof Error ? error.message : String(error),
      };
    }
    const elapsedMs = Math.round(performance.now() - t0);
    const resHeaders: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) {
      if (v === undefined) continue;
      resHeaders[k] = Array.isArray(v) ? v.join(', ') : v;
    }
    const shownHeaders = Object.fromEntries(
      Object.entries(resHeaders)
        .filter(([k]) => !['date', 'connection', 'keep-alive', 'content-length'].includes(k))
        .map(([k, v]) => [k, SECRET_HEADERS.has(k) ? REDACTED : v]),
    );
    const body = bodyForReport(text, resHeaders['content-type']);
    return {
      sent,
      sentView,
      received: {
        protocol: 'http',
        summary: String(res.statusCode),
        headers: shownHeaders,
        ...(body !== undefined ? { body } : {}),
      },
      receivedView: this.view(res.statusCode, resHeaders, text),
      connection: 'open',
      elapsedMs,
    };
  }

  private view(
    status: number | undefined,
    headers: Record<string, string>,
    text: string | undefined,
  ): Observation {
    return httpObservation(this.lib, this.namespaces, status, headers, text, this.documents);
  }

  close(): void {
    for (const d of this.documents.splice(0)) d.dispose();
  }
}

/**
 * An HTTP message as assertions see it: status, headers (a request's path and query as the
 * pseudo-header `:path`), the body, JSON paths and XPath over XML (parsed once, on first use; the
 * document is kept in `documents` until its owner disposes of it).
 */
export function httpObservation(
  lib: Libxml2,
  namespaces: Readonly<Record<string, string>>,
  status: number | undefined,
  headers: Record<string, string>,
  text: string | undefined,
  documents: XmlDoc[],
): Observation {
  let json: unknown;
  let jsonRead = false;
  let doc: XmlDoc | null | undefined;
  const readJson = (): unknown => {
    if (!jsonRead) {
      jsonRead = true;
      try {
        json = text === undefined || text === '' ? undefined : JSON.parse(text);
      } catch {
        json = undefined;
      }
    }
    return json;
  };
  const readXml = (): XmlDoc | null => {
    if (doc === undefined) {
      try {
        doc = text === undefined || text === '' ? null : lib.XmlDocument.fromString(text);
        if (doc !== null) documents.push(doc);
      } catch {
        doc = null;
      }
    }
    return doc;
  };
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    secret: (kind, expr) =>
      (kind === 'json' &&
        SECRET_KEYS.test(
          expr
            .split(/[.[\]]/)
            .filter(Boolean)
            .pop() ?? '',
        )) ||
      (kind === 'header' && SECRET_HEADERS.has(expr.toLowerCase())) ||
      kind === 'body',
    select: (kind, expr) => {
      switch (kind) {
        case 'status':
          return status === undefined ? undefined : String(status);
        case 'header':
          return lower[expr.toLowerCase()];
        case 'body':
          return text;
        case 'json':
          return jsonPath(readJson(), expr);
        case 'xpath':
          return xpathValue(readXml(), expr, namespaces);
        default:
          return undefined;
      }
    },
  };
}

function xpathValue(
  doc: XmlDoc | null,
  expr: string,
  ns: Readonly<Record<string, string>>,
): string | undefined {
  if (doc === null) return undefined;
  const result = doc.eval(expr, { ...ns });
  if (Array.isArray(result)) return result[0]?.content;
  return String(result);
}
