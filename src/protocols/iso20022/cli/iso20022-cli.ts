import * as fs from 'node:fs';

import type { BusinessProblem } from '../business-checks';
import { Iso20022Engine, type ReceiveFailure, type ReceiveResult } from '../engine';
import {
  toCancellationInstructions,
  toInstructions,
  toReturnInstructions,
  type InstructionLookups,
  type TransactionInstruction,
} from '../instructions';
import { isoStatusFor, type IsoStatus } from '../status';
import { ISO20022_ENDPOINTS } from '../lane/iso20022-translator';
import { laneChecks, type LaneCheckLookups, type LaneRefusal } from '../lane/transaction-checks';

/**
 * CLI helpers for `billgate iso20022 validate|inspect <file>`. They are async because libxml2-wasm can
 * only be loaded asynchronously (ES module with top-level await); pass an engine to reuse one.
 */
export interface CliOptions {
  readonly engine?: Iso20022Engine;
}

/**
 * Offline stand-ins for what the lane looks up in its database: which biller a creditor names and
 * which bill types are offered. Without them, only purpose codes give a bill type and every bill
 * type counts as offered.
 */
export type CliLookups = InstructionLookups & Partial<LaneCheckLookups>;

const statusOf = (r: LaneRefusal): IsoStatus => (typeof r === 'string' ? isoStatusFor(r) : r);

function describeStatus(s: IsoStatus): string {
  return `${s.status}${s.reason === undefined ? '' : ` ${s.reason.code}`}${s.reason?.additionalInfo === undefined ? '' : ` ${s.reason.additionalInfo}`}`;
}

/** The lane's checks on each payment instruction that the business checks let through. */
async function laneVerdicts(
  instructions: readonly TransactionInstruction[],
  lookups: CliLookups,
): Promise<(IsoStatus | undefined)[]> {
  const offered = lookups.billTypeOffered ?? (() => true);
  const verdicts: (IsoStatus | undefined)[] = [];
  for (const ins of instructions) {
    if (ins.problems.length > 0) {
      verdicts.push(undefined);
      continue;
    }
    const r = await laneChecks(ins, { billTypeOffered: offered });
    verdicts.push('refused' in r ? statusOf(r.refused) : undefined);
  }
  return verdicts;
}

async function withEngine<T>(options: CliOptions, run: (engine: Iso20022Engine) => Promise<T>): Promise<T> {
  if (options.engine !== undefined) return run(options.engine);
  const engine = await Iso20022Engine.create();
  try {
    // Awaited here, so the engine is disposed only after the run has finished with it.
    return await run(engine);
  } finally {
    engine.dispose();
  }
}

function receiveFile(engine: Iso20022Engine, filePath: string): ReceiveResult {
  // Refuse an oversized file before reading it into memory, as the HTTP lane does with a body.
  const size = fs.statSync(filePath).size;
  if (size > engine.maxBytes) {
    return {
      ok: false,
      failure: {
        kind: 'refused',
        reason: 'too-large',
        message: `The file exceeds the ${engine.maxBytes}-byte limit`,
      },
    };
  }
  return engine.receive(fs.readFileSync(filePath));
}

function describeFailure(f: ReceiveFailure): string[] {
  switch (f.kind) {
    case 'refused':
      return [`refused (${f.reason}): ${f.message}`];
    case 'unsupported':
    case 'envelope':
      return [`${f.kind}: ${f.message}`];
    case 'malformed':
      return [
        `not well-formed XML (${f.errors.length} error${f.errors.length === 1 ? '' : 's'}):`,
        ...f.errors.map(lineOf),
      ];
    case 'schema-invalid':
      return [
        `message: ${f.messageType}`,
        `schema: INVALID (${f.errors.length} error${f.errors.length === 1 ? '' : 's'})`,
        ...f.errors.map(lineOf),
      ];
  }
}

function lineOf(e: { message: string; line: number }): string {
  return `  line ${e.line}: ${e.message}`;
}

function problemLine(p: BusinessProblem, where: string): string {
  return `  ${where}${p.line === undefined ? '' : ` line ${p.line}`}: ${p.code} (${p.reason}) ${p.message}`;
}

