import { z } from 'zod';
import { formatMajorAmount, MAX_MINOR, parseMajorAmount, type AmountProblem } from '../../domain/money/money';
import type { PayerRef } from '../../domain/partners/classify';
import type { ProblemField } from './problem';
import { problemFields } from './zod-problems';

const printable = /^[\x20-\x7E]+$/;
const identifier = (max: number) =>
  z
    .string()
    .min(1, 'must not be empty')
    .max(max, `at most ${max} characters`)
    .regex(printable, 'printable ASCII characters only');

export const billPayBodySchema = z
  .object({
    billType: z.string().regex(/^[A-Z][A-Z0-9_]{1,31}$/, 'an upper-case bill type code such as ELECTRICITY'),
    billReference: identifier(64),
    amount: z.string().describe('decimal string in major units, e.g. "1250.50"'),
    currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 alphabetic code such as BDT'),
    payer: z
      .object({
        account: identifier(34).optional(),
        wallet: identifier(34).optional(),
        agentId: identifier(34).optional(),
        cardToken: identifier(64).optional(),
      })
      .strict(),
    partnerReference: identifier(64),
  })
  .strict();

export type BillPayBody = z.infer<typeof billPayBodySchema>;

export interface ValidBillPay {
  readonly billType: string;
  readonly billReference: string;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly payer: PayerRef;
  readonly partnerReference: string;
}

const AMOUNT_MESSAGES: Record<AmountProblem, string> = {
  'not-a-decimal': 'a decimal string in major units such as "1250.50"',
  'not-positive': 'must be greater than zero',
  'too-many-minor-digits': 'has more decimal places than the currency allows',
  'unknown-currency': 'currency is not a supported ISO 4217 code',
  'too-large': 'too large',
};

/**
 * Validates a `POST /bill/pay` body, naming every bad field. The bill-type check needs the live
 * catalogue, so it is passed in.
 */
export function validateBillPay(
  body: unknown,
  isKnownBillType: (code: string) => boolean,
): { ok: true; value: ValidBillPay } | { ok: false; errors: ProblemField[] } {
  const parsed = billPayBodySchema.safeParse(body);
  const errors: ProblemField[] = parsed.success ? [] : problemFields(parsed.error.issues, body);
  const amountField = errors.findIndex((e) => e.field === 'amount');
  const rawAmount = (body as { amount?: unknown } | null)?.amount;
  if (amountField >= 0 && rawAmount !== undefined && typeof rawAmount !== 'string') {
    // A JSON number would already have been rounded by the parser: the amount travels as a string.
    errors[amountField] = {
      field: 'amount',
      message: 'must be a string such as "1250.50", not a JSON number',
    };
  }
  // The checks the schema cannot make still run on whatever fields are well-formed, so one answer
  // names every bad field rather than the first layer of them.
  const raw = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const named = new Set(errors.map((e) => e.field));
  if (typeof raw.billType === 'string' && !named.has('billType') && !isKnownBillType(raw.billType)) {
    errors.push({ field: 'billType', message: `unknown bill type ${raw.billType}` });
  }
  let amount: ReturnType<typeof parseMajorAmount> | undefined;
  if (typeof raw.amount === 'string' && typeof raw.currency === 'string' && !named.has('currency')) {
    amount = parseMajorAmount(raw.amount, raw.currency);
    if (typeof amount === 'string') {
      errors.push(
        amount === 'unknown-currency'
          ? { field: 'currency', message: `unknown currency ${raw.currency}` }
          : amount === 'too-large'
            ? {
                field: 'amount',
                message: `too large: at most ${formatMajorAmount(MAX_MINOR, raw.currency)} ${raw.currency}`,
              }
            : { field: 'amount', message: AMOUNT_MESSAGES[amount] },
      );
    }
  }
  if (!parsed.success) return { ok: false, errors };
  const b = parsed.data;

  const instruments: PayerRef[] = [];
  if (b.payer.account !== undefined) instruments.push({ kind: 'account', id: b.payer.account });
  if (b.payer.wallet !== undefined) instruments.push({ kind: 'wallet', id: b.payer.wallet });
  if (b.payer.agentId !== undefined) instruments.push({ kind: 'agent', id: b.payer.agentId });
  if (b.payer.cardToken !== undefined) instruments.push({ kind: 'card-token', id: b.payer.cardToken });
  if (instruments.length !== 1) {
    errors.push({ field: 'payer', message: 'exactly one of account, wallet, agentId or cardToken' });
  }
  if (/^\d{13,19}$/.test(b.payer.cardToken ?? '')) {
    errors.push({ field: 'payer.cardToken', message: 'must be a token, never a card number' });
  }

  if (
    errors.length > 0 ||
    amount === undefined ||
    typeof amount === 'string' ||
    instruments[0] === undefined
  ) {
    return { ok: false, errors };
  }
  return {
    ok: true,
    value: {
      billType: b.billType,
      billReference: b.billReference,
      amountMinor: amount.minor,
      currency: amount.currency,
      payer: instruments[0],
      partnerReference: b.partnerReference,
    },
  };
}

const IDEMPOTENCY_KEY = /^[\x20-\x7E]{1,255}$/;

export const IDEMPOTENCY_KEY_MAX = 255;

export function isValidIdempotencyKey(key: string | undefined): key is string {
  return key !== undefined && IDEMPOTENCY_KEY.test(key);
}

/** What is wrong with an Idempotency-Key header, said so the caller can fix it. */
export function idempotencyKeyProblem(key: string | undefined): string | undefined {
  if (key === undefined || key === '')
    return `is required: 1-${IDEMPOTENCY_KEY_MAX} printable ASCII characters`;
  if (key.length > IDEMPOTENCY_KEY_MAX)
    return `is ${key.length} characters long: at most ${IDEMPOTENCY_KEY_MAX}`;
  if (!IDEMPOTENCY_KEY.test(key))
    return 'printable ASCII characters only (no control or non-ASCII characters)';
  return undefined;
}
