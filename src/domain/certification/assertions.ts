import { createHash } from 'node:crypto';
import type { Assertion, SelectorKind } from './suite';
import { renderString, type Observation, type StepRecord, type TemplateScope } from './template';

/** One assertion's verdict, as the report shows it: what was expected and what was seen. */
export interface AssertionResult {
  readonly description: string;
  readonly passed: boolean;
  readonly expected: string;
  /** What the answer carried (null: absent). */
  readonly actual: string | null;
}

/** What a step observed, besides the answer's own content. */
export interface StepOutcome {
  readonly received: Observation | undefined;
  readonly elapsedMs: number;
  readonly connection: 'open' | 'closed';
}

function selectorOf(a: Assertion): { kind: SelectorKind; expr: string; label: string } {
  if (a.status !== undefined) return { kind: 'status', expr: '', label: 'HTTP status' };
  if (a.field !== undefined) return { kind: 'field', expr: a.field, label: `field ${a.field}` };
  if (a.json !== undefined) return { kind: 'json', expr: a.json, label: `JSON ${a.json}` };
  if (a.xpath !== undefined) return { kind: 'xpath', expr: a.xpath, label: `XPath ${a.xpath}` };
  if (a.header !== undefined) return { kind: 'header', expr: a.header, label: `header ${a.header}` };
  if (a.body !== undefined) return { kind: 'body', expr: '', label: 'the answer' };
  if (a.elapsedMs !== undefined) return { kind: 'elapsedMs', expr: '', label: 'time to answer (ms)' };
  if (a.signature !== undefined)
    return { kind: 'signature', expr: a.signature, label: `signature ${a.signature}` };
  return { kind: 'connection', expr: '', label: 'the connection' };
}

function actualOf(kind: SelectorKind, expr: string, outcome: StepOutcome): string | undefined {
  if (kind === 'elapsedMs') return String(outcome.elapsedMs);
  if (kind === 'connection') return outcome.connection;
  return outcome.received?.select(kind, expr);
}

const show = (v: string | undefined): string => (v === undefined ? '(absent)' : JSON.stringify(v));
/** A value that may not be shown is named by a digest, so two of them can still be told apart. */
const digest = (v: string): string => `sha256:${createHash('sha256').update(v).digest('hex').slice(0, 16)}`;

/**
 * Judges one assertion. Every operator treats an absent value as a failure except `present: false`,
 * so a gateway that stops answering a field never passes by accident.
 */
export function evaluateAssertion(
  a: Assertion,
  outcome: StepOutcome,
  earlier: ReadonlyMap<string, StepRecord>,
  scope: TemplateScope,
): AssertionResult {
  const selected = selectorOf(a);
  const { kind } = selected;
  // A selector may name a value of the run (`payer.{{inputs.payerKind}}`).
  const expr = renderString(selected.expr, scope);
  const label = selected.expr === expr ? selected.label : selected.label.replace(selected.expr, expr);
  const actual = actualOf(kind, expr, outcome);
  const hidden = outcome.received?.secret?.(kind, expr) === true;
  const verdict = (passed: boolean, expected: string): AssertionResult => ({
    description: a.description ?? `${label} ${expected}`,
    passed,
    expected,
    actual: actual === undefined ? null : hidden ? `[redacted ${digest(actual)}]` : actual,
  });
  if (a.equals !== undefined) {
    const want = renderString(a.equals, scope);
    return verdict(actual === want, `equals ${JSON.stringify(want)}`);
  }
  if (a.oneOf !== undefined) {
    const options = a.oneOf.map((o) => renderString(o, scope));
    return verdict(
      actual !== undefined && options.includes(actual),
      `is one of ${options.map((o) => JSON.stringify(o)).join(', ')}`,
    );
  }
  if (a.matches !== undefined) {
    const pattern = renderString(a.matches, scope);
    return verdict(actual !== undefined && new RegExp(pattern).test(actual), `matches /${pattern}/`);
  }
  if (a.present !== undefined) {
    return verdict((actual !== undefined) === a.present, a.present ? 'is present' : 'is absent');
  }
  if (a.atMost !== undefined) {
    return verdict(outcome.elapsedMs <= a.atMost, `is at most ${a.atMost}`);
  }
  const ref = a.sameAs ?? a.differsFrom ?? '';
  const other = earlier.get(ref)?.received;
  const theirs = kind === 'elapsedMs' || kind === 'connection' ? undefined : other?.select(kind, expr);
  const theirsShown = hidden && theirs !== undefined ? `[redacted ${digest(theirs)}]` : show(theirs);
  if (a.sameAs !== undefined) {
    return verdict(
      actual !== undefined && actual === theirs,
      `is the same as in step ${ref} (${theirsShown})`,
    );
  }
  return verdict(
    actual !== undefined && theirs !== undefined && actual !== theirs,
    `differs from step ${ref} (${theirsShown})`,
  );
}
