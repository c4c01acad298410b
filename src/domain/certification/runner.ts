import { randomUUID } from 'node:crypto';
import { evaluateAssertion, type AssertionResult } from './assertions';
import {
  overallResult,
  REPORT_SCHEMA,
  type CaseReport,
  type CertificationReport,
  type RecordedMessage,
  type StepReport,
} from './report';
import type {
  AwaitMessage,
  Capability,
  Forgery,
  HttpRequest,
  Iso8583Message,
  LoadedSuite,
  Step,
  Suite,
  SuiteCase,
} from './suite';
import {
  mergeOver,
  renderString,
  renderValue,
  TemplateError,
  ValueGenerator,
  type Observation,
  type StepRecord,
  type TemplateScope,
} from './template';

/**
 * Plays a suite against a target, case by case, step by step. The runner knows no protocol: each
 * step is rendered from its template and handed to the target's adapter, which sends it, reads the
 * answer and records both (masked) for the report.
 */

export type FieldInput = string | Readonly<Record<string, string>>;

export interface RenderedIso8583 {
  readonly mti: string;
  readonly fields: Readonly<Record<string, FieldInput>>;
  readonly rawHex?: string;
  readonly unframed?: boolean;
}

export type HttpAuth = 'partner' | 'ops' | 'none' | { readonly bearer: string };

export interface RenderedHttp {
  readonly method: NonNullable<HttpRequest['method']>;
  readonly path: string;
  readonly auth: HttpAuth;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** An `await` step as the partner is told it: rendered, with the case and step it belongs to. */
export interface RenderedAwait {
  readonly caseId: string;
  readonly caseTitle: string;
  readonly stepId: string;
  readonly action: string;
  readonly instruct: string;
  readonly values: Readonly<Record<string, string>>;
  readonly message: string;
  readonly answer: AwaitMessage['answer'];
  readonly automatic: boolean;
}

export interface Exchange {
  readonly sent: RecordedMessage;
  readonly sentView: Observation;
  readonly received?: RecordedMessage;
  readonly receivedView?: Observation;
  readonly connection: 'open' | 'closed';
  readonly elapsedMs: number;
  /** Set when no answer came (timeout, refused, closed before answering). */
  readonly error?: string;
  /** What `error` means was missing (default: an answer); named in the failed assertion. */
  readonly waitedFor?: string;
  /**
   * Judgements the adapter makes on every message of its protocol before the step's own
   * expectations: a partner's message decodes in its dialect, passes its XSD, carries its key.
   */
  readonly checks?: readonly AssertionResult[];
}

/** Which delivery a `webhook` step waits for. */
export interface WebhookWait {
  readonly event: string;
  readonly paymentId?: string;
  readonly partnerReference?: string;
}

/** What a suite is played against: one adapter per kind of step, and what the target offers. */
export interface CertificationTarget {
  readonly description: string;
  readonly capabilities: ReadonlySet<Capability>;
  iso8583?(message: RenderedIso8583, timeoutMs: number): Promise<Exchange>;
  http?(request: RenderedHttp, timeoutMs: number): Promise<Exchange>;
  webhook?(wait: WebhookWait, timeoutMs: number): Promise<Exchange>;
  /** Playing the bank: the partner's next message (`await` steps). */
  await?(expected: RenderedAwait, timeoutMs: number): Promise<Exchange>;
  /** Playing the bank: a delivery of the harness's own to the partner's webhook receiver. */
  deliver?(forgery: { signature: Forgery }, timeoutMs: number): Promise<Exchange>;
  /** Playing the bank: the sandbox's biller reverses a payment. */
  billerReversal?(reversal: { paymentId: string }, timeoutMs: number): Promise<Exchange>;
  /** Body files referenced by `bodyFile`, read from the suite's own directory. */
  readFile?(name: string): string;
}

export interface RunOptions {
  readonly inputs?: Readonly<Record<string, string>>;
  readonly partnerId?: string;
  readonly laneId?: string;
  /** Only these cases (ids); all when absent. */
  readonly cases?: readonly string[];
  readonly now?: () => Date;
  readonly defaultTimeoutMs?: number;
  /** Set when the harness plays the bank and the report certifies a partner's client. */
  readonly direction?: CertificationReport['direction'];
}

function renderIso8583(suite: Suite, m: Iso8583Message, scope: TemplateScope): RenderedIso8583 {
  const base = m.template !== undefined ? suite.templates[m.template]?.iso8583 : undefined;
  const mti = m.mti ?? base?.mti;
  const fields = mergeOver(base?.fields ?? {}, m.fields ?? {}) as Record<string, FieldInput | null>;
  const rendered: Record<string, FieldInput> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (v === null) continue;
    rendered[k] = renderValue(v, scope) as FieldInput;
  }
  const rawHex = m.rawHex ?? base?.rawHex;
  if (mti === undefined && rawHex === undefined) throw new TemplateError('an ISO 8583 step needs an mti');
  return {
    mti: renderString(mti ?? '', scope),
    fields: rendered,
    ...(rawHex !== undefined ? { rawHex: renderString(rawHex, scope) } : {}),
    ...((m.unframed ?? base?.unframed) === true ? { unframed: true } : {}),
  };
}

