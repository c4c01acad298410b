import type { z } from 'zod';
import type { Db, Executor } from '../db';
import { asPartnerKind, isPayerType, PARTNER_KINDS, type PartnerKind } from './partner';
import { PAYER_TYPES, type PayerType } from '../reason-codes';
import { OpsAuditLog } from '../audit/ops-audit-log';
import { hasLiveCredential } from './credentials.repository';
import { PartnerActivityRepository } from './partner-activity.repository';
import {
  checkTransition,
  isPartnerState,
  PARTNER_STATES,
  schedulesSchema,
  timeInStates,
  type GateFacts,
  type PartnerState,
  type Schedules,
} from './onboarding';

/** The step forward from each state (suspended partners go back to live). */
const NEXT_STEP: Partial<Record<PartnerState, PartnerState>> = {
  draft: 'contracts-signed',
  'contracts-signed': 'connectivity',
  connectivity: 'certification',
  certification: 'live',
  suspended: 'live',
};

export class OnboardingError extends Error {
  constructor(
    readonly code: 'NOT_FOUND' | 'EXISTS' | 'INVALID' | 'UNPROCESSABLE' | 'GATE',
    message: string,
    readonly reasons: readonly string[] = [],
    /** The schema's own findings, for a caller that words them for its protocol. */
    readonly invalid?: { readonly issues: readonly z.core.$ZodIssue[]; readonly input: unknown },
  ) {
    super(message);
    this.name = 'OnboardingError';
  }
}

export interface PartnerRecord {
  readonly id: string;
  readonly name: string;
  readonly kind: PartnerKind;
  readonly payerTypes: readonly PayerType[];
  readonly status: PartnerState;
  readonly schedules: Schedules;
  readonly noticeHours: number;
  readonly statusChangedAt: Date;
  readonly contractsSignedAt: Date | null;
  readonly certificationPassedAt: Date | null;
  readonly firstSettledAt: Date | null;
  /** Seconds from contracts signed to the first approved payment. */
  readonly signingToFirstSettledSeconds: number | null;
  readonly secondsInState: Partial<Record<PartnerState, number>>;
  readonly history: readonly {
    fromState: string | null;
    toState: string;
    at: Date;
    actor: string;
    reason: string;
  }[];
}

export interface NewPartner {
  readonly id: string;
  readonly name: string;
  readonly kind: PartnerKind;
  readonly payerTypes: readonly PayerType[];
  readonly schedules?: unknown;
}

/** Facts about the partner that live outside this module (lane configuration). */
export interface OnboardingEnvironment {
  readonly hasAllowlist: (partnerId: string, db: Executor) => Promise<boolean>;
  /** The lanes and protocols of the Technical Schedule without a valid signed certification report. */
  readonly certificationGaps?: (
    partnerId: string,
    technical: NonNullable<Schedules['technical']> | undefined,
    now: Date,
    db: Executor,
  ) => Promise<readonly string[]>;
}

const PARTNER_ID = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62}[A-Za-z0-9])?$/;

function parseSchedules(value: unknown): Schedules {
  const parsed = schedulesSchema.safeParse(value ?? {});
  if (!parsed.success) {
    throw new OnboardingError(
      'INVALID',
      'invalid schedules',
      parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
      { issues: parsed.error.issues, input: value },
    );
  }
  return parsed.data;
}

/** Who changes a partner record and why: appended to the ops audit chain with the change. */
export interface OnboardingAttribution {
  readonly actor: string;
  readonly reason: string;
}

/**
 * Partner records with their schedules and lifecycle; every state change is written with its history
 * row, and creating a partner or replacing its schedules appends to the ops audit chain in the same
 * transaction (whoever does it: ops through the API, or the gateway applying BILLGATE_CONFIG).
 */
export class OnboardingRepository {
  private readonly audit = new OpsAuditLog();
  private readonly activity: PartnerActivityRepository;

  constructor(
    private readonly db: Db,
    private readonly env: OnboardingEnvironment,
  ) {
    this.activity = new PartnerActivityRepository(db);
  }

  async create(p: NewPartner, actor: string, now: Date, reason = 'partner created'): Promise<PartnerRecord> {
    if (!PARTNER_ID.test(p.id))
      throw new OnboardingError('INVALID', 'partner id must be [A-Za-z0-9._-]{1,64}');
    if (!(PARTNER_KINDS as readonly string[]).includes(p.kind))
      throw new OnboardingError('INVALID', 'unknown kind');
    if (p.payerTypes.length === 0 || p.payerTypes.some((t) => !isPayerType(t))) {
      throw new OnboardingError('INVALID', `payerTypes must be among ${PAYER_TYPES.join(', ')}`);
    }
    const schedules = parseSchedules(p.schedules);
    await this.db.transaction().execute(async (tx) => {
      await this.insert(tx, p, schedules, actor, now);
      await this.audit.append(tx, {
        actor,
        action: 'partner.create',
        subjectType: 'partner',
        subjectId: p.id,
        reason,
        after: { name: p.name, kind: p.kind, payerTypes: p.payerTypes, schedules },
      });
    });
    return this.getOrThrow(p.id, now);
  }

