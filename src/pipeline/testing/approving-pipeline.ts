import type { BillPayPipeline } from '../bill-pay.pipeline';

/**
 * A stand-in bill-pay pipeline that approves every command at once, for what exercises a protocol
 * layer alone (fuzzing a lane's translator, measuring its CPU): no database, no biller.
 */
export function approvingPipeline(
  payerType: string,
  createdAt: () => Date = () => new Date(),
): BillPayPipeline {
  return {
    pay: (cmd: {
      id: string;
      billType: string;
      billReference: string;
      amountMinor: bigint;
      currency: string;
    }) =>
      Promise.resolve({
        kind: 'processed',
        result: {
          paymentId: cmd.id,
          status: 'APPROVED',
          reasonCode: 'APPROVED',
          billerReceipt: 'R-1',
          billType: cmd.billType,
          billReference: cmd.billReference,
          amountMinor: cmd.amountMinor,
          currency: cmd.currency,
          payerType,
          partnerReference: 'x',
          createdAt: createdAt(),
          route: null,
        },
      }),
  } as unknown as BillPayPipeline;
}
