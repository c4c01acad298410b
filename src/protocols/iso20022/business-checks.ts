import { currencyByCode } from '../../domain/money/currency';
import { parseMajorAmount, type AmountProblem } from '../../domain/money/money';
import type { CodeSets } from './code-sets';
import {
  addDecimals,
  decimalsEqual,
  formatDecimal,
  normalizeAmountText,
  parseDecimal,
  type ScaledDecimal,
} from './decimal';
import type { Amount, GroupHeaderCounts, Reason } from './readers/common';
import type { CreditTransfer, Pacs008, Pain001 } from './readers/credit-transfer';
import type { Camt056, Pacs004 } from './readers/return-and-cancellation';

export type ProblemCode =
  | 'APPHDR_MISMATCH'
  | 'NB_OF_TXS_MISMATCH'
  | 'CTRL_SUM_MISMATCH'
  | 'TOTAL_AMOUNT_MISMATCH'
  | 'AMOUNT_MISSING'
  | 'AMOUNT_INVALID'
  | 'AMOUNT_MINOR_DIGITS'
  | 'AMOUNT_NOT_POSITIVE'
  | 'AMOUNT_TOO_LARGE'
  | 'CURRENCY_NOT_SUPPORTED'
  | 'IDENTIFIER_TOO_LONG'
  | 'DUPLICATE_TRANSACTION'
  | 'CODE_NOT_IN_CODE_SET';

/**
 * A rule the XSD cannot express, broken. `reason` is the ExternalStatusReason1Code to report it with,
 * `message` the text for AddtlInf (kept within its 105 characters where the values allow).
 */
export interface BusinessProblem {
  readonly code: ProblemCode;
  readonly reason: string;
  readonly message: string;
  readonly line?: number;
}

export interface CheckResult {
  /** Problems with the message as a whole: the whole message is to be rejected. */
  readonly group: readonly BusinessProblem[];
  /** Per transaction, in message order (pacs.008 CdtTrfTxInf, pain.001 across PmtInf, ...). */
  readonly transactions: readonly (readonly BusinessProblem[])[];
}

export const MAX35 = 35;

/** Max35Text counts characters (code points), not UTF-16 units. */
export function codePointLength(s: string): number {
  let n = 0;
  for (const _ of s) n += 1;
  return n;
}

export interface CheckedAmount {
  readonly minor?: bigint;
  readonly problems: readonly BusinessProblem[];
}

const AMOUNT_PROBLEMS: Record<AmountProblem, { code: ProblemCode; reason: string }> = {
  'not-a-decimal': { code: 'AMOUNT_INVALID', reason: 'AM12' },
  'not-positive': { code: 'AMOUNT_NOT_POSITIVE', reason: 'AM01' },
  'too-many-minor-digits': { code: 'AMOUNT_MINOR_DIGITS', reason: 'AM12' },
  'unknown-currency': { code: 'CURRENCY_NOT_SUPPORTED', reason: 'AM03' },
  'too-large': { code: 'AMOUNT_TOO_LARGE', reason: 'AM02' },
};

/** The amount in minor units, or why it cannot be taken (digits beyond the currency's, unknown currency...). */
export function checkAmount(amount: Amount | undefined, label: string): CheckedAmount {
  if (amount === undefined) {
    return { problems: [{ code: 'AMOUNT_MISSING', reason: 'AM12', message: `${label} is missing` }] };
  }
  const normalized = normalizeAmountText(amount.value);
  const result = parseMajorAmount(normalized ?? amount.value, amount.currency);
  if (typeof result !== 'string') return { minor: result.minor, problems: [] };
  const { code, reason } = AMOUNT_PROBLEMS[result];
  const digits = currencyByCode(amount.currency)?.minorDigits;
  const message =
    result === 'too-many-minor-digits'
      ? `${label} ${amount.value} has ${parseDecimal(amount.value)?.scale ?? '?'} decimals; ${amount.currency} has ${digits ?? '?'}`
      : result === 'unknown-currency'
        ? `Currency ${amount.currency} is not supported`
        : `${label} ${amount.value} ${amount.currency} is ${result.replace(/-/g, ' ')}`;
  return { problems: [{ code, reason, message, line: amount.line }] };
}

