import { createHash } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/**
 * A certification suite as data: YAML in the repo (or a partner's own file beside the built-in ones),
 * validated here, versioned by `schema`. The model follows Mojaloop's Testing Toolkit collections
 * (inputs, test cases of requests, assertions per request) with two differences that matter for a
 * report someone must trust: assertions are declarative (no JavaScript to eval), and a case that
 * needs a capability the target lacks is reported as skipped, never as passed.
 */

export const SUITE_SCHEMA = 'billgate.certification/v1';

export const PROTOCOLS = ['iso8583', 'rest', 'iso20022'] as const;
export type SuiteProtocol = (typeof PROTOCOLS)[number];

/**
 * Capabilities a case may require of the target (`requires: [webhooks]`).
 * `ops-api`: the run holds an ops key (ledger checks); `credential-rotation`: the run may rotate the
 * partner's API key (its old one then ends after the notice); `webhooks`, `biller-status-inquiry` and
 * `ops-payments` are gateway features a case may depend on before every gateway has them.
 */
export const CAPABILITIES = [
  'ops-api',
  'credential-rotation',
  'webhooks',
  'biller-status-inquiry',
  'ops-payments',
] as const;
export type Capability = (typeof CAPABILITIES)[number];

const id = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'lowercase letters, digits, . _ - (at most 64)');
const scalar = z.union([z.string(), z.number(), z.boolean()]).transform((v) => String(v));

/** Field values: a string, or sub-elements by tag (field 48's `01`, `02`...); null removes a field. */
const fieldValue = z.union([scalar, z.record(z.string(), scalar), z.null()]);

const iso8583Message = z.strictObject({
  template: z.string().optional(),
  mti: z
    .string()
    .regex(/^\d{4}$|^\{\{.+\}\}$/, '4 digits')
    .optional(),
  fields: z.record(z.string().regex(/^\d{1,3}$/, 'a field number'), fieldValue).optional(),
  /** Bytes sent as they are (hex, inside a frame unless `unframed`): malformed messages. */
  rawHex: z.string().optional(),
  unframed: z.boolean().optional(),
});

/** A template's parameters (`{{vars.amount}}`), defaults in the template, overridden per step. */
const vars = z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/), scalar).optional();

const httpRequest = z.strictObject({
  template: z.string().optional(),
  vars,
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).optional(),
  path: z.string().optional(),
  /**
   * Whose credential goes into Authorization: the partner's, ops', none, or a bearer value (from an
   * earlier step, e.g. a rotated key). Never written to the report.
   */
  auth: z.union([z.enum(['partner', 'ops', 'none']), z.strictObject({ bearer: z.string() })]).optional(),
  headers: z.record(z.string(), z.union([scalar, z.null()])).optional(),
  json: z.unknown().optional(),
  /** A body sent as text (XML, or JSON that must be malformed). */
  body: z.string().optional(),
  /** A file of the suite's directory (a message too long to inline), read as text then templated. */
  bodyFile: z.string().optional(),
  contentType: z.string().optional(),
});

const webhookWait = z.strictObject({
  /** Event type expected (payment.reversed...). */
  event: z.string().min(1),
  /** The delivery's JSON must carry this payment id (templated). */
  paymentId: z.string().optional(),
  /**
   * Or this partner reference (templated): what an ISO 8583 or ISO 20022 partner knows its payment by
   * (field 37, EndToEndId), since their answers carry no payment id.
   */
  partnerReference: z.string().optional(),
});

/**
 * What a webhook delivery's signature is checked for, as `{ signature: verifies, equals: 'true' }`:
 * `verifies` — a signature matches the partner's secret over the exact bytes received (timestamp
 * fresh); `verifies-tampered-body` — the same headers over the body with one byte changed;
 * `verifies-other-secret` — the same delivery checked with a secret that is not the partner's.
 */
export const SIGNATURE_CHECKS = ['verifies', 'verifies-tampered-body', 'verifies-other-secret'] as const;

