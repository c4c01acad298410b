import * as fs from 'node:fs';
import * as path from 'node:path';

import { resolveSchemaDir } from './schema-dir';

/**
 * ISO 20022 external code sets. The XSDs type these codes as any 1-4 characters, so they are the only
 * guard against emitting TxSts=ZZZZ or accepting a made-up reason.
 */
export interface CodeSets {
  readonly transactionStatus: ReadonlySet<string>;
  /** ExternalPaymentGroupStatus1Code: not among the shared code set files; see groupStatus below. */
  readonly groupStatus: ReadonlySet<string>;
  readonly statusReason: ReadonlySet<string>;
  readonly returnReason: ReadonlySet<string>;
  readonly cancellationReason: ReadonlySet<string>;
}

const FILES = {
  transactionStatus: 'external_payment_transaction_status_code.json',
  statusReason: 'external_status_reason_code.json',
  returnReason: 'external_return_reason_code.json',
  cancellationReason: 'external_cancellation_reason_code.json',
} as const;

/**
 * The published group status set is the transaction status set plus PART (partially accepted); no
 * file for it is carried, so it is derived rather than guessed code by code.
 */
const GROUP_ONLY_STATUS = ['PART'];

export function loadCodeSets(schemaDir: string = resolveSchemaDir()): CodeSets {
  const read = (file: string): ReadonlySet<string> => {
    const parsed: unknown = JSON.parse(fs.readFileSync(path.join(schemaDir, file), 'utf8'));
    const codes =
      typeof parsed === 'object' && parsed !== null ? (parsed as { codes?: unknown }).codes : undefined;
    if (typeof codes !== 'object' || codes === null || Array.isArray(codes)) {
      throw new Error(`code set ${file} has no "codes" object`);
    }
    return new Set(Object.keys(codes));
  };
  const transactionStatus = read(FILES.transactionStatus);
  return {
    transactionStatus,
    groupStatus: new Set([...transactionStatus, ...GROUP_ONLY_STATUS]),
    statusReason: read(FILES.statusReason),
    returnReason: read(FILES.returnReason),
    cancellationReason: read(FILES.cancellationReason),
  };
}

let shared: CodeSets | undefined;

/** Loaded on first use and kept: builders check every code they emit against it. */
export function defaultCodeSets(): CodeSets {
  shared ??= loadCodeSets();
  return shared;
}
