import type { ReasonCode } from '../../../domain/reason-codes';

/**
 * The ISO 8583 lane's one exhaustive table from internal reason codes to field 39, the default of
 * every dialect (a dialect's `conventions.responseCodes` overrides single entries; README has the
 * table per dialect). Codes are ISO 8583:1987's; an account payer is not told card codes (14 invalid
 * card, 62 restricted card): an unknown account is 42 (no universal account: bill payments debit the
 * default account, processing code 50 00 xx) and a blocked one 05 (do not honour; 1987 has no
 * blocked-account code). An outcome the gateway does not know yet (biller or core banking timed
 * out) is answered 68, which tells the acquirer to reverse if it does not want to wait; the reversal
 * flow honours that.
 */
export const FIELD_39: Readonly<Record<ReasonCode, string>> = {
  APPROVED: '00',
  NO_ROUTE: '92',
  INSUFFICIENT_FUNDS: '51',
  ACCOUNT_NOT_FOUND: '42',
  ACCOUNT_BLOCKED: '05',
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
  REVERSED_BEFORE_ARRIVAL: '05',
  FORMAT_ERROR: '30',
  SYSTEM_ERROR: '96',
};

export const INVALID_TRANSACTION = '12';
export const FORMAT_ERROR = '30';
export const INVALID_AMOUNT = '13';
export const UNKNOWN_ACQUIRER = '03';
export const SYSTEM_MALFUNCTION = '96';
export const APPROVED = '00';
