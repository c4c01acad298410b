import { randomBytes, randomUUID } from 'node:crypto';
import type { SelectorKind } from './suite';

/**
 * `{{...}}` variables in a suite's messages (TTK's `{$inputs.x}`, `{$prev.1.callback.body...}`,
 * `{$function.generic.generateID}`):
 *   inputs.NAME                       the suite's inputs (overridable per run)
 *   case.NAME                         the case's `let` values, computed once per case
 *   vars.NAME                         the template's parameters (defaults in the template, set per step)
 *   fn.uuid | fn.stan | fn.rrn | fn.transmissionTime | fn.localTime | fn.localDate | fn.date |
 *   fn.isoDateTime | fn.msgId | fn.nonce   fresh on every use
 *   steps.ID.sent.KIND[.EXPR]         what an earlier step sent (KIND: field, json, header, status, body)
 *   steps.ID.received.KIND[.EXPR]     what it got back
 * An unknown name is an error, never an empty string: a message silently missing a value would test
 * something other than the suite says.
 */

/** A message as the assertions and templates see it: one value per selector, undefined when absent. */
export interface Observation {
  select(kind: SelectorKind, expr: string): string | undefined;
  /** True when the selected value is a credential: usable by later steps, never shown in a report. */
  secret?(kind: SelectorKind, expr: string): boolean;
}

export interface StepRecord {
  readonly sent: Observation;
  readonly received: Observation | undefined;
}

export interface TemplateScope {
  readonly inputs: Readonly<Record<string, string>>;
  readonly caseVars: Readonly<Record<string, string>>;
  /** The step's template parameters. */
  readonly vars?: Readonly<Record<string, string>>;
  readonly steps: ReadonlyMap<string, StepRecord>;
  readonly generate: ValueGenerator;
}

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

/** Values that must differ per message (STAN, RRN, ids) and the clock, for one run. */
export class ValueGenerator {
  private stan: number;

  constructor(private readonly now: () => Date = () => new Date()) {
    // Start anywhere in the STAN space so two runs against one gateway do not collide on field 11.
    this.stan = 100_000 + (randomBytes(3).readUIntBE(0, 3) % 800_000);
  }

  value(name: string): string {
    const d = this.now();
    const p = (n: number, w = 2): string => String(n).padStart(w, '0');
    switch (name) {
      case 'uuid':
        return randomUUID();
      case 'stan':
        this.stan = this.stan >= 999_999 ? 100_001 : this.stan + 1;
        return String(this.stan);
      case 'rrn':
        return randomBytes(6).readUIntBE(0, 6).toString().padStart(12, '0').slice(-12);
      case 'transmissionTime':
        return `${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
      case 'localTime':
        return `${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
      case 'localDate':
        return `${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}`;
      case 'date':
        return d.toISOString().slice(0, 10);
      case 'isoDateTime':
        return `${d.toISOString().slice(0, 19)}Z`;
      case 'msgId':
        return `CERT${randomBytes(12).toString('hex').toUpperCase()}`;
      case 'nonce':
        return randomBytes(8).toString('hex');
      default:
        throw new TemplateError(`unknown function fn.${name}`);
    }
  }
}

const SELECTOR_KINDS: readonly SelectorKind[] = ['status', 'field', 'json', 'xpath', 'header', 'body'];

function resolve(expr: string, scope: TemplateScope): string {
  const [root, ...rest] = expr.split('.');
  const name = rest.join('.');
  const known = (value: string | undefined, what: string): string => {
    if (value === undefined) throw new TemplateError(`{{${expr}}}: ${what}`);
    return value;
  };
  switch (root) {
    case 'inputs':
      return known(scope.inputs[name], `no input ${name}`);
    case 'case':
      return known(scope.caseVars[name], `no case value ${name} (declare it under let:)`);
    case 'vars':
      return known(scope.vars?.[name], `no template parameter ${name}`);
    case 'fn':
      return scope.generate.value(name);
    case 'steps': {
      const [stepId, side, kind, ...path] = rest;
      const record = stepId === undefined ? undefined : scope.steps.get(stepId);
      if (record === undefined) throw new TemplateError(`{{${expr}}}: no earlier step ${stepId ?? ''}`);
      if (side !== 'sent' && side !== 'received') throw new TemplateError(`{{${expr}}}: sent or received`);
      if (kind === undefined || !(SELECTOR_KINDS as readonly string[]).includes(kind)) {
        throw new TemplateError(`{{${expr}}}: one of ${SELECTOR_KINDS.join(', ')} after ${side}`);
      }
      const view = side === 'sent' ? record.sent : record.received;
      return known(view?.select(kind as SelectorKind, path.join('.')), `step ${stepId} ${side} no ${kind}`);
    }
    default:
      throw new TemplateError(`{{${expr}}}: unknown variable (inputs., case., vars., fn., steps.)`);
  }
}

const VARIABLE = /\{\{\s*([A-Za-z0-9_.:@/-]+)\s*\}\}/g;

export function renderString(text: string, scope: TemplateScope): string {
  return text.replace(VARIABLE, (_m, expr: string) => resolve(expr, scope));
}

/** Renders every string inside a JSON-like value, object keys included (`{ "{{inputs.payerKind}}": ... }`). */
export function renderValue(value: unknown, scope: TemplateScope): unknown {
  if (typeof value === 'string') return renderString(value, scope);
  if (Array.isArray(value)) return value.map((v) => renderValue(v, scope));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [renderString(k, scope), renderValue(v, scope)]),
    );
  }
  return value;
}

/** A step's overrides onto its template: objects merge, `null` removes a key, anything else replaces. */
export function mergeOver(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (
    base !== null &&
    over !== null &&
    typeof base === 'object' &&
    typeof over === 'object' &&
    !Array.isArray(base) &&
    !Array.isArray(over)
  ) {
    const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
    for (const [k, v] of Object.entries(over)) {
      if (v === null) delete out[k];
      else out[k] = mergeOver(out[k], v);
    }
    return out;
  }
  return over;
}
