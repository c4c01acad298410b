import { REASON_CODES, type ReasonCode } from '../../domain/reason-codes';
import { loadCodeSets } from './code-sets';
import { groupStatusOf, ISO_STATUS_BY_REASON, isoStatusForProblems } from './status';

const sets = loadCodeSets();

describe('ReasonCode -> ISO 20022 status', () => {
  it('covers every internal reason code', () => {
    expect(Object.keys(ISO_STATUS_BY_REASON).sort()).toEqual(Object.keys(REASON_CODES).sort());
  });

  it.each(Object.entries(ISO_STATUS_BY_REASON))('%s emits only codes from the code sets', (_code, iso) => {
    expect(sets.transactionStatus.has(iso.status)).toBe(true);
    if (iso.reason !== undefined) {
      expect(sets.statusReason.has(iso.reason.code)).toBe(true);
      expect([...(iso.reason.additionalInfo ?? '')].length).toBeLessThanOrEqual(105);
    }
    if (iso.reason?.code === 'NARR') expect(iso.reason.additionalInfo).toBeTruthy();
  });

  it('uses the specific codes the lane relies on', () => {
    const pick = (c: ReasonCode): string =>
      `${ISO_STATUS_BY_REASON[c].status}/${ISO_STATUS_BY_REASON[c].reason?.code ?? '-'}`;
    expect(pick('APPROVED')).toBe('ACSC/-');
    expect(pick('INSUFFICIENT_FUNDS')).toBe('RJCT/AM04');
    expect(pick('ACCOUNT_NOT_FOUND')).toBe('RJCT/AC01');
    expect(pick('DUPLICATE_CONFLICT')).toBe('RJCT/DUPL');
    expect(pick('FORMAT_ERROR')).toBe('RJCT/FF01');
    expect(pick('BILLER_TIMEOUT')).toBe('ACSP/NARR');
    expect(pick('BILLER_DECLINED')).toBe('RJCT/NARR');
  });

  it('business problems answer RJCT with the first problem', () => {
    expect(isoStatusForProblems([])).toBeUndefined();
    expect(
      isoStatusForProblems([
        { code: 'AMOUNT_MINOR_DIGITS', reason: 'AM12', message: 'x' },
        { code: 'IDENTIFIER_TOO_LONG', reason: 'FF08', message: 'y' },
      ]),
    ).toEqual({ status: 'RJCT', reason: { code: 'AM12', additionalInfo: 'x' } });
  });
});

describe('group status', () => {
  it('ACCP when nothing was rejected, PART when some were, RJCT when all (or none sent)', () => {
    expect(groupStatusOf(['ACSC', 'ACSP'])).toBe('ACCP');
    expect(groupStatusOf(['ACSC', 'RJCT'])).toBe('PART');
    expect(groupStatusOf(['RJCT', 'RJCT'])).toBe('RJCT');
    expect(groupStatusOf([])).toBe('RJCT');
  });

  it('the group codes are in ExternalPaymentGroupStatus1Code (transaction set + PART)', () => {
    for (const s of ['ACCP', 'PART', 'RJCT']) expect(sets.groupStatus.has(s)).toBe(true);
    expect(sets.transactionStatus.has('PART')).toBe(false);
  });
});
