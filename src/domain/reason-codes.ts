/**
 * The one internal vocabulary for why a payment ended the way it did. Every protocol has exactly one
 * exhaustive table from these codes to its own answer (HTTP problem / JSON, ISO 8583 field 39,
 * ISO 20022 status reason); adding a code here breaks the build until every table handles it.
 */
export const REASON_CODES = {
  APPROVED: 'Approved',
  NO_ROUTE: 'No routing rule for this bill type, payer type and partner',
  INSUFFICIENT_FUNDS: 'Insufficient funds in the debited account or float',
  ACCOUNT_NOT_FOUND: 'The payer account is unknown to the core banking system',
  ACCOUNT_BLOCKED: 'The payer account is blocked',
  AGENT_NOT_FOUND: 'The agent is unknown or inactive',
  DAILY_LIMIT_EXCEEDED: "The agent's daily cash limit would be exceeded",
  CURRENCY_NOT_SUPPORTED: 'The settlement account does not hold this currency',
  FLOAT_NOT_FOUND: 'The partner holds no float in this currency',
  BILL_REFERENCE_UNKNOWN: 'The biller does not know this bill reference',
  BILLER_DECLINED: 'The biller declined the payment',
  BILLER_TIMEOUT: 'The biller did not answer in time; the payment is pending',
  BILLER_UNAVAILABLE: 'The biller could not be reached; the payment was not made',
  CORE_BANKING_UNAVAILABLE: 'The core banking system could not be reached',
  CORE_BANKING_TIMEOUT: 'The core banking system did not answer in time; the payment is pending',
  PROCESSING_INTERRUPTED: 'Processing was interrupted; the payment is pending until recovered',
  PAYER_TYPE_NOT_ALLOWED: 'The partner may not send this payer type',
  DUPLICATE_CONFLICT: 'The idempotency key was already used for a different request',
  REVERSED_BEFORE_ARRIVAL: 'The partner reversed this payment before it arrived; it was not made',
  FORMAT_ERROR: 'The request is malformed',
  SYSTEM_ERROR: 'Internal error',
} as const;

export type ReasonCode = keyof typeof REASON_CODES;

export function isReasonCode(value: string): value is ReasonCode {
  return Object.prototype.hasOwnProperty.call(REASON_CODES, value);
}

/** Payment states as a partner sees them. */
export type PaymentStatus = 'APPROVED' | 'DECLINED' | 'PENDING' | 'REVERSED';

export const PAYER_TYPES = [
  'bank-customer',
  'mfs-user',
  'otc-agent',
  'card-on-file',
  'wallet-aggregator',
] as const;
export type PayerType = (typeof PAYER_TYPES)[number];

export function isPayerType(value: unknown): value is PayerType {
  return typeof value === 'string' && (PAYER_TYPES as readonly string[]).includes(value);
}