  private async insert(
    db: Executor,
    p: NewPartner,
    schedules: Schedules,
    actor: string,
    now: Date,
  ): Promise<void> {
    const edge = db;
    const exists = await edge.selectFrom('partners').select('id').where('id', '=', p.id).executeTakeFirst();
    if (exists !== undefined) throw new OnboardingError('EXISTS', `partner ${p.id} already exists`);
    await edge
      .insertInto('partners')
      .values({
        id: p.id,
        name: p.name,
        kind: p.kind,
        payer_types: [...p.payerTypes],
        status: 'draft',
        schedules: JSON.stringify(schedules),
        notice_hours: schedules.technical?.credentialRotationNoticeHours ?? 24,
        status_changed_at: now,
      })
      .execute();
    await edge
      .insertInto('partner_state_history')
      .values({ partner_id: p.id, from_state: null, to_state: 'draft', at: now, actor, reason: 'created' })
      .execute();
  }

  async list(now: Date): Promise<PartnerRecord[]> {
    const ids = await this.db.selectFrom('partners').select('id').orderBy('id').execute();
    const out: PartnerRecord[] = [];
    for (const { id } of ids) {
      const r = await this.get(id, now);
      if (r !== undefined) out.push(r);
    }
    return out;
  }

  async getOrThrow(id: string, now: Date): Promise<PartnerRecord> {
    const r = await this.get(id, now);
    if (r === undefined) throw new OnboardingError('NOT_FOUND', `no partner ${id}`);
    return r;
  }

  async get(id: string, now: Date, db: Executor = this.db): Promise<PartnerRecord | undefined> {
    const edge = db;
    const row = await edge
      .selectFrom('partners')
      .select([
        'id',
        'name',
        'kind',
        'payer_types',
        'status',
        'schedules',
        'notice_hours',
        'status_changed_at',
        'contracts_signed_at',
        'certification_passed_at',
      ])
      .where('id', '=', id)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    const history = await edge
      .selectFrom('partner_state_history')
      .select(['from_state', 'to_state', 'at', 'actor', 'reason'])
      .where('partner_id', '=', id)
      .orderBy('at')
      .orderBy('id')
      .execute();
    const firstSettledAt = await this.activity.firstSettledAt(id, db);
    const status: PartnerState = isPartnerState(row.status) ? row.status : 'live';
    const states =
      history.length > 0
        ? history.map((h) => ({ toState: h.to_state, at: h.at }))
        : [{ toState: status, at: row.status_changed_at }];
    return {
      id: row.id,
      name: row.name,
      kind: asPartnerKind(row.kind),
      payerTypes: row.payer_types.filter(isPayerType),
      status,
      schedules: schedulesSchema.safeParse(row.schedules ?? {}).data ?? {},
      noticeHours: row.notice_hours,
      statusChangedAt: row.status_changed_at,
      contractsSignedAt: row.contracts_signed_at,
      certificationPassedAt: row.certification_passed_at,
      firstSettledAt,
      signingToFirstSettledSeconds:
        row.contracts_signed_at !== null && firstSettledAt !== null
          ? Math.max(0, (firstSettledAt.getTime() - row.contracts_signed_at.getTime()) / 1000)
          : null,
      secondsInState: timeInStates(states, now),
      history: history.map((h) => ({
        fromState: h.from_state,
        toState: h.to_state,
        at: h.at,
        actor: h.actor,
        reason: h.reason,
      })),
    };
  }

  /** Replaces the schedules given (the others are kept); validated as a whole; audited. */
  async updateSchedules(
    id: string,
    patch: unknown,
    now: Date,
    by: OnboardingAttribution,
  ): Promise<PartnerRecord> {
    const current = await this.getOrThrow(id, now);
    if (typeof patch !== 'object' || patch === null || Array.isArray(patch))
      throw new OnboardingError('INVALID', 'schedules must be an object');
    if (Object.keys(patch).length === 0) {
      throw new OnboardingError('UNPROCESSABLE', 'no schedule to replace', [
        '(body): name at least one of msa, technical, operational',
      ]);
    }
    const merged = parseSchedules({ ...current.schedules, ...(patch as Record<string, unknown>) });
    await this.db.transaction().execute(async (tx) => {
      await tx
        .updateTable('partners')
        .set({
          schedules: JSON.stringify(merged),
          notice_hours: merged.technical?.credentialRotationNoticeHours ?? current.noticeHours,
        })
        .where('id', '=', id)
        .execute();
      await this.audit.append(tx, {
        actor: by.actor,
        action: 'partner.schedules',
        subjectType: 'partner',
        subjectId: id,
        reason: by.reason,
        before: current.schedules,
        after: merged,
      });
    });
    return this.getOrThrow(id, now);
  }