/**
 * A step of a `role: client` suite: the harness plays the bank and waits for the partner's client to
 * send the message the step names. `action` and `values` are what the partner is told (served at
 * /certification/next and printed); `message` is what must arrive (an MTI, `0200|0201`, or an HTTP
 * `METHOD /path`, `*` matching one path segment); `answer` what the partner gets back: the sandbox's
 * real answer (`forward`) or nothing (`withhold`: the answer is lost on the way, so the partner's own
 * retry, repeat or reversal is what the next step waits for). `automatic` marks a message the
 * partner's system must send by itself (a retry after a lost answer), with no instruction to act on.
 */
const awaitMessage = z.strictObject({
  action: z.string().regex(/^[a-z][a-z0-9-]{0,40}$/, 'a lowercase verb such as pay, reverse, echo'),
  instruct: z.string().min(1),
  values: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/), scalar).default({}),
  message: z.string().min(1),
  answer: z.enum(['forward', 'withhold']).default('forward'),
  automatic: z.boolean().default(false),
});

/**
 * A delivery the harness itself sends to the partner's webhook receiver, a copy of the last genuine
 * event: signed correctly (`valid`), with a secret that is not the partner's, over other bytes than
 * it carries, with a timestamp outside the 5-minute tolerance, or unsigned. A receiver that verifies
 * answers the forgeries 4xx.
 */
export const FORGERIES = ['valid', 'wrong-secret', 'tampered-body', 'stale-timestamp', 'missing'] as const;
const deliver = z.strictObject({ signature: z.enum(FORGERIES) });

/** The sandbox's biller changes its mind: it reverses this payment (a signed biller reversal). */
const billerReversal = z.strictObject({ paymentId: z.string().min(1) });

const selectorKeys = [
  'status',
  'field',
  'json',
  'xpath',
  'header',
  'body',
  'elapsedMs',
  'connection',
  'signature',
] as const;
export type SelectorKind = (typeof selectorKeys)[number];
const operatorKeys = ['equals', 'oneOf', 'matches', 'present', 'sameAs', 'differsFrom', 'atMost'] as const;
export type OperatorKind = (typeof operatorKeys)[number];

const assertionShape = z.strictObject({
  description: z.string().optional(),
  status: z.literal(true).optional(),
  field: z
    .string()
    .regex(/^(mti|\d{1,3}(\.[0-9A-Za-z]+)?)$/, 'mti, a field number, or field.tag')
    .optional(),
  json: z.string().min(1).optional(),
  xpath: z.string().min(1).optional(),
  header: z.string().min(1).optional(),
  body: z.literal(true).optional(),
  elapsedMs: z.literal(true).optional(),
  connection: z.literal(true).optional(),
  signature: z.enum(SIGNATURE_CHECKS).optional(),
  equals: scalar.optional(),
  oneOf: z.array(scalar).min(1).optional(),
  matches: z.string().optional(),
  present: z.boolean().optional(),
  /** The same selected value as in an earlier step's answer (a duplicate answered identically). */
  sameAs: id.optional(),
  differsFrom: id.optional(),
  atMost: z.number().int().nonnegative().optional(),
});

export const assertionSchema = assertionShape.superRefine((a, ctx) => {
  const selectors = selectorKeys.filter((k) => a[k] !== undefined);
  const operators = operatorKeys.filter((k) => a[k] !== undefined);
  if (selectors.length !== 1) {
    ctx.addIssue({
      code: 'custom',
      message: `an assertion names exactly one of ${selectorKeys.join(', ')} (found ${selectors.join(', ') || 'none'})`,
    });
  }
  if (operators.length !== 1) {
    ctx.addIssue({
      code: 'custom',
      message: `an assertion has exactly one of ${operatorKeys.join(', ')} (found ${operators.join(', ') || 'none'})`,
    });
  }
  if (a.matches !== undefined) {
    try {
      new RegExp(a.matches);
    } catch {
      ctx.addIssue({ code: 'custom', message: `matches: ${a.matches} is not a regular expression` });
    }
  }
  if (a.atMost !== undefined && a.elapsedMs === undefined) {
    ctx.addIssue({ code: 'custom', message: 'atMost applies to elapsedMs only' });
  }
});
export type Assertion = z.infer<typeof assertionSchema>;

