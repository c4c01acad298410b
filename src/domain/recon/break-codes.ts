/**
 * Break codes and who owns each: B1-B5 as the issue set them, and the kinds the issue asks to be
 * breaks of their own (a row matching several of ours, a count-sheet variance) after them.
 */
export const BREAK_CODES = {
  B1: { owner: 'ops', meaning: "in the partner's (or biller's) file, missing in our ledger" },
  B2: { owner: 'eng', meaning: 'in our ledger, missing at the biller' },
  B3: { owner: 'partner-ops', meaning: 'amount mismatch' },
  B4: { owner: 'eng', meaning: 'status mismatch (OK on one side, failed or reversed on another)' },
  B5: { owner: 'ops', meaning: 'currency or value-date mismatch' },
  B6: {
    owner: 'ops',
    meaning: 'one source row matches several of our payments, or several rows one payment',
  },
  B7: { owner: 'partner-ops', meaning: "in our ledger, missing in the partner's settlement file" },
  B8: { owner: 'ops', meaning: "agent cash count variance (counted cash differs from the ledger's)" },
} as const;

export type BreakCode = keyof typeof BREAK_CODES;
export type BreakOwner = (typeof BREAK_CODES)[BreakCode]['owner'];
export const BREAK_OWNERS = ['ops', 'eng', 'partner-ops'] as const;
export const BREAK_STATES = ['open', 'resolved', 'cleared'] as const;
export type BreakState = (typeof BREAK_STATES)[number];

export function isBreakCode(value: string): value is BreakCode {
  return Object.prototype.hasOwnProperty.call(BREAK_CODES, value);
}

/**
 * How a break is resolved. The money-moving ones post a balanced adjusting journal through the
 * ledger with the break as its reason; the others only record why the break needs nothing.
 */
export const RESOLUTION_CODES = {
  explained: { movesMoney: false, meaning: 'no money to move: explained (timing, cut-off, known cause)' },
  'partner-corrected': {
    movesMoney: false,
    meaning: 'the partner corrects its side (a corrected file follows)',
  },
  'biller-corrected': { movesMoney: false, meaning: 'the biller corrects its side' },
  'duplicate-row': { movesMoney: false, meaning: 'a duplicate row in a source file' },
  'write-off': {
    movesMoney: true,
    meaning: 'the difference is written off to the reconciliation suspense account',
  },
  'correcting-entry': { movesMoney: true, meaning: 'a correcting entry between two named accounts' },
  refund: { movesMoney: true, meaning: "the payer is refunded from the biller's settlement account" },
} as const;
export type ResolutionCode = keyof typeof RESOLUTION_CODES;

export function isResolutionCode(value: string): value is ResolutionCode {
  return Object.prototype.hasOwnProperty.call(RESOLUTION_CODES, value);
}
