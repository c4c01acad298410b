import { REASON_CODES, type ReasonCode } from '../../domain/reason-codes';
import type { BusinessProblem } from './business-checks';

/**
 * Transaction statuses this project emits: ACSC once the biller confirmed, ACSP while the payment is
 * pending (timeouts, interrupted processing), RJCT with a reason.
 */
export type TxStatus = 'ACSC' | 'ACSP' | 'RJCT';

/** Group / payment-information status: ACCP when nothing was rejected, PART when some were, RJCT when all. */
export type GroupStatus = 'ACCP' | 'PART' | 'RJCT';

/** StsRsnInf: an ExternalStatusReason1Code and, for NARR above all, the narrative (Max105Text). */
export interface StatusReason {
  readonly code: string;
  readonly additionalInfo?: string;
}

export interface IsoStatus {
  readonly status: TxStatus;
  readonly reason?: StatusReason;
}

const narr = (code: ReasonCode): StatusReason => ({ code: 'NARR', additionalInfo: REASON_CODES[code] });
const coded = (code: string, reason: ReasonCode): StatusReason => ({
  code,
  additionalInfo: REASON_CODES[reason],
});

/**
 * Internal outcome -> ISO 20022 status. Keyed by every ReasonCode, so a new internal code does not
 * compile until it is given an ISO answer here. Specific ExternalStatusReason1Codes where one fits
 * exactly; NARR with the internal description otherwise.
 */
export const ISO_STATUS_BY_REASON: Readonly<Record<ReasonCode, IsoStatus>> = {
  APPROVED: { status: 'ACSC' },
  NO_ROUTE: { status: 'RJCT', reason: narr('NO_ROUTE') },
  INSUFFICIENT_FUNDS: { status: 'RJCT', reason: coded('AM04', 'INSUFFICIENT_FUNDS') },
  ACCOUNT_NOT_FOUND: { status: 'RJCT', reason: coded('AC01', 'ACCOUNT_NOT_FOUND') },
  ACCOUNT_BLOCKED: { status: 'RJCT', reason: coded('AC06', 'ACCOUNT_BLOCKED') },
  AGENT_NOT_FOUND: { status: 'RJCT', reason: narr('AGENT_NOT_FOUND') },
  DAILY_LIMIT_EXCEEDED: { status: 'RJCT', reason: narr('DAILY_LIMIT_EXCEEDED') },
  CURRENCY_NOT_SUPPORTED: { status: 'RJCT', reason: coded('AM03', 'CURRENCY_NOT_SUPPORTED') },
  FLOAT_NOT_FOUND: { status: 'RJCT', reason: narr('FLOAT_NOT_FOUND') },
  BILL_REFERENCE_UNKNOWN: { status: 'RJCT', reason: narr('BILL_REFERENCE_UNKNOWN') },
  BILLER_DECLINED: { status: 'RJCT', reason: narr('BILLER_DECLINED') },
  BILLER_TIMEOUT: { status: 'ACSP', reason: narr('BILLER_TIMEOUT') },
  BILLER_UNAVAILABLE: { status: 'RJCT', reason: narr('BILLER_UNAVAILABLE') },
  CORE_BANKING_UNAVAILABLE: { status: 'RJCT', reason: coded('FF10', 'CORE_BANKING_UNAVAILABLE') },
  CORE_BANKING_TIMEOUT: { status: 'ACSP', reason: narr('CORE_BANKING_TIMEOUT') },
  PROCESSING_INTERRUPTED: { status: 'ACSP', reason: narr('PROCESSING_INTERRUPTED') },
  PAYER_TYPE_NOT_ALLOWED: { status: 'RJCT', reason: narr('PAYER_TYPE_NOT_ALLOWED') },
  DUPLICATE_CONFLICT: { status: 'RJCT', reason: coded('DUPL', 'DUPLICATE_CONFLICT') },
  REVERSED_BEFORE_ARRIVAL: { status: 'RJCT', reason: narr('REVERSED_BEFORE_ARRIVAL') },
  FORMAT_ERROR: { status: 'RJCT', reason: coded('FF01', 'FORMAT_ERROR') },
  SYSTEM_ERROR: { status: 'RJCT', reason: coded('FF10', 'SYSTEM_ERROR') },
};

export function isoStatusFor(code: ReasonCode): IsoStatus {
  return ISO_STATUS_BY_REASON[code];
}

/** A transaction refused by a business check: RJCT with the first problem's reason. */
export function isoStatusForProblems(problems: readonly BusinessProblem[]): IsoStatus | undefined {
  const first = problems[0];
  return first === undefined
    ? undefined
    : { status: 'RJCT', reason: { code: first.reason, additionalInfo: first.message } };
}

/** GrpSts / PmtInfSts from the transactions' statuses; an empty list counts as rejected. */
export function groupStatusOf(statuses: readonly TxStatus[]): GroupStatus {
  const rejected = statuses.filter((s) => s === 'RJCT').length;
  if (rejected === 0 && statuses.length > 0) return 'ACCP';
  return rejected === statuses.length ? 'RJCT' : 'PART';
}
