/**
 * Cash denominations as data, per currency: what a count sheet may list. Bangladesh Bank issues
 * notes of 1, 2, 5, 10, 20, 50, 100, 200, 500 and 1000 taka and coins of 1, 2 and 5 taka (poisha
 * coins are out of everyday circulation). Values are in minor units (1 taka = 100 poisha).
 */
export interface Denomination {
  readonly code: string;
  readonly kind: 'note' | 'coin';
  readonly valueMinor: bigint;
}

const taka = (n: number): bigint => BigInt(n) * 100n;

export const DENOMINATIONS: Readonly<Record<string, readonly Denomination[]>> = {
  BDT: [
    ...[1000, 500, 200, 100, 50, 20, 10, 5, 2, 1].map((v) => ({
      code: `NOTE_${v}`,
      kind: 'note' as const,
      valueMinor: taka(v),
    })),
    ...[5, 2, 1].map((v) => ({ code: `COIN_${v}`, kind: 'coin' as const, valueMinor: taka(v) })),
  ],
};

export type CountLine = { readonly denomination: string; readonly count: number };

export type CountTotal =
  | {
      readonly ok: true;
      readonly totalMinor: bigint;
      readonly lines: readonly (CountLine & { valueMinor: bigint })[];
    }
  | { readonly ok: false; readonly errors: readonly { field: string; message: string }[] };

/** Totals a count by denomination; the system totals, never the counter. */
export function totalCount(currency: string, lines: readonly CountLine[]): CountTotal {
  const known = DENOMINATIONS[currency];
  if (known === undefined) {
    return { ok: false, errors: [{ field: 'currency', message: `no denominations for ${currency}` }] };
  }
  const byCode = new Map(known.map((d) => [d.code, d]));
  const errors: { field: string; message: string }[] = [];
  const seen = new Set<string>();
  let total = 0n;
  const out: (CountLine & { valueMinor: bigint })[] = [];
  lines.forEach((l, i) => {
    const d = byCode.get(l.denomination);
    if (d === undefined)
      errors.push({
        field: `counts.${i}.denomination`,
        message: `unknown ${currency} denomination ${l.denomination}`,
      });
    else if (seen.has(l.denomination))
      errors.push({ field: `counts.${i}.denomination`, message: 'listed twice' });
    if (!Number.isSafeInteger(l.count) || l.count < 0 || l.count > 1_000_000) {
      errors.push({ field: `counts.${i}.count`, message: 'a whole number from 0 to 1000000' });
    }
    seen.add(l.denomination);
    if (d !== undefined && errors.length === 0) {
      total += d.valueMinor * BigInt(l.count);
      out.push({ ...l, valueMinor: d.valueMinor });
    }
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, totalMinor: total, lines: out };
}