/** Which message it is, whether it is valid, and each schema error or business problem with its line. */
export async function validateCommand(
  filePath: string,
  options: CliOptions = {},
  lookups: CliLookups = {},
): Promise<{ ok: boolean; output: string }> {
  return withEngine(options, async (engine) => {
    const result = receiveFile(engine, filePath);
    const lines = [`file: ${filePath}`];
    if (!result.ok) {
      lines.push(...describeFailure(result.failure), 'result: REJECTED');
      return { ok: false, output: lines.join('\n') };
    }
    const m = result.message;
    const wrapper = m.envelope === undefined ? '' : ` in <${m.envelope.name}>`;
    lines.push(
      `message: ${m.messageType}${m.appHdr === undefined ? '' : ` with AppHdr (BizMsgIdr ${m.appHdr.bizMsgIdr})`}${wrapper}`,
      'schema: valid',
    );
    const endpoint = Object.entries(ISO20022_ENDPOINTS).find(([, types]) =>
      (types as readonly string[]).includes(m.messageType),
    )?.[0];
    lines.push(
      endpoint === undefined
        ? `lane endpoint: none (the lane does not take ${m.messageType})`
        : `lane endpoint: POST /iso20022/${endpoint}`,
    );
    const problems = [
      ...m.problems.group.map((p) => problemLine(p, 'message')),
      ...m.problems.transactions.flatMap((ps, i) => ps.map((p) => problemLine(p, `transaction ${i + 1}`))),
    ];
    lines.push(
      `business checks: ${problems.length === 0 ? 'passed' : `${problems.length} problem(s)`}`,
      ...problems,
    );
    // The lane's own checks (bill type, bill reference, debtor account), as the lane runs them.
    const batch = m.problems.group.length > 0 ? undefined : toInstructions(m, lookups);
    let refusals: string[] = [];
    if (batch !== undefined) {
      const verdicts = await laneVerdicts(batch.instructions, lookups);
      refusals = verdicts.flatMap((v, i) =>
        v === undefined ? [] : [`  transaction ${i + 1}: ${describeStatus(v)}`],
      );
      lines.push(
        `lane checks: ${refusals.length === 0 ? 'passed' : `${refusals.length} transaction(s) would be rejected`}`,
        ...refusals,
      );
    }
    const ok = endpoint !== undefined && problems.length === 0 && refusals.length === 0;
    lines.push(`result: ${ok ? 'OK' : 'REJECTED'}`);
    return { ok, output: lines.join('\n') };
  });
}

const bigintAsString = (_key: string, value: unknown): unknown =>
  typeof value === 'bigint' ? value.toString() : value;

/** The instructions the message would produce, as JSON (bigint amounts as strings). */
export async function inspectCommand(
  filePath: string,
  lookups: CliLookups = {},
  options: CliOptions = {},
): Promise<string> {
  return withEngine(options, async (engine) => {
    const result = receiveFile(engine, filePath);
    if (!result.ok) return [`file: ${filePath}`, ...describeFailure(result.failure)].join('\n');
    const m = result.message;
    const doc = m.document;
    const header = {
      file: filePath,
      messageType: m.messageType,
      ...(m.appHdr === undefined
        ? {}
        : {
            appHdr: { bizMsgIdr: m.appHdr.bizMsgIdr, msgDefIdr: m.appHdr.msgDefIdr, creDt: m.appHdr.creDt },
          }),
      groupProblems: m.problems.group,
    };
    let body: object;
    if (doc.type === 'pacs.004.001.09') body = { returns: toReturnInstructions(doc, m) };
    else if (doc.type === 'camt.056.001.08') body = { cancellations: toCancellationInstructions(doc, m) };
    else {
      const batch = toInstructions(m, lookups);
      if (batch === undefined) body = { document: doc };
      else {
        // Each instruction with what the lane would do with it: map it to a payment, or reject it.
        const verdicts = await laneVerdicts(batch.instructions, lookups);
        body = {
          instructions: batch.instructions.map((ins, i) => {
            const v = verdicts[i];
            const lane =
              ins.problems.length > 0
                ? 'rejected by the business checks'
                : v === undefined
                  ? 'pays'
                  : `rejected: ${describeStatus(v)}`;
            return { ...ins, lane };
          }),
        };
      }
    }
    return JSON.stringify({ ...header, ...body }, bigintAsString, 2);
  });
}
