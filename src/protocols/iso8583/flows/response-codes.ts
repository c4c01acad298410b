import type { ReasonCode } from '../../../domain/reason-codes';

/**
 * The ISO 8583 lane's one exhaustive table from internal reason codes to field 39. An outcome the
 * gateway does not know yet (biller or core banking timed out) is answered 68, which tells the
 * acquirer to reverse if it does not want to wait; the reversal flow honours that.
 */
export const FIELD_39: Record<ReasonCode, string> = {
  APPROVED: '00',
  NO_ROUTE: '92',
  INSUFFICIENT_FUNDS: '51',
  ACCOUNT_NOT_FOUND: '14',
  ACCOUNT_BLOCKED: '62',
  AGENT_NOT_FOUND: '03',
  DAILY_LIMIT_EXCEEDED: '61',
  CURRENCY_NOT_SUPPORTED: '12',
  FLOAT_NOT_FOUND: '12',
  BILL_REFERENCE_UNKNOWN: '25',
  BILLER_DECLINED: '05',
  BILLER_TIMEOUT: '68',
  BILLER_UNAVAILABLE: '91',
  CORE_BANKING_UNAVAILABLE: '91',
  CORE_BANKING_TIMEOUT: '68',
  PROCESSING_INTERRUPTED: '68',
  PAYER_TYPE_NOT_ALLOWED: '57',
  DUPLICATE_CONFLICT: '94',
  FORMAT_ERROR: '30',
  SYSTEM_ERROR: '96',
};

export const INVALID_TRANSACTION = '12';
export const FORMAT_ERROR = '30';
export const INVALID_AMOUNT = '13';
export const UNKNOWN_ACQUIRER = '03';
export const SYSTEM_MALFUNCTION = '96';
export const APPROVED = '00';