const STEP_KINDS = ['iso8583', 'http', 'webhook', 'waitMs', 'await', 'deliver', 'billerReversal'] as const;
/** Steps only a harness playing the bank can run, and steps only a harness playing the partner can. */
const CLIENT_ONLY = ['await', 'deliver', 'billerReversal'] as const;
const GATEWAY_ONLY = ['iso8583', 'http'] as const;

export const stepSchema = z
  .strictObject({
    id,
    description: z.string().optional(),
    iso8583: iso8583Message.optional(),
    http: httpRequest.optional(),
    webhook: webhookWait.optional(),
    await: awaitMessage.optional(),
    deliver: deliver.optional(),
    billerReversal: billerReversal.optional(),
    /** A pause (the gateway's own timers: a biller timeout resolving, a rotation window). */
    waitMs: z.number().int().min(0).max(120_000).optional(),
    timeoutMs: z.number().int().min(1).max(120_000).optional(),
    /**
     * An HTTP step asked again (every `pollEveryMs`, 1 s by default) until its expectations hold or
     * this long has passed: an outcome the gateway reaches on its own timers (a pending payment
     * resolved by status inquiry) is judged when it happens, not after a guessed pause.
     */
    pollForMs: z.number().int().min(1).max(300_000).optional(),
    pollEveryMs: z.number().int().min(100).max(60_000).optional(),
    expect: z.array(assertionSchema).default([]),
  })
  .superRefine((s, ctx) => {
    const kinds = STEP_KINDS.filter((k) => s[k] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: `a step is exactly one of ${STEP_KINDS.join(', ')} (found ${kinds.join(', ') || 'none'})`,
      });
    }
    if ((s.pollForMs !== undefined || s.pollEveryMs !== undefined) && s.http === undefined) {
      ctx.addIssue({ code: 'custom', message: 'pollForMs and pollEveryMs apply to an http step only' });
    }
    if (s.pollForMs !== undefined && s.expect.length === 0) {
      ctx.addIssue({ code: 'custom', message: 'a polled step needs expectations to wait for' });
    }
  });
export type Step = z.infer<typeof stepSchema>;
export type Iso8583Message = z.infer<typeof iso8583Message>;
export type HttpRequest = z.infer<typeof httpRequest>;
export type AwaitMessage = z.infer<typeof awaitMessage>;
export type Forgery = (typeof FORGERIES)[number];

export const caseSchema = z.strictObject({
  id,
  title: z.string().min(1),
  /** What the Technical Schedule promises that this case proves. */
  covers: z.string().optional(),
  requires: z.array(z.enum(CAPABILITIES)).default([]),
  /**
   * Runs only when the run's inputs have one of these values (`{ payerKind: [account] }`): a decline
   * only an account payer can provoke is skipped, with the reason, for a wallet partner.
   */
  appliesTo: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/), z.array(scalar).min(1)).default({}),
  /** Values computed once per case, in order (a STAN both sends of a duplicate share). */
  let: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/), scalar).default({}),
  steps: z.array(stepSchema).min(1),
});
export type SuiteCase = z.infer<typeof caseSchema>;

