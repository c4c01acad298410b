import { z } from 'zod';
import { currencyByCode } from '../money/currency';
import { formatMajorAmount } from '../money/money';
import laneCostsData from './lane-costs.json';

/**
 * Lane fit: "we let the lane match the partner's traffic, not their prestige". Each kind of lane
 * has a cost and a lead time (lane-costs.json, data the network team keeps); a partner's last 30
 * days say which kind its traffic justifies. The most capable kind whose threshold the traffic
 * reaches is recommended, and compared with the lanes the partner is on: keep, move down (and stop
 * paying for a port the traffic does not need) or move up (and start provisioning now, since the
 * carrier takes weeks). Pure: the traffic and the lanes come from the caller.
 */

export const LANE_KINDS = ['mpls', 'ipsec', 'public-mtls'] as const;
export type LaneKind = (typeof LANE_KINDS)[number];

/** Most capable first: a kind is recommended when the traffic justifies it and nothing above it. */
const RANK: Record<LaneKind, number> = { mpls: 3, ipsec: 2, 'public-mtls': 1 };

const decimal = z.string().regex(/^\d+(\.\d+)?$/, 'a decimal string in major units');
const kindSchema = z.strictObject({
  name: z.string().min(1),
  /** `a` or `an`, as the name is read aloud ("an MPLS port"). */
  article: z.enum(['a', 'an']),
  monthlyCost: decimal,
  setupCost: decimal,
  provisioningWeeks: z
    .strictObject({ min: z.number().min(0), max: z.number().min(0) })
    .refine((w) => w.min <= w.max, 'min ≤ max'),
  worthItFrom: z.strictObject({
    paymentsPer30Days: z.number().int().min(0),
    peakPerMinute: z.number().int().min(0),
  }),
  why: z.string().min(1),
});
const costsSchema = z.strictObject({
  $comment: z.string().optional(),
  currency: z.string().regex(/^[A-Z]{3}$/),
  kinds: z.strictObject({ mpls: kindSchema, ipsec: kindSchema, 'public-mtls': kindSchema }),
});

export interface LaneKindCost {
  readonly kind: LaneKind;
  readonly name: string;
  /** The name with its article: "an MPLS port". */
  readonly aName: string;
  readonly monthlyCostMinor: bigint;
  readonly setupCostMinor: bigint;
  readonly provisioningWeeks: { readonly min: number; readonly max: number };
  readonly worthItFrom: { readonly paymentsPer30Days: number; readonly peakPerMinute: number };
  readonly why: string;
}

export interface LaneCosts {
  readonly currency: string;
  readonly kinds: Readonly<Record<LaneKind, LaneKindCost>>;
}

export class LaneCostsError extends Error {}