function renderHttp(
  suite: Suite,
  r: HttpRequest,
  outer: TemplateScope,
  target: CertificationTarget,
): RenderedHttp {
  const base = r.template !== undefined ? suite.templates[r.template]?.http : undefined;
  const vars: Record<string, string> = {};
  const scope: TemplateScope = { ...outer, vars };
  for (const [k, v] of Object.entries({ ...base?.vars, ...r.vars })) vars[k] = renderString(v, scope);
  const method = r.method ?? base?.method ?? 'POST';
  const path = r.path ?? base?.path;
  if (path === undefined) throw new TemplateError('an HTTP step needs a path');
  const headers: Record<string, string> = {};
  const merged = mergeOver(base?.headers ?? {}, r.headers ?? {}) as Record<string, string | null>;
  for (const [k, v] of Object.entries(merged))
    if (v !== null) headers[k.toLowerCase()] = renderString(v, scope);
  let body: string | undefined;
  // `json: null` in a step drops the template's JSON body (a step sending malformed text instead).
  const json =
    r.json === null
      ? undefined
      : r.json !== undefined || base?.json !== undefined
        ? mergeOver(base?.json, r.json)
        : undefined;
  const bodyFile = r.bodyFile ?? base?.bodyFile;
  if (json !== undefined) {
    body = JSON.stringify(renderValue(json, scope));
    headers['content-type'] ??= 'application/json';
  } else if (r.body !== undefined || base?.body !== undefined) {
    body = renderString(r.body ?? base?.body ?? '', scope);
  } else if (bodyFile !== undefined) {
    if (target.readFile === undefined) throw new TemplateError(`bodyFile ${bodyFile}: no suite directory`);
    body = renderString(target.readFile(bodyFile), scope);
  }
  const contentType = r.contentType ?? base?.contentType;
  if (contentType !== undefined) headers['content-type'] = contentType;
  const auth = r.auth ?? base?.auth ?? 'partner';
  return {
    method,
    path: renderString(path, scope),
    auth: typeof auth === 'string' ? auth : { bearer: renderString(auth.bearer, scope) },
    headers,
    ...(body !== undefined ? { body } : {}),
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const emptyView: Observation = { select: () => undefined };

/**
 * One step; a polled HTTP step (`pollForMs`) is sent again until its expectations hold or its time
 * is up, and reported as its last attempt with the number of attempts.
 */
async function runStep(
  suite: Suite,
  c: SuiteCase,
  step: Step,
  scope: TemplateScope,
  target: CertificationTarget,
  records: Map<string, StepRecord>,
  now: () => Date,
  defaultTimeoutMs: number,
): Promise<StepReport> {
  const first = await runStepOnce(suite, c, step, scope, target, records, now, defaultTimeoutMs);
  if (step.pollForMs === undefined || first.status === 'passed' || first.error !== undefined) return first;
  const t0 = performance.now();
  let last = first;
  let attempts = 1;
  while (last.status !== 'passed' && performance.now() - t0 < step.pollForMs) {
    await sleep(step.pollEveryMs ?? 1000);
    last = await runStepOnce(suite, c, step, scope, target, records, now, defaultTimeoutMs);
    attempts += 1;
  }
  const waited = `${attempts} attempts over ${Math.round(performance.now() - t0)} ms`;
  return {
    ...last,
    startedAt: first.startedAt ?? last.startedAt,
    description:
      step.description === undefined ? `polled: ${waited}` : `${step.description} (polled: ${waited})`,
  };
}

async function runStepOnce(
  suite: Suite,
  c: SuiteCase,
  step: Step,
  scope: TemplateScope,
  target: CertificationTarget,
  records: Map<string, StepRecord>,
  now: () => Date,
  defaultTimeoutMs: number,
): Promise<StepReport> {
  const startedAt = now().toISOString();
  const t0 = performance.now();
  const timeoutMs = step.timeoutMs ?? defaultTimeoutMs;
  const fail = (error: string): StepReport => ({
    id: step.id,
    ...(step.description !== undefined ? { description: step.description } : {}),
    status: 'failed',
    startedAt,
    elapsedMs: Math.round(performance.now() - t0),
    error,
    assertions: [],
  });
  let exchange: Exchange;
  try {
    if (step.waitMs !== undefined) {
      await sleep(step.waitMs);
      records.set(step.id, { sent: emptyView, received: undefined });
      return { id: step.id, status: 'passed', startedAt, elapsedMs: step.waitMs, assertions: [] };
    }
    if (step.iso8583 !== undefined) {
      if (target.iso8583 === undefined)
        return fail('the target has no ISO 8583 connection (--target host:port)');
      exchange = await target.iso8583(renderIso8583(suite, step.iso8583, scope), timeoutMs);
    } else if (step.http !== undefined) {
      if (target.http === undefined) return fail('the target has no HTTP base URL (--http URL)');
      exchange = await target.http(renderHttp(suite, step.http, scope, target), timeoutMs);
    } else if (step.webhook !== undefined) {
      if (target.webhook === undefined) return fail('the target delivers no webhooks to this harness');
      const paymentId =
        step.webhook.paymentId !== undefined ? renderString(step.webhook.paymentId, scope) : undefined;
      const partnerReference =
        step.webhook.partnerReference !== undefined
          ? renderString(step.webhook.partnerReference, scope)
          : undefined;
      exchange = await target.webhook(
        {
          event: step.webhook.event,
          ...(paymentId !== undefined ? { paymentId } : {}),
          ...(partnerReference !== undefined ? { partnerReference } : {}),
        },
        timeoutMs,
      );
    } else if (step.await !== undefined) {
      if (target.await === undefined) return fail('the target is not a certification lane (certify serve)');
      const a = step.await;
      const values: Record<string, string> = {};
      for (const [k, v] of Object.entries(a.values)) values[k] = renderString(v, scope);
      exchange = await target.await(
        {
          caseId: c.id,
          caseTitle: c.title,
          stepId: step.id,
          action: a.action,
          instruct: renderString(a.instruct, scope),
          values,
          message: a.message,
          answer: a.answer,
          automatic: a.automatic,
        },
        timeoutMs,
      );
    } else if (step.deliver !== undefined) {
      if (target.deliver === undefined) return fail('the target sends no webhooks of its own');
      exchange = await target.deliver(step.deliver, timeoutMs);
    } else if (step.billerReversal !== undefined) {
      if (target.billerReversal === undefined) return fail('the target has no biller to reverse with');
      exchange = await target.billerReversal(
        { paymentId: renderString(step.billerReversal.paymentId, scope) },
        timeoutMs,
      );
    } else {
      return fail('a step with nothing to do');
    }
  } catch (error) {
    if (error instanceof TemplateError) return fail(`template: ${error.message}`);
    return fail(error instanceof Error ? error.message : String(error));
  }
  const outcome = {
    received: exchange.receivedView,
    elapsedMs: exchange.elapsedMs,
    connection: exchange.connection,
  };
  // Recorded first, so an expectation may name what this very step sent (`steps.pay.sent.field.11`).
  records.set(step.id, { sent: exchange.sentView, received: exchange.receivedView });
  const assertions: AssertionResult[] = [...(exchange.checks ?? [])];
  const judgesConnection = step.expect.some((a) => a.connection !== undefined);
  if (exchange.error !== undefined && !judgesConnection) {
    const what = exchange.waitedFor ?? 'an answer';
    assertions.push({
      description: `${what} arrives`,
      passed: false,
      expected: what,
      actual: exchange.error,
    });
  }
  for (const a of step.expect) {
    try {
      assertions.push(evaluateAssertion(a, outcome, records, scope));
    } catch (error) {
      assertions.push({
        description: a.description ?? 'assertion',
        passed: false,
        expected: 'a value to compare',
        actual: error instanceof Error ? error.message : String(error),
      });
    }
  }
  return {
    id: step.id,
    ...(step.description !== undefined ? { description: step.description } : {}),
    status: assertions.every((a) => a.passed) ? 'passed' : 'failed',
    startedAt,
    elapsedMs: exchange.elapsedMs,
    sent: exchange.sent,
    ...(exchange.received !== undefined ? { received: exchange.received } : {}),
    connection: exchange.connection,
    ...(exchange.error !== undefined ? { error: exchange.error } : {}),
    assertions,
  };
}

function firstFailure(steps: readonly StepReport[]): string | undefined {
  for (const s of steps) {
    if (s.status !== 'failed') continue;
    const a = s.assertions.find((x) => !x.passed);
    if (a !== undefined) {
      return `${s.id}: ${a.description} — expected ${a.expected}, got ${a.actual === null ? '(absent)' : JSON.stringify(a.actual)}`;
    }
    return `${s.id}: ${s.error ?? 'failed'}`;
  }
  return undefined;
}

async function runCase(
  loaded: LoadedSuite,
  c: SuiteCase,
  target: CertificationTarget,
  inputs: Readonly<Record<string, string>>,
  generate: ValueGenerator,
  now: () => Date,
  defaultTimeoutMs: number,
): Promise<CaseReport> {
  const base = { id: c.id, title: c.title, ...(c.covers !== undefined ? { covers: c.covers } : {}) };
  const missing = c.requires.filter((r) => !target.capabilities.has(r));
  if (missing.length > 0) {
    return {
      ...base,
      status: 'skipped',
      reason: `requires ${missing.join(', ')}, which ${target.description} does not offer`,
      elapsedMs: 0,
      steps: c.steps.map((s) => ({ id: s.id, status: 'not-run', assertions: [] })),
    };
  }
  const mismatch = Object.entries(c.appliesTo).find(([name, values]) => !values.includes(inputs[name] ?? ''));
  if (mismatch !== undefined) {
    const [name, values] = mismatch;
    return {
      ...base,
      status: 'skipped',
      reason: `applies when ${name} is ${values.join(' or ')} (this run: ${inputs[name] ?? '(unset)'})`,
      elapsedMs: 0,
      steps: c.steps.map((s) => ({ id: s.id, status: 'not-run', assertions: [] })),
    };
  }
  const t0 = performance.now();
  const records = new Map<string, StepRecord>();
  const caseVars: Record<string, string> = {};
  const scope: TemplateScope = { inputs, caseVars, steps: records, generate };
  const steps: StepReport[] = [];
  try {
    for (const [k, v] of Object.entries(c.let)) caseVars[k] = renderString(v, scope);
  } catch (error) {
    return {
      ...base,
      status: 'failed',
      reason: `let: ${error instanceof Error ? error.message : String(error)}`,
      elapsedMs: 0,
      steps: [],
    };
  }
  let failed = false;
  for (const step of c.steps) {
    // After a failure the later steps would judge a state the case never reached: shown, not run.
    if (failed) {
      steps.push({ id: step.id, status: 'not-run', assertions: [] });
      continue;
    }
    const report = await runStep(loaded.suite, c, step, scope, target, records, now, defaultTimeoutMs);
    steps.push(report);
    failed = report.status === 'failed';
  }
  const reason = firstFailure(steps);
  return {
    ...base,
    status: failed ? 'failed' : 'passed',
    ...(reason !== undefined ? { reason } : {}),
    elapsedMs: Math.round(performance.now() - t0),
    steps,
  };
}

export async function runSuite(
  loaded: LoadedSuite,
  target: CertificationTarget,
  options: RunOptions = {},
): Promise<CertificationReport> {
  const now = options.now ?? (() => new Date());
  const suite = loaded.suite;
  const inputs = { ...suite.inputs, ...options.inputs };
  const generate = new ValueGenerator(now);
  const startedAt = now().toISOString();
  const selected =
    options.cases === undefined ? suite.cases : suite.cases.filter((c) => options.cases?.includes(c.id));
  const cases: CaseReport[] = [];
  for (const c of selected) {
    cases.push(await runCase(loaded, c, target, inputs, generate, now, options.defaultTimeoutMs ?? 10_000));
  }
  const count = (s: CaseReport['status']): number => cases.filter((c) => c.status === s).length;
  const totals = {
    cases: cases.length,
    passed: count('passed'),
    failed: count('failed'),
    skipped: count('skipped'),
  };
  return {
    schema: REPORT_SCHEMA,
    id: randomUUID(),
    suite: {
      id: suite.id,
      version: suite.version,
      title: suite.title,
      protocol: suite.protocol,
      ...(suite.dialect !== undefined ? { dialect: suite.dialect } : {}),
      sha256: loaded.sha256,
    },
    target: target.description,
    ...(options.direction !== undefined ? { direction: options.direction } : {}),
    ...(options.partnerId !== undefined ? { partnerId: options.partnerId } : {}),
    ...(options.laneId !== undefined ? { laneId: options.laneId } : {}),
    startedAt,
    finishedAt: now().toISOString(),
    result: overallResult(totals),
    totals,
    cases,
  };
}
