import * as fs from 'node:fs';

import type { BusinessProblem } from '../business-checks';
import { Iso20022Engine, type ReceiveFailure, type ReceiveResult } from '../engine';
import {
  toCancellationInstructions,
  toInstructions,
  toReturnInstructions,
  type InstructionLookups,
} from '../instructions';

/**
 * CLI helpers for `billgate iso20022 validate|inspect <file>`. They are async because libxml2-wasm can
 * only be loaded asynchronously (ES module with top-level await); pass an engine to reuse one.
 */
export interface CliOptions {
  readonly engine?: Iso20022Engine;
}

async function withEngine<T>(options: CliOptions, run: (engine: Iso20022Engine) => T): Promise<T> {
  if (options.engine !== undefined) return run(options.engine);
  const engine = await Iso20022Engine.create();
  try {
    return run(engine);
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
): Promise<{ ok: boolean; output: string }> {
  return withEngine(options, (engine) => {
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
    const problems = [
      ...m.problems.group.map((p) => problemLine(p, 'message')),
      ...m.problems.transactions.flatMap((ps, i) => ps.map((p) => problemLine(p, `transaction ${i + 1}`))),
    ];
    lines.push(
      `business checks: ${problems.length === 0 ? 'passed' : `${problems.length} problem(s)`}`,
      ...problems,
    );
    const ok = problems.length === 0;
    lines.push(`result: ${ok ? 'OK' : 'REJECTED'}`);
    return { ok, output: lines.join('\n') };
  });
}

const bigintAsString = (_key: string, value: unknown): unknown =>
  typeof value === 'bigint' ? value.toString() : value;

/** The instructions the message would produce, as JSON (bigint amounts as strings). */
export async function inspectCommand(
  filePath: string,
  lookups: InstructionLookups = {},
  options: CliOptions = {},
): Promise<string> {
  return withEngine(options, (engine) => {
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
      body = batch === undefined ? { document: doc } : { instructions: batch.instructions };
    }
    return JSON.stringify({ ...header, ...body }, bigintAsString, 2);
  });
}
