import { formatMajorAmount } from '../money/money';
import { BREAK_CODES, type BreakCode } from './break-codes';
import type { BreakDraft } from './breaks.repository';
import type {
  OtherDayCandidate,
  OurRow,
  PaymentCandidate,
  ScopedFile,
  SideRow,
  UnmatchedCandidate,
} from './day-comparison';

type Side = 'partner' | 'biller';

export interface Disagreement {
  readonly side: Side;
  readonly field: 'missing' | 'currency' | 'amount' | 'status' | 'valueDate';
  readonly ours?: string;
  readonly theirs?: string;
}

function money(minor: bigint, currency: string): string {
  return `${formatMajorAmount(minor, currency)} ${currency}`;
}

function dayDiff(a: string, b: string): number {
  return Math.round((Date.parse(`${a}T00:00:00Z`) - Date.parse(`${b}T00:00:00Z`)) / 86_400_000);
}

export function ourView(o: OurRow): Record<string, unknown> {
  return {
    paymentId: o.paymentId,
    partnerId: o.partnerId,
    billerId: o.billerId,
    partnerReference: o.partnerReference,
    billerReceipt: o.billerReceipt,
    amount: formatMajorAmount(o.amountMinor, o.currency),
    amountMinor: o.amountMinor.toString(),
    currency: o.currency,
    status: o.status,
    paymentStatus: o.rawStatus,
    valueDate: o.valueDate,
    receivedAt: o.receivedAt.toISOString(),
  };
}

export function sideView(r: SideRow, file: ScopedFile | null): Record<string, unknown> {
  return {
    fileId: r.fileId,
    line: r.line,
    ...(file !== null ? { source: file.source, sourceId: file.sourceId } : {}),
    paymentId: r.paymentId,
    partnerReference: r.partnerReference,
    billerReceipt: r.billerReceipt,
    amount: formatMajorAmount(r.amountMinor, r.currency),
    amountMinor: r.amountMinor.toString(),
    currency: r.currency,
    status: r.status,
    valueDate: r.valueDate,
    matchedBy: r.matchKey,
  };
}

/** Where one side disagrees with ours (an empty list: it agrees). */
export function compareSide(
  o: OurRow,
  side: Side,
  row: SideRow | null,
  file: ScopedFile | null,
): Disagreement[] {
  if (file === null) return [];
  if (row === null) {
    const matters = side === 'partner' ? o.status === 'OK' || o.status === 'PENDING' : o.status === 'OK';
    return matters ? [{ side, field: 'missing' }] : [];
  }
  const out: Disagreement[] = [];
  if (row.currency !== o.currency)
    out.push({ side, field: 'currency', ours: o.currency, theirs: row.currency });
  const diff = row.amountMinor - o.amountMinor;
  if ((diff < 0n ? -diff : diff) > file.amountTolerance) {
    out.push({
      side,
      field: 'amount',
      ours: money(o.amountMinor, o.currency),
      theirs: money(row.amountMinor, row.currency),
    });
  }
  if (row.status !== o.status) out.push({ side, field: 'status', ours: o.status, theirs: row.status });
  if (Math.abs(dayDiff(row.valueDate, o.valueDate)) > file.dateToleranceDays) {
    out.push({ side, field: 'valueDate', ours: o.valueDate, theirs: row.valueDate });
  }
  return out;
}

/** Which code a set of disagreements is, most consequential first: currency, amount, status, missing, date. */
export function codeOf(ds: readonly Disagreement[]): BreakCode | undefined {
  const has = (field: Disagreement['field'], side?: Side): boolean =>
    ds.some((d) => d.field === field && (side === undefined || d.side === side));
  if (has('currency')) return 'B5';
  if (has('amount')) return 'B3';
  if (has('status')) return 'B4';
  if (has('missing', 'biller')) return 'B2';
  if (has('missing', 'partner')) return 'B7';
  if (has('valueDate')) return 'B5';
  return undefined;
}

function describe(d: Disagreement): string {
  if (d.field === 'missing')
    return d.side === 'biller' ? 'missing at the biller' : "missing in the partner's file";
  const what = d.field === 'valueDate' ? 'value date' : d.field;
  return `${what}: ours ${d.ours}, ${d.side} ${d.theirs}`;
}

