import type { IsoStatus } from '../status';
import type { TransactionInstruction } from '../instructions';

/** What the lane's checks need to know beyond the message: which bill types billgate offers. */
export interface LaneCheckLookups {
  readonly billTypeOffered: (code: string) => boolean | Promise<boolean>;
}

/** A transaction the lane refuses before it becomes a payment: its RJCT, or a format error. */
export type LaneRefusal = IsoStatus | 'FORMAT_ERROR';

/** What a transaction that passed the lane's checks pays: every part present, references trimmed. */
export interface LaneChecked {
  readonly billType: string;
  readonly billReference: string;
  readonly account: string;
  readonly amountMinor: bigint;
  readonly currency: string;
}

const rjct = (additionalInfo: string): IsoStatus => ({
  status: 'RJCT',
  reason: { code: 'NARR', additionalInfo },
});

/**
 * The lane's own checks on one payment instruction, after the XSD and the business checks and before
 * anything is posted: a bill type that names an offered biller, a bill reference, a debtor account
 * and an amount. The lane (Iso20022Translator) and `billgate iso20022 validate` both run these, so
 * the CLI never says OK to a message the lane would reject. Who sent it (payer type, idempotency) is
 * checked by the lane only.
 */
export async function laneChecks(
  ins: TransactionInstruction,
  lookups: LaneCheckLookups,
): Promise<{ readonly refused: LaneRefusal } | { readonly checked: LaneChecked }> {
  const refused = (r: LaneRefusal) => ({ refused: r });
  if (ins.billType === undefined) {
    const said = [
      ins.purposeCode === undefined ? 'no Purp/Cd' : `purpose ${ins.purposeCode}`,
      ins.creditorId === undefined ? 'no Cdtr/Id' : `creditor ${ins.creditorId}`,
    ];
    return refused(rjct(`Bill type unknown: ${said.join(', ')} names no biller`));
  }
  if (!(await lookups.billTypeOffered(ins.billType))) {
    return refused(rjct(`Bill type ${ins.billType} is not offered`));
  }
  const billReference = ins.billReference?.trim();
  if (billReference === undefined || billReference === '') {
    return refused(rjct('Bill reference missing: RmtInf/Strd/CdtrRefInf/Ref or RmtInf/Ustrd'));
  }
  const account = ins.payerAccount?.trim();
  if (account === undefined || account === '') {
    return refused({ status: 'RJCT', reason: { code: 'RR01', additionalInfo: 'DbtrAcct is required' } });
  }
  if (ins.amountMinor === undefined || ins.currency === undefined) return refused('FORMAT_ERROR');
  return {
    checked: {
      billType: ins.billType,
      billReference,
      account,
      amountMinor: ins.amountMinor,
      currency: ins.currency,
    },
  };
}