function checkCount(
  declared: string,
  actual: number,
  where: string,
  reason: string,
  line: number | undefined,
): BusinessProblem | undefined {
  if (/^\d+$/.test(declared) && BigInt(declared) === BigInt(actual)) return undefined;
  return {
    code: 'NB_OF_TXS_MISMATCH',
    reason,
    message: `${where} NbOfTxs is ${declared} but the message has ${actual} transactions`,
    ...(line === undefined ? {} : { line }),
  };
}

function checkSum(
  declared: string | undefined,
  amounts: readonly (Amount | undefined)[],
  where: string,
  line?: number,
): BusinessProblem | undefined {
  if (declared === undefined) return undefined;
  const expected = parseDecimal(declared);
  const parts = amounts.map((a) => (a === undefined ? undefined : parseDecimal(a.value)));
  // An amount that is not a number is already reported on its own transaction.
  if (expected === undefined || parts.some((p) => p === undefined)) return undefined;
  const sum = addDecimals(parts as ScaledDecimal[]);
  if (decimalsEqual(sum, expected)) return undefined;
  return {
    code: 'CTRL_SUM_MISMATCH',
    reason: 'AM10',
    message: `${where} CtrlSum is ${declared} but the amounts add up to ${formatDecimal(sum)}`,
    ...(line === undefined ? {} : { line }),
  };
}

function checkIdentifier(
  label: string,
  value: string | undefined,
  reason: string,
  line?: number,
): BusinessProblem[] {
  if (value === undefined || codePointLength(value) <= MAX35) return [];
  return [
    {
      code: 'IDENTIFIER_TOO_LONG',
      reason,
      message: `${label} has ${codePointLength(value)} characters; at most ${MAX35} are allowed`,
      ...(line === undefined ? {} : { line }),
    },
  ];
}

function checkCodes(
  reasons: readonly Reason[],
  set: ReadonlySet<string>,
  setName: string,
): BusinessProblem[] {
  return reasons
    .filter((r) => r.code !== undefined && !set.has(r.code))
    .map((r) => ({
      code: 'CODE_NOT_IN_CODE_SET' as const,
      reason: 'NARR',
      message: `Reason code ${r.code ?? ''} is not in ${setName}`,
      line: r.line,
    }));
}

/**
 * UETR when sent (unique by construction), else MsgId + EndToEndId. MsgId is length-prefixed because
 * Max35Text may contain the separator: ("A:B", "C") and ("A", "B:C") must not share a key. The key is
 * unique per sender only; the caller scopes it by partner.
 */
export function idempotencyKeyOf(msgId: string, endToEndId: string, uetr?: string): string {
  return uetr !== undefined && uetr !== '' ? `uetr:${uetr}` : `e2e:${msgId.length}:${msgId}:${endToEndId}`;
}

function duplicates(keys: readonly string[], lines: readonly number[]): (BusinessProblem | undefined)[] {
  const seen = new Set<string>();
  return keys.map((k, i) => {
    if (!seen.has(k)) {
      seen.add(k);
      return undefined;
    }
    return {
      code: 'DUPLICATE_TRANSACTION',
      reason: 'RF01',
      message: 'Same EndToEndId (or UETR) as an earlier transaction in this message',
      line: lines[i] ?? 0,
    };
  });
}

function creditTransferProblems(
  msgId: string,
  txs: readonly CreditTransfer[],
  amountLabel: string,
): BusinessProblem[][] {
  const dup = duplicates(
    txs.map((t) => idempotencyKeyOf(msgId, t.pmtId.endToEndId, t.pmtId.uetr)),
    txs.map((t) => t.line),
  );
  return txs.map((t, i) => {
    const problems: BusinessProblem[] = [
      ...checkIdentifier('EndToEndId', t.pmtId.endToEndId, 'FF08', t.line),
      ...checkIdentifier('InstrId', t.pmtId.instrId, 'FF01', t.line),
      ...checkIdentifier('TxId', t.pmtId.txId, 'FF01', t.line),
      ...checkAmount(t.amount, amountLabel).problems,
    ];
    const d = dup[i];
    if (d !== undefined) problems.push(d);
    return problems;
  });
}

