import type { ReasonCode } from '../../domain/reason-codes';

export interface RestReason {
  /** Status of the HTTP answer when this reason refuses the request itself rather than deciding a payment. */
  readonly httpStatus: number;
  readonly problemSlug: string;
  readonly message: string;
}

/**
 * The REST lane's one exhaustive table from internal reason codes. Payment decisions (approved,
 * declined, pending) are always 201 with the reason in the body; the status here applies when the
 * reason refuses the request before any payment exists.
 */
export const REST_REASONS: Record<ReasonCode, RestReason> = {
  APPROVED: { httpStatus: 201, problemSlug: 'approved', message: 'Approved' },
  NO_ROUTE: {
    httpStatus: 201,
    problemSlug: 'no-route',
    message: 'No route for this bill type from this partner',
  },
  INSUFFICIENT_FUNDS: { httpStatus: 201, problemSlug: 'insufficient-funds', message: 'Insufficient funds' },
  ACCOUNT_NOT_FOUND: {
    httpStatus: 201,
    problemSlug: 'account-not-found',
    message: 'Payer account not found',
  },
  ACCOUNT_BLOCKED: { httpStatus: 201, problemSlug: 'account-blocked', message: 'Payer account blocked' },
  AGENT_NOT_FOUND: { httpStatus: 201, problemSlug: 'agent-not-found', message: 'Agent unknown or inactive' },
  DAILY_LIMIT_EXCEEDED: {
    httpStatus: 201,
    problemSlug: 'daily-limit-exceeded',
    message: 'Agent daily cash limit exceeded',
  },
  CURRENCY_NOT_SUPPORTED: {
    httpStatus: 201,
    problemSlug: 'currency-not-supported',
    message: 'Currency not supported on this route',
  },
  FLOAT_NOT_FOUND: {
    httpStatus: 201,
    problemSlug: 'float-not-found',
    message: 'The partner holds no float in this currency',
  },
  BILL_REFERENCE_UNKNOWN: {
    httpStatus: 201,
    problemSlug: 'bill-reference-unknown',
    message: 'The biller does not know this bill',
  },
  BILLER_DECLINED: {
    httpStatus: 201,
    problemSlug: 'biller-declined',
    message: 'The biller declined the payment',
  },
  BILLER_TIMEOUT: {
    httpStatus: 201,
    problemSlug: 'biller-timeout',
    message: 'Biller did not confirm in time; pending',
  },
  BILLER_UNAVAILABLE: {
    httpStatus: 201,
    problemSlug: 'biller-unavailable',
    message: 'Biller unavailable; not paid',
  },
  CORE_BANKING_UNAVAILABLE: {
    httpStatus: 201,
    problemSlug: 'core-banking-unavailable',
    message: 'Core banking unavailable; not paid',
  },
  CORE_BANKING_TIMEOUT: {
    httpStatus: 201,
    problemSlug: 'core-banking-timeout',
    message: 'Core banking did not confirm in time; pending',
  },
  PROCESSING_INTERRUPTED: {
    httpStatus: 201,
    problemSlug: 'processing-interrupted',
    message: 'Processing interrupted; pending',
  },
  PAYER_TYPE_NOT_ALLOWED: {
    httpStatus: 403,
    problemSlug: 'payer-type-not-allowed',
    message: 'Payer type not allowed for this partner',
  },
  REVERSED_BEFORE_ARRIVAL: {
    httpStatus: 201,
    problemSlug: 'reversed-before-arrival',
    message: 'Reversed by the partner before it arrived; not paid',
  },
  DUPLICATE_CONFLICT: {
    httpStatus: 422,
    problemSlug: 'idempotency-key-reused',
    message: 'Idempotency key reused with a different request',
  },
  FORMAT_ERROR: { httpStatus: 400, problemSlug: 'invalid-request', message: 'Invalid request' },
  SYSTEM_ERROR: { httpStatus: 500, problemSlug: 'internal-error', message: 'Internal error' },
};