export function parseLaneCosts(data: unknown, source = 'lane-costs.json'): LaneCosts {
  const parsed = costsSchema.safeParse(data);
  if (!parsed.success) {
    throw new LaneCostsError(
      `${source}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const { currency } = parsed.data;
  const digits = currencyByCode(currency)?.minorDigits;
  if (digits === undefined) throw new LaneCostsError(`${source}: currency ${currency} is not ISO 4217`);
  // Zero is a cost here (the public lane), so not parseMajorAmount, which refuses it as a payment.
  const minor = (text: string, at: string): bigint => {
    const [whole = '0', fraction = ''] = text.split('.');
    if (fraction.length > digits) throw new LaneCostsError(`${source}: ${at}: more than ${digits} decimals`);
    return BigInt(whole + fraction.padEnd(digits, '0'));
  };
  const kinds = Object.fromEntries(
    LANE_KINDS.map((k) => {
      const c = parsed.data.kinds[k];
      return [
        k,
        {
          kind: k,
          name: c.name,
          aName: `${c.article} ${c.name}`,
          monthlyCostMinor: minor(c.monthlyCost, `${k}.monthlyCost`),
          setupCostMinor: minor(c.setupCost, `${k}.setupCost`),
          provisioningWeeks: c.provisioningWeeks,
          worthItFrom: c.worthItFrom,
          why: c.why,
        },
      ];
    }),
  ) as Record<LaneKind, LaneKindCost>;
  return { currency, kinds };
}

/** The costs that ship with billgate (src/domain/lane-fit/lane-costs.json). */
export const LANE_COSTS: LaneCosts = parseLaneCosts(laneCostsData);

export interface TrafficFigures {
  readonly payments: number;
  /** Most payments received in one minute of the window. */
  readonly peakPerMinute: number;
  readonly peakAt: Date | null;
}

export interface LaneTraffic extends TrafficFigures {
  readonly laneId: string;
  /** The lane's kind; `unknown` for a lane no longer configured. */
  readonly kind: LaneKind | 'unknown';
}

export interface LaneFitInput {
  readonly partnerId: string;
  readonly window: { readonly from: Date; readonly to: Date };
  readonly total: TrafficFigures;
  /** Every lane the partner is on, and any lane it sent payments over. */
  readonly lanes: readonly LaneTraffic[];
}

export interface LaneOption {
  readonly kind: LaneKind;
  readonly name: string;
  readonly monthlyCost: string;
  readonly setupCost: string;
  readonly currency: string;
  readonly provisioningWeeks: { readonly min: number; readonly max: number };
  /** What this kind would cost per 1000 of the partner's payments a month (null: no payments). */
  readonly costPer1000Payments: string | null;
  readonly worthIt: boolean;
  readonly why: string;
}

export type LaneFitAction = 'keep' | 'move-down' | 'move-up' | 'provision';

export interface LaneFit {
  readonly partnerId: string;
  readonly window: { readonly from: string; readonly to: string; readonly days: number };
  readonly traffic: {
    readonly payments: number;
    readonly peakPerMinute: number;
    readonly peakAt: string | null;
    readonly lanes: readonly {
      readonly laneId: string;
      readonly kind: string;
      readonly payments: number;
      readonly peakPerMinute: number;
      readonly peakAt: string | null;
    }[];
  };
  readonly options: readonly LaneOption[];
  readonly recommendation: {
    readonly kind: LaneKind;
    readonly action: LaneFitAction;
    /** What changes a month: negative saves, positive costs more. */
    readonly monthlyCostChange: string;
    readonly currency: string;
    readonly reason: string;
  };
}

const fmtInt = (n: number): string => n.toLocaleString('en-US');
const weeks = (w: { min: number; max: number }): string =>
  w.max < 1 ? 'about a day' : w.min === w.max ? `${w.min} weeks` : `${w.min}–${w.max} weeks`;

function worth(c: LaneKindCost, t: TrafficFigures): boolean {
  return t.payments >= c.worthItFrom.paymentsPer30Days || t.peakPerMinute >= c.worthItFrom.peakPerMinute;
}

/** Scales 30 days of payments to a month (30.44 days) without a float: 3044/3000. */
function monthlyPayments(paymentsIn30Days: number): bigint {
  return (BigInt(paymentsIn30Days) * 3044n) / 3000n;
}

export function laneFit(input: LaneFitInput, costs: LaneCosts = LANE_COSTS): LaneFit {
  const t = input.total;
  const perMonth = monthlyPayments(t.payments);
  const money = (minor: bigint): string => formatMajorAmount(minor, costs.currency);
  const options: LaneOption[] = LANE_KINDS.map((k) => {
    const c = costs.kinds[k];
    return {
      kind: k,
      name: c.name,
      monthlyCost: money(c.monthlyCostMinor),
      setupCost: money(c.setupCostMinor),
      currency: costs.currency,
      provisioningWeeks: c.provisioningWeeks,
      costPer1000Payments: perMonth === 0n ? null : money((c.monthlyCostMinor * 1000n) / perMonth),
      worthIt: worth(c, t),
      why: c.why,
    };
  });
  const recommended = [...LANE_KINDS].sort((a, b) => RANK[b] - RANK[a]).find((k) => worth(costs.kinds[k], t));
  const rec: LaneKind = recommended ?? 'public-mtls';
  const r = costs.kinds[rec];
  const current = input.lanes.filter((l): l is LaneTraffic & { kind: LaneKind } => l.kind !== 'unknown');
  const top = current.reduce<LaneKind | undefined>(
    (best, l) => (best === undefined || RANK[l.kind] > RANK[best] ? l.kind : best),
    undefined,
  );
  const traffic = `${fmtInt(t.payments)} payments in the last 30 days, at most ${fmtInt(t.peakPerMinute)} in one minute`;
  const threshold = (c: LaneKindCost): string =>
    `${fmtInt(c.worthItFrom.paymentsPer30Days)} payments in 30 days or ${fmtInt(c.worthItFrom.peakPerMinute)} in a minute`;
  let action: LaneFitAction;
  let change = 0n;
  let reason: string;
  if (top === undefined) {
    action = 'provision';
    change = r.monthlyCostMinor;
    reason = `${traffic}; the partner is on no lane: ${r.aName} fits (${money(r.monthlyCostMinor)} ${costs.currency}/month, ${weeks(r.provisioningWeeks)} to provision)`;
  } else if (RANK[top] > RANK[rec]) {
    const over = costs.kinds[top];
    action = 'move-down';
    change = r.monthlyCostMinor - over.monthlyCostMinor;
    reason =
      `${traffic}: below what ${over.aName} is worth (${threshold(over)}); ${r.aName} carries it ` +
      `for ${money(r.monthlyCostMinor)} ${costs.currency}/month instead of ${money(over.monthlyCostMinor)}` +
      `${perMonth > 0n ? ` (${money((over.monthlyCostMinor * 1000n) / perMonth)} per 1000 payments today)` : ''}` +
      `, ready in ${weeks(r.provisioningWeeks)}`;
  } else if (RANK[top] < RANK[rec]) {
    action = 'move-up';
    change = r.monthlyCostMinor - costs.kinds[top].monthlyCostMinor;
    reason =
      `${traffic}: it has outgrown its ${costs.kinds[top].name} (${r.aName} is worth it from ${threshold(r)}); ` +
      `start provisioning now, the ${r.name} takes ${weeks(r.provisioningWeeks)} (${money(r.monthlyCostMinor)} ${costs.currency}/month)`;
  } else {
    action = 'keep';
    const next = LANE_KINDS.find((k) => RANK[k] === RANK[rec] + 1);
    reason =
      `${traffic}: its ${r.name} fits` +
      (next !== undefined
        ? `; ${costs.kinds[next].aName} is worth it from ${threshold(costs.kinds[next])}`
        : '');
  }
  return {
    partnerId: input.partnerId,
    window: {
      from: input.window.from.toISOString(),
      to: input.window.to.toISOString(),
      days: Math.round((input.window.to.getTime() - input.window.from.getTime()) / 86_400_000),
    },
    traffic: {
      payments: t.payments,
      peakPerMinute: t.peakPerMinute,
      peakAt: t.peakAt?.toISOString() ?? null,
      lanes: input.lanes.map((l) => ({
        laneId: l.laneId,
        kind: l.kind,
        payments: l.payments,
        peakPerMinute: l.peakPerMinute,
        peakAt: l.peakAt?.toISOString() ?? null,
      })),
    },
    options,
    recommendation: {
      kind: rec,
      action,
      monthlyCostChange: money(change),
      currency: costs.currency,
      reason,
    },
  };
}
