import type { ReasonCode } from '../domain/reason-codes';
import type { ReversalOutcome, ReversalStatus } from '../pipeline/reversal.service';

/*
 * How every protocol answers a reversal, in one declaration: a row per way a reversal can end, a
 * column per answer (ISO 8583 0410/0430 field 39; ISO 20022 pacs.002 to a pacs.004 return, camt.029
 * to a camt.056 cancellation). Each protocol reads its own column, exhaustive over the same rows, so
 * a new reversal status cannot compile until every protocol says how it answers it, and two
 * protocols cannot quietly disagree about what a status means. Protocol-neutral: it imports no
 * protocol, so each may import it (dependency-cruiser: protocol-is-not-another-protocol).
 */

/** How a reversal ended: its status, what its idempotency key said, or a failure to run it. */
export type ReversalEnd = ReversalStatus | 'DUPLICATE_CONFLICT' | 'STILL_IN_FLIGHT' | 'FAILED';

export function reversalEndOf(outcome: ReversalOutcome | 'failed'): ReversalEnd {
  if (outcome === 'failed') return 'FAILED';
  switch (outcome.kind) {
    case 'conflict':
      return 'DUPLICATE_CONFLICT';
    case 'in-flight':
      return 'STILL_IN_FLIGHT';
    case 'processed':
    case 'replayed':
      return outcome.result.status;
  }
}

/** ISO 8583 field 39, by meaning: the dialect turns each into its code (some are its conventions). */
export type Iso8583ReversalAnswer =
  'APPROVED' | 'UNKNOWN_ORIGINAL' | 'SYSTEM_MALFUNCTION' | 'INVALID_AMOUNT' | 'DUPLICATE_CONFLICT';

/** An ISO 20022 status; when refused, a reason code and its text, which names the original unless told not to. */
export interface Iso20022ReversalAnswer<Status extends string> {
  readonly status: Status;
  readonly reason?: { readonly code: string; readonly text: string; readonly namesOriginal: boolean };
}

export interface ReversalAnswers {
  readonly iso8583: Iso8583ReversalAnswer;
  /** pacs.002 to a pacs.004 return, or the ISO 20022 reason table's answer for an internal reason. */
  readonly pacs004: Iso20022ReversalAnswer<'ACSC' | 'ACSP' | 'RJCT'> | { readonly reasonCode: ReasonCode };
  /** camt.029 to a camt.056 cancellation request. */
  readonly camt056: Iso20022ReversalAnswer<'ACCR' | 'RJCR' | 'PDCR'>;
}

const refused = <S extends string, C extends string>(status: S, code: C, text: string) => ({
  status,
  reason: { code, text, namesOriginal: true as const },
});
const STILL_PROCESSING = {
  status: 'ACSP',
  reason: {
    code: 'NARR',
    text: 'Still being processed: send the message again for the final status',
    namesOriginal: false,
  },
} as const;

export const REVERSAL_ANSWERS = {
  REVERSED: {
    iso8583: 'APPROVED',
    pacs004: { status: 'ACSC' },
    camt056: { status: 'ACCR' },
  },
  ALREADY_REVERSED: {
    // A second reversal moves nothing. ISO 8583 acknowledges it (the acquirer stops repeating); a
    // second return's ACSC would tell its sender it settled. A duplicate of the same reversal (same
    // key) replays its first answer from the idempotency record instead.
    iso8583: 'APPROVED',
    pacs004: refused('RJCT', 'FF12', 'Original payment already returned or cancelled'),
    camt056: refused('RJCR', 'ARDT', 'Already returned or cancelled'),
  },
  NOTHING_TO_REVERSE: {
    iso8583: 'APPROVED',
    pacs004: refused('RJCT', 'NARR', 'Original payment was declined, nothing to return'),
    camt056: refused('RJCR', 'NOOR', 'Original payment was declined, nothing to cancel'),
  },
  ORIGINAL_NOT_FOUND: {
    iso8583: 'UNKNOWN_ORIGINAL',
    pacs004: refused('RJCT', 'NARR', 'Original payment not found'),
    camt056: refused('RJCR', 'NOOR', 'Original payment not found'),
  },
  AWAITING_ORIGINAL: {
    // Only an advice (0420) is kept for an original yet to come; a return or a cancellation is not one.
    iso8583: 'APPROVED',
    pacs004: refused('RJCT', 'NARR', 'Original payment not found'),
    camt056: refused('RJCR', 'NOOR', 'Original payment not found'),
  },
  ORIGINAL_IN_FLIGHT: {
    iso8583: 'SYSTEM_MALFUNCTION',
    pacs004: STILL_PROCESSING,
    camt056: { status: 'PDCR' },
  },
  AMOUNT_MISMATCH: {
    iso8583: 'INVALID_AMOUNT',
    pacs004: refused('RJCT', 'AM09', "Returned amount is not the original's"),
    camt056: refused('RJCR', 'AGNT', "Amount is not the original's"),
  },
  DUPLICATE_CONFLICT: {
    iso8583: 'DUPLICATE_CONFLICT',
    pacs004: { reasonCode: 'DUPLICATE_CONFLICT' },
    camt056: {
      status: 'RJCR',
      reason: {
        code: 'AGNT',
        text: 'This cancellation id was already used for a different request',
        namesOriginal: false,
      },
    },
  },
  STILL_IN_FLIGHT: {
    iso8583: 'SYSTEM_MALFUNCTION',
    pacs004: STILL_PROCESSING,
    camt056: { status: 'PDCR' },
  },
  FAILED: {
    iso8583: 'SYSTEM_MALFUNCTION',
    pacs004: { reasonCode: 'SYSTEM_ERROR' },
    camt056: { status: 'PDCR' },
  },
} as const satisfies { readonly [End in ReversalEnd]: ReversalAnswers };

/** One protocol's column, with the literal codes the table gives (a protocol's own types check them). */
type Column<P extends keyof ReversalAnswers> = {
  readonly [End in ReversalEnd]: (typeof REVERSAL_ANSWERS)[End][P];
};

function column<P extends keyof ReversalAnswers>(protocol: P): Column<P> {
  return Object.fromEntries(
    Object.entries(REVERSAL_ANSWERS).map(([end, answers]) => [end, answers[protocol]]),
  ) as Column<P>;
}

/** Each protocol's own table, read from the one declaration above. */
export const ISO8583_REVERSAL_ANSWERS = column('iso8583');
export const PACS004_REVERSAL_ANSWERS = column('pacs004');
export const CAMT056_REVERSAL_ANSWERS = column('camt056');
