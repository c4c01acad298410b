import {
  CAMT056_REVERSAL_ANSWERS,
  ISO8583_REVERSAL_ANSWERS,
  PACS004_REVERSAL_ANSWERS,
  REVERSAL_ANSWERS,
  reversalEndOf,
  type ReversalEnd,
} from './reversal-answers';

const ENDS = Object.keys(REVERSAL_ANSWERS) as ReversalEnd[];

const pacs004Status = (end: ReversalEnd): string => {
  const a = PACS004_REVERSAL_ANSWERS[end];
  return 'reasonCode' in a ? `reason:${a.reasonCode}` : a.status;
};

describe('the reversal answers every protocol gives', () => {
  it('reads how a reversal ended from its outcome', () => {
    const result = (status: 'REVERSED' | 'AMOUNT_MISMATCH') => ({
      status,
      originalPaymentId: null,
      billerReversal: 'not-needed' as const,
    });
    expect(reversalEndOf({ kind: 'processed', result: result('REVERSED') })).toBe('REVERSED');
    expect(reversalEndOf({ kind: 'replayed', result: result('AMOUNT_MISMATCH') })).toBe('AMOUNT_MISMATCH');
    expect(reversalEndOf({ kind: 'conflict' })).toBe('DUPLICATE_CONFLICT');
    expect(reversalEndOf({ kind: 'in-flight' })).toBe('STILL_IN_FLIGHT');
    expect(reversalEndOf('failed')).toBe('FAILED');
  });

  it('gives each protocol a column over the same rows', () => {
    for (const column of [ISO8583_REVERSAL_ANSWERS, PACS004_REVERSAL_ANSWERS, CAMT056_REVERSAL_ANSWERS]) {
      expect(Object.keys(column).sort()).toEqual([...ENDS].sort());
    }
  });

  it('says "reversed" in every protocol for the same row only', () => {
    const reversedIn = (said: (end: ReversalEnd) => boolean) => ENDS.filter(said);
    expect(reversedIn((e) => pacs004Status(e) === 'ACSC')).toEqual(['REVERSED']);
    expect(reversedIn((e) => CAMT056_REVERSAL_ANSWERS[e].status === 'ACCR')).toEqual(['REVERSED']);
  });

  it('asks the sender to come back in every protocol for the same rows', () => {
    // ISO 8583: 96 makes the acquirer repeat; ISO 20022: ACSP / PDCR or a system error.
    const later = ENDS.filter((e) => ISO8583_REVERSAL_ANSWERS[e] === 'SYSTEM_MALFUNCTION').sort();
    expect(later).toEqual(['FAILED', 'ORIGINAL_IN_FLIGHT', 'STILL_IN_FLIGHT']);
    for (const end of later) {
      expect(['ACSP', 'reason:SYSTEM_ERROR']).toContain(pacs004Status(end));
      expect(CAMT056_REVERSAL_ANSWERS[end].status).toBe('PDCR');
    }
    for (const end of ENDS.filter((e) => !later.includes(e))) {
      expect(CAMT056_REVERSAL_ANSWERS[end].status).not.toBe('PDCR');
    }
  });

  it('names the original in every ISO 20022 refusal about it', () => {
    for (const end of [
      'ALREADY_REVERSED',
      'NOTHING_TO_REVERSE',
      'ORIGINAL_NOT_FOUND',
      'AMOUNT_MISMATCH',
    ] as const) {
      expect(PACS004_REVERSAL_ANSWERS[end]).toMatchObject({
        status: 'RJCT',
        reason: { namesOriginal: true },
      });
      expect(CAMT056_REVERSAL_ANSWERS[end]).toMatchObject({
        status: 'RJCR',
        reason: { namesOriginal: true },
      });
    }
  });
});