export const suiteSchema = z
  .strictObject({
    schema: z.literal(SUITE_SCHEMA),
    id,
    version: z.string().regex(/^\d+\.\d+\.\d+$/, 'semver'),
    title: z.string().min(1),
    protocol: z.enum(PROTOCOLS),
    /**
     * `gateway`: the harness plays the partner and certifies a gateway (`certify run`). `client`: the
     * harness plays the bank on a certification lane and certifies the partner's client
     * (`certify serve`).
     */
    role: z.enum(['gateway', 'client']).default('gateway'),
    /** ISO 8583 dialect the messages are packed in (built-in name or a partner's dialect file). */
    dialect: z.string().optional(),
    /** Other dialects the same cases certify: `<id>-<dialect>` runs the suite in that dialect. */
    dialects: z.array(z.string()).default([]),
    /** XPath namespace prefixes (`d: urn:iso:std:iso:20022:tech:xsd:pacs.002.001.10`). */
    namespaces: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/), z.string()).default({}),
    inputs: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/), scalar).default({}),
    templates: z
      .record(
        z.string(),
        z.strictObject({ iso8583: iso8583Message.optional(), http: httpRequest.optional() }),
      )
      .default({}),
    cases: z.array(caseSchema).min(1),
  })
  .superRefine((s, ctx) => {
    const seen = new Set<string>();
    for (const c of s.cases) {
      if (seen.has(c.id)) ctx.addIssue({ code: 'custom', message: `case ${c.id} appears twice` });
      seen.add(c.id);
      const steps = new Set<string>();
      for (const step of c.steps) {
        if (steps.has(step.id)) ctx.addIssue({ code: 'custom', message: `${c.id}: step ${step.id} twice` });
        const template = step.iso8583?.template ?? step.http?.template;
        if (template !== undefined && s.templates[template] === undefined) {
          ctx.addIssue({ code: 'custom', message: `${c.id}.${step.id}: no template ${template}` });
        }
        const wrongRole = (s.role === 'client' ? GATEWAY_ONLY : CLIENT_ONLY).find(
          (k) => step[k] !== undefined,
        );
        if (wrongRole !== undefined) {
          ctx.addIssue({
            code: 'custom',
            message: `${c.id}.${step.id}: a ${s.role} suite has no ${wrongRole} steps`,
          });
        }
        for (const a of step.expect) {
          const ref = a.sameAs ?? a.differsFrom;
          if (ref !== undefined && !steps.has(ref)) {
            ctx.addIssue({ code: 'custom', message: `${c.id}.${step.id}: ${ref} is not an earlier step` });
          }
        }
        steps.add(step.id);
      }
      for (const name of Object.keys(c.appliesTo)) {
        if (s.inputs[name] === undefined) {
          ctx.addIssue({
            code: 'custom',
            message: `${c.id}: appliesTo names ${name}, which is not an input`,
          });
        }
      }
    }
    if (s.protocol === 'iso8583' && s.dialect === undefined) {
      ctx.addIssue({ code: 'custom', message: 'an iso8583 suite names its dialect' });
    }
  });
export type Suite = z.infer<typeof suiteSchema>;

export class SuiteError extends Error {
  constructor(
    message: string,
    readonly problems: readonly string[] = [],
  ) {
    super(problems.length === 0 ? message : `${message}:\n  ${problems.join('\n  ')}`);
    this.name = 'SuiteError';
  }
}

export interface LoadedSuite {
  readonly suite: Suite;
  /** SHA-256 of the file's bytes: the report names exactly which suite ran. */
  readonly sha256: string;
  readonly source: string;
}

/** Parses and validates a suite; every problem is listed with its path, nothing half-loaded. */
export function parseSuite(text: string, source: string): LoadedSuite {
  let raw: unknown;
  try {
    // merge: YAML merge keys (`<<: *step`) let a duplicate send exactly what the first step sent.
    raw = parseYaml(text, { prettyErrors: true, merge: true });
  } catch (error) {
    throw new SuiteError(`${source}: not YAML (${error instanceof Error ? error.message : String(error)})`);
  }
  const parsed = suiteSchema.safeParse(raw);
  if (!parsed.success) {
    throw new SuiteError(
      `${source}: not a valid suite`,
      parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
    );
  }
  return { suite: parsed.data, sha256: createHash('sha256').update(text).digest('hex'), source };
}