  async recordCertification(id: string, passed: boolean, actor: string, now: Date): Promise<PartnerRecord> {
    await this.getOrThrow(id, now);
    await this.db
      .updateTable('partners')
      .set({ certification_passed_at: passed ? now : null })
      .where('id', '=', id)
      .execute();
    await this.db
      .insertInto('partner_state_history')
      .values({
        partner_id: id,
        from_state: null,
        to_state: passed ? 'certification-passed' : 'certification-failed',
        at: now,
        actor,
        reason: 'certification result recorded',
      })
      .execute();
    return this.getOrThrow(id, now);
  }

  async transition(id: string, to: string, actor: string, reason: string, now: Date): Promise<PartnerRecord> {
    if (!isPartnerState(to)) {
      throw new OnboardingError('INVALID', `unknown state ${to}: one of ${PARTNER_STATES.join(', ')}`, [
        `to: must be one of ${PARTNER_STATES.join(', ')}`,
      ]);
    }
    await this.db.transaction().execute(async (tx) => {
      const row = await tx
        .selectFrom('partners')
        .select(['status', 'schedules', 'certification_passed_at', 'contracts_signed_at'])
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst();
      if (row === undefined) throw new OnboardingError('NOT_FOUND', `no partner ${id}`);
      const from = isPartnerState(row.status) ? row.status : 'live';
      const check = checkTransition(from, to, await this.gateFacts(tx, id, row, to, now));
      if (!check.ok) throw new OnboardingError('GATE', `${from} → ${to} refused`, check.reasons);
      await tx
        .updateTable('partners')
        .set({
          status: to,
          status_changed_at: now,
          ...(to === 'contracts-signed' && row.contracts_signed_at === null
            ? { contracts_signed_at: now }
            : {}),
        })
        .where('id', '=', id)
        .execute();
      await tx
        .insertInto('partner_state_history')
        .values({ partner_id: id, from_state: from, to_state: to, at: now, actor, reason })
        .execute();
    });
    return this.getOrThrow(id, now);
  }

  /**
   * The next step forward of the partner's lifecycle and the gates it has not met yet (what the
   * transition would answer 409 with now); undefined when the partner is live (no step forward).
   */
  async nextGates(
    id: string,
    now: Date,
  ): Promise<{ readonly to: PartnerState; readonly unmet: readonly string[] } | undefined> {
    const row = await this.db
      .selectFrom('partners')
      .select(['status', 'schedules', 'certification_passed_at'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (row === undefined) throw new OnboardingError('NOT_FOUND', `no partner ${id}`);
    const from = isPartnerState(row.status) ? row.status : 'live';
    const to = NEXT_STEP[from];
    if (to === undefined) return undefined;
    const check = checkTransition(from, to, await this.gateFacts(this.db, id, row, to, now));
    return { to, unmet: check.ok ? [] : check.reasons };
  }

  /** What the gates of `to` look at, gathered for one partner. */
  private async gateFacts(
    db: Executor,
    id: string,
    row: { schedules: unknown; certification_passed_at: Date | null },
    to: PartnerState,
    now: Date,
  ): Promise<GateFacts> {
    const schedules = schedulesSchema.safeParse(row.schedules ?? {}).data ?? {};
    const gaps =
      to === 'live' && this.env.certificationGaps !== undefined
        ? await this.env.certificationGaps(id, schedules.technical, now, db)
        : undefined;
    return {
      schedules,
      hasCredential: await this.hasCredential(id, now, db),
      hasAllowlist: await this.env.hasAllowlist(id, db),
      certificationPassed: row.certification_passed_at !== null,
      ...(gaps !== undefined ? { certificationGaps: gaps } : {}),
    };
  }

  /**
   * What is left between the partner and live: each remaining step of draft → contracts-signed →
   * connectivity → certification → live (from suspended: live) with the gates it does not meet yet.
   */
  async gates(
    id: string,
    now: Date,
  ): Promise<{ state: PartnerState; steps: { to: PartnerState; ready: boolean; unmet: string[] }[] }> {
    const p = await this.getOrThrow(id, now);
    const line: PartnerState[] = ['draft', 'contracts-signed', 'connectivity', 'certification', 'live'];
    const ahead: [PartnerState, PartnerState][] =
      p.status === 'suspended'
        ? [['suspended', 'live']]
        : line
            .slice(line.indexOf(p.status) + 1)
            .map((to, i, rest) => [i === 0 ? p.status : (rest[i - 1] ?? p.status), to]);
    const row = { schedules: p.schedules, certification_passed_at: p.certificationPassedAt };
    return {
      state: p.status,
      steps: await Promise.all(
        ahead.map(async ([from, to]) => {
          const check = checkTransition(from, to, await this.gateFacts(this.db, id, row, to, now));
          return { to, ready: check.ok, unmet: check.ok ? [] : [...check.reasons] };
        }),
      ),
    };
  }

  /** An acceptable client certificate or API key at `now`. */
  hasCredential(id: string, now: Date, db: Executor = this.db): Promise<boolean> {
    return hasLiveCredential(db, id, now);
  }
}