export function draftForPayment(c: PaymentCandidate): BreakDraft | undefined {
  const ds = [
    ...compareSide(c.ours, 'partner', c.partner, c.partnerFile),
    ...compareSide(c.ours, 'biller', c.biller, c.billerFile),
  ];
  const code = codeOf(ds);
  if (code === undefined) return undefined;
  return {
    key: `payment:${c.ours.paymentId}`,
    code,
    owner: BREAK_CODES[code].owner,
    partnerId: c.ours.partnerId,
    billerId: c.ours.billerId,
    paymentId: c.ours.paymentId,
    currency: c.ours.currency,
    amountMinor: c.ours.amountMinor,
    summary: `${code} ${BREAK_CODES[code].meaning}: ${ds.map(describe).join('; ')}`,
    evidence: {
      ours: ourView(c.ours),
      partner: c.partner === null ? null : sideView(c.partner, c.partnerFile),
      biller: c.biller === null ? null : sideView(c.biller, c.billerFile),
      partnerFile: c.partnerFile?.fileId ?? null,
      billerFile: c.billerFile?.fileId ?? null,
      disagreements: ds,
      notes: [],
    },
  };
}

/** A row of the day's file that matched one of our payments of another day: a date mismatch. */
export function draftForOtherDay(c: OtherDayCandidate, businessDate: string): BreakDraft {
  const side: Side = c.file.source;
  const ds: Disagreement[] = [
    {
      side,
      field: 'valueDate',
      ours: c.ours.valueDate,
      theirs: `${c.row.valueDate} (in the file of ${businessDate})`,
    },
    ...compareSide(c.ours, side, c.row, c.file).filter((d) => d.field !== 'valueDate'),
  ];
  const code = codeOf(ds.filter((d) => d.field !== 'valueDate')) ?? 'B5';
  return {
    key: `payment:${c.ours.paymentId}`,
    code,
    owner: BREAK_CODES[code].owner,
    partnerId: c.ours.partnerId,
    billerId: c.ours.billerId,
    paymentId: c.ours.paymentId,
    currency: c.ours.currency,
    amountMinor: c.ours.amountMinor,
    summary: `${code} ${BREAK_CODES[code].meaning}: ${ds.map(describe).join('; ')}`,
    evidence: {
      ours: ourView(c.ours),
      partner: side === 'partner' ? sideView(c.row, c.file) : null,
      biller: side === 'biller' ? sideView(c.row, c.file) : null,
      disagreements: ds,
      notes: [`our payment was received on ${c.ours.valueDate}, a different business day`],
    },
  };
}

/** A source row that matched none of our payments (B1) or matched ambiguously (B6). */
export function draftForUnmatched(c: UnmatchedCandidate, key: string): BreakDraft {
  const code: BreakCode = c.outcome === 'unmatched' ? 'B1' : 'B6';
  const who = c.file.source === 'partner' ? "partner's" : "biller's";
  const ref = c.row.paymentId ?? c.row.partnerReference ?? c.row.billerReceipt ?? `line ${c.row.line}`;
  const why =
    c.outcome === 'unmatched'
      ? `the ${who} row ${ref} (line ${c.row.line}) matches none of our payments`
      : c.outcome === 'ambiguous'
        ? `the ${who} row ${ref} (line ${c.row.line}) matches ${c.candidates} of our payments`
        : `the ${who} row ${ref} (line ${c.row.line}) names payment ${c.paymentId} that an earlier row already matched`;
  return {
    key,
    code,
    owner: BREAK_CODES[code].owner,
    partnerId: c.file.source === 'partner' ? c.file.sourceId : null,
    billerId: c.file.source === 'biller' ? c.file.sourceId : null,
    paymentId: c.outcome === 'duplicate' ? c.paymentId : null,
    currency: c.row.currency,
    amountMinor: c.row.amountMinor,
    summary: `${code} ${BREAK_CODES[code].meaning}: ${why}`,
    evidence: {
      ours: null,
      partner: c.file.source === 'partner' ? sideView(c.row, c.file) : null,
      biller: c.file.source === 'biller' ? sideView(c.row, c.file) : null,
      match: { outcome: c.outcome, candidates: c.candidates, paymentId: c.paymentId },
      notes: [],
    },
  };
}

/** The break key of an unmatched row: its strongest reference, so a corrected file finds the same break. */
export function unmatchedKey(c: UnmatchedCandidate): string {
  const r = c.row;
  const ref =
    r.paymentId !== null
      ? `id:${r.paymentId}`
      : r.partnerReference !== null
        ? `ref:${r.partnerReference}`
        : r.billerReceipt !== null
          ? `receipt:${r.billerReceipt}`
          : `line:${r.line}`;
  return `${c.file.source}:${c.file.sourceId}:${ref}`;
}