/** MsgId length, NbOfTxs against the transactions, CtrlSum against their amounts. */
function groupHeaderProblems(
  gh: GroupHeaderCounts,
  amounts: readonly (Amount | undefined)[],
): BusinessProblem[] {
  const group: BusinessProblem[] = [...checkIdentifier('MsgId', gh.msgId, 'FF01')];
  const count = checkCount(gh.nbOfTxs, amounts.length, 'GrpHdr', 'AM19', gh.nbOfTxsLine);
  if (count !== undefined) group.push(count);
  const sum = checkSum(gh.ctrlSum, amounts, 'GrpHdr');
  if (sum !== undefined) group.push(sum);
  return group;
}

export function checkPacs008(msg: Pacs008): CheckResult {
  const gh = msg.groupHeader;
  const txs = msg.transactions;
  const amounts = txs.map((t) => t.amount);
  const group = groupHeaderProblems(gh, amounts);
  const total = gh.totalInterbankSettlementAmount;
  if (total !== undefined) {
    const mismatch =
      amounts.some((a) => a?.currency !== total.currency) ||
      checkSum(total.value, amounts, 'GrpHdr') !== undefined;
    if (mismatch) {
      group.push({
        code: 'TOTAL_AMOUNT_MISMATCH',
        reason: 'AM10',
        message: `TtlIntrBkSttlmAmt ${total.value} ${total.currency} does not match the transactions`,
        line: total.line,
      });
    }
  }
  return { group, transactions: creditTransferProblems(gh.msgId, txs, 'IntrBkSttlmAmt') };
}

export function checkPain001(msg: Pain001): CheckResult {
  const gh = msg.groupHeader;
  const all = msg.paymentInformation.flatMap((p) => p.transactions);
  const group = groupHeaderProblems(
    gh,
    all.map((t) => t.amount),
  );
  for (const pi of msg.paymentInformation) {
    group.push(...checkIdentifier('PmtInfId', pi.pmtInfId, 'FF01', pi.line));
    if (pi.nbOfTxs !== undefined) {
      const c = checkCount(pi.nbOfTxs, pi.transactions.length, `PmtInf ${pi.pmtInfId}`, 'AM20', pi.line);
      if (c !== undefined) group.push(c);
    }
    const s = checkSum(
      pi.ctrlSum,
      pi.transactions.map((t) => t.amount),
      `PmtInf ${pi.pmtInfId}`,
      pi.line,
    );
    if (s !== undefined) group.push(s);
  }
  return { group, transactions: creditTransferProblems(gh.msgId, all, 'InstdAmt') };
}

export function checkPacs004(msg: Pacs004, codeSets: CodeSets): CheckResult {
  const group = groupHeaderProblems(
    msg.groupHeader,
    msg.returns.map((r) => r.returnedAmount),
  );
  return {
    group,
    transactions: msg.returns.map((r) => [
      ...checkIdentifier('RtrId', r.rtrId, 'FF01', r.line),
      ...checkAmount(r.returnedAmount, 'RtrdIntrBkSttlmAmt').problems,
      ...checkCodes(r.reasons, codeSets.returnReason, 'ExternalReturnReason1Code'),
    ]),
  };
}

export function checkCamt056(msg: Camt056, codeSets: CodeSets): CheckResult {
  const group: BusinessProblem[] = [...checkIdentifier('Assgnmt/Id', msg.assignment.id, 'FF01')];
  const ctrl = msg.controlData;
  if (ctrl !== undefined) {
    const c = checkCount(ctrl.nbOfTxs, msg.cancellations.length, 'CtrlData', 'AM18', ctrl.line);
    if (c !== undefined) group.push(c);
    const s = checkSum(
      ctrl.ctrlSum,
      msg.cancellations.map((c) => c.originalAmount),
      'CtrlData',
      ctrl.line,
    );
    if (s !== undefined) group.push(s);
  }
  return {
    group,
    transactions: msg.cancellations.map((c) => [
      ...checkIdentifier('CxlId', c.cxlId, 'FF01', c.line),
      ...checkCodes(c.reasons, codeSets.cancellationReason, 'ExternalCancellationReason1Code'),
    ]),
  };
}
