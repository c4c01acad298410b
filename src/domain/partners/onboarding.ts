import { z } from 'zod';
import { partnerReconciliationSchema } from '../recon/layout';

/**
 * Onboarding as a product: the partner's three signed schedules, and the lifecycle with its gates.
 * Pure rules; the repository (onboarding.repository.ts) persists, the ops API drives.
 */

export const PARTNER_STATES = [
  'draft',
  'contracts-signed',
  'connectivity',
  'certification',
  'live',
  'suspended',
] as const;
export type PartnerState = (typeof PARTNER_STATES)[number];

const text = z.string().trim().min(1).max(2000);
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM');

export const msaSchema = z.strictObject({
  sla: z.strictObject({
    availabilityPercent: z.number().min(90).max(100),
    p99LatencyMs: z.number().int().positive().max(60_000),
    supportHours: text,
  }),
  liabilitySplit: z
    .strictObject({
      partnerPercent: z.number().min(0).max(100),
      bankPercent: z.number().min(0).max(100),
      notes: text.optional(),
    })
    .refine((l) => l.partnerPercent + l.bankPercent === 100, 'liability split must add up to 100'),
  auditRights: z.strictObject({
    noticeDays: z.number().int().min(0).max(365),
    scope: text,
  }),
  signedBy: z.strictObject({ partner: text, bank: text }).optional(),
});

export const technicalSchema = z.strictObject({
  endpoints: z
    .array(
      z.strictObject({
        lane: text,
        protocol: z.enum(['rest-json', 'iso8583', 'iso20022']),
        url: text.optional(),
      }),
    )
    .min(1),
  messageFormats: z.array(z.enum(['rest-json', 'iso8583', 'iso20022'])).min(1),
  dialect: text.optional(),
  retryPolicy: z.strictObject({
    maxAttempts: z.number().int().min(1).max(20),
    backoffMs: z.number().int().min(0).max(600_000),
    sameIdempotencyKey: z.literal(true),
  }),
  errorMatrix: z.record(z.string().min(1), z.string().min(1)),
  payerTypes: z.array(z.string().min(1)).min(1).optional(),
  /** Notice for credential rotation, 24 hours unless agreed otherwise. */
  credentialRotationNoticeHours: z.number().int().min(1).max(2160).default(24),
  /** How old the last passing signed certification report of each endpoint may be to go live. */
  certificationValidityDays: z.number().int().min(1).max(730).default(90),
  acceptances: z.strictObject({
    credentialRotationOn24hNotice: z.boolean(),
    mandatoryIdempotency: z.boolean(),
  }),
});

export const operationalSchema = z.strictObject({
  settlementWindows: z.array(z.strictObject({ cutoff: hhmm, settlesAt: hhmm, days: text.optional() })).min(1),
  disputeSlaHours: z
    .number()
    .int()
    .min(1)
    .max(24 * 120),
  reconciliationCadence: z.enum(['intraday', 'daily', 'weekly']),
  /** The partner's settlement file layout, nightly cycle times and tolerances (issue 12). */
  reconciliation: partnerReconciliationSchema.optional(),
  escalationContacts: z
    .array(
      z.strictObject({
        level: z.number().int().min(1).max(9),
        name: text,
        email: z.email(),
        phone: text.optional(),
      }),
    )
    .min(1),
});

export const schedulesSchema = z.strictObject({
  msa: msaSchema.optional(),
  technical: technicalSchema.optional(),
  operational: operationalSchema.optional(),
});

export type Schedules = z.infer<typeof schedulesSchema>;

/** What the gates look at, gathered by the repository. */
export interface GateFacts {
  readonly schedules: Schedules;
  readonly hasCredential: boolean;
  readonly hasAllowlist: boolean;
  readonly certificationPassed: boolean;
  /**
   * What the signed certification reports leave uncovered (one reason per lane and protocol), when
   * the gateway stores reports: then they, not the recorded flag, decide the way to live.
   */
  readonly certificationGaps?: readonly string[];
}

export type TransitionCheck =
  { readonly ok: true } | { readonly ok: false; readonly reasons: readonly string[] };

const ALLOWED: Record<PartnerState, readonly PartnerState[]> = {
  draft: ['contracts-signed'],
  'contracts-signed': ['connectivity', 'draft'],
  connectivity: ['certification', 'suspended'],
  certification: ['live', 'connectivity', 'suspended'],
  live: ['suspended'],
  suspended: ['live', 'connectivity'],
};

export function technicalClausesAccepted(s: Schedules): boolean {
  return (
    s.technical?.acceptances.credentialRotationOn24hNotice === true &&
    s.technical.acceptances.mandatoryIdempotency === true
  );
}

/** Whether `from → to` is a lifecycle step and every gate of `to` is met; the reasons say what is missing. */
export function checkTransition(from: PartnerState, to: PartnerState, facts: GateFacts): TransitionCheck {
  if (!ALLOWED[from].includes(to)) {
    return {
      ok: false,
      reasons: [`${from} → ${to} is not a lifecycle step (from ${from}: ${ALLOWED[from].join(', ')})`],
    };
  }
  const reasons: string[] = [];
  const s = facts.schedules;
  const needSigned =
    to === 'contracts-signed' || to === 'connectivity' || to === 'certification' || to === 'live';
  if (needSigned) {
    if (s.msa === undefined) reasons.push('the Master Services Agreement schedule is missing');
    if (s.technical === undefined) reasons.push('the Technical Schedule is missing');
    if (s.operational === undefined) reasons.push('the Operational Schedule is missing');
  }
  if ((to === 'connectivity' || to === 'certification' || to === 'live') && !technicalClausesAccepted(s)) {
    reasons.push(
      'the Technical Schedule must accept credential rotation on 24 hours notice and mandatory idempotency',
    );
  }
  if (to === 'certification' || to === 'live') {
    if (!facts.hasCredential) reasons.push('the partner has no acceptable credential');
    if (!facts.hasAllowlist) reasons.push('the partner is on no lane allowlist');
  }
  if (to === 'live') {
    if (facts.certificationGaps !== undefined) reasons.push(...facts.certificationGaps);
    else if (!facts.certificationPassed) reasons.push('certification has not passed');
  }
  return reasons.length === 0 ? { ok: true } : { ok: false, reasons };
}

export function isPartnerState(value: string): value is PartnerState {
  return (PARTNER_STATES as readonly string[]).includes(value);
}

/** Seconds spent in each state, from the state history (the current state counts up to `now`). */
export function timeInStates(
  history: readonly { readonly toState: string; readonly at: Date }[],
  now: Date,
): Partial<Record<PartnerState, number>> {
  const out: Partial<Record<PartnerState, number>> = {};
  // Other entries (certification results) are not states and do not end one.
  const sorted = history
    .filter((h) => isPartnerState(h.toState))
    .sort((a, b) => a.at.getTime() - b.at.getTime());
  sorted.forEach((h, i) => {
    if (!isPartnerState(h.toState)) return;
    const end = sorted[i + 1]?.at ?? now;
    out[h.toState] = (out[h.toState] ?? 0) + Math.max(0, (end.getTime() - h.at.getTime()) / 1000);
  });
  return out;
}
