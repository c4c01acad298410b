import { canonicalJson } from '../domain/audit/hash-chain';
import type { BillerAdmin } from '../domain/billers/biller-admin';
import type { Db } from '../domain/db';
import type { Schedules } from '../domain/partners/onboarding';
import { OnboardingError, type OnboardingRepository } from '../domain/partners/onboarding.repository';
import type { Logger } from '../infrastructure/logging/logger';
import { LaneConfigError, loadConfigDeclarations, type ConfigDeclarations } from '../lanes/config-file';

/**
 * BILLGATE_CONFIG's partners, schedules and billers, applied at start-up through the same audited
 * paths ops use (OnboardingRepository.create / updateSchedules, BillerAdmin.declare), with the
 * file as the actor. Only differences are written, so a second start with the same file changes
 * nothing and leaves no audit entry; a changed file applies its change with its before and after.
 * What no ops path changes (a partner's kind, name or payer types) is reported, never forced.
 */

export const CONFIG_ACTOR = 'config:BILLGATE_CONFIG';

export interface AppliedDeclarations {
  /** What was written, one line each. */
  readonly changes: readonly string[];
  /** What the file says but was not applied, and why. */
  readonly notApplied: readonly string[];
}

const SCHEDULE_KEYS = ['msa', 'technical', 'operational'] as const;

function schedulePatch(declared: Schedules, current: Schedules): Partial<Schedules> {
  const patch: Record<string, unknown> = {};
  for (const k of SCHEDULE_KEYS) {
    const want = declared[k];
    if (want !== undefined && canonicalJson(want) !== canonicalJson(current[k] ?? null)) patch[k] = want;
  }
  return patch;
}

export async function applyConfigDeclarations(
  d: ConfigDeclarations,
  deps: {
    readonly db: Db;
    readonly onboarding: OnboardingRepository;
    readonly billers: Pick<BillerAdmin, 'declare'>;
    readonly now: Date;
    readonly source: string;
  },
): Promise<AppliedDeclarations> {
  const by = { actor: CONFIG_ACTOR, reason: `declared in ${deps.source}` };
  const changes: string[] = [];
  const notApplied: string[] = [];
  for (const b of d.billers) {
    const outcome = await deps.billers.declare(b, by);
    if (outcome !== 'unchanged') changes.push(`biller ${b.id} ${outcome}`);
  }
  const withSchedules = async (id: string, declared: Schedules): Promise<void> => {
    const current = await deps.onboarding.getOrThrow(id, deps.now);
    const patch = schedulePatch(declared, current.schedules);
    if (Object.keys(patch).length === 0) return;
    await deps.onboarding.updateSchedules(id, patch, deps.now, by);
    changes.push(`partner ${id} schedules replaced: ${Object.keys(patch).join(', ')}`);
  };
  for (const p of d.partners) {
    const current = await deps.onboarding.get(p.id, deps.now);
    if (current === undefined) {
      try {
        await deps.onboarding.create(
          { id: p.id, name: p.name, kind: p.kind, payerTypes: p.payerTypes, schedules: p.schedules },
          CONFIG_ACTOR,
          deps.now,
          by.reason,
        );
        changes.push(`partner ${p.id} created (draft)`);
        continue;
      } catch (error) {
        // Another node starting with the same file created it first: compare with what it wrote.
        if (!(error instanceof OnboardingError && error.code === 'EXISTS')) throw error;
      }
    }
    const existing = current ?? (await deps.onboarding.getOrThrow(p.id, deps.now));
    const differs = [
      existing.name !== p.name
        ? `name ${JSON.stringify(existing.name)} → ${JSON.stringify(p.name)}`
        : undefined,
      existing.kind !== p.kind ? `kind ${existing.kind} → ${p.kind}` : undefined,
      canonicalJson([...existing.payerTypes].sort()) !== canonicalJson([...p.payerTypes].sort())
        ? `payer types ${existing.payerTypes.join(',')} → ${p.payerTypes.join(',')}`
        : undefined,
    ].filter((x): x is string => x !== undefined);
    if (differs.length > 0) {
      notApplied.push(
        `partner ${p.id}: ${differs.join('; ')} (no ops path changes these: create a new partner)`,
      );
    }
    if (p.schedules !== undefined) await withSchedules(p.id, p.schedules);
  }
  for (const [id, schedules] of d.schedules) {
    if ((await deps.onboarding.get(id, deps.now)) === undefined) {
      throw new LaneConfigError([`schedules.${id}: no partner ${id} (declare it under partners)`]);
    }
    await withSchedules(id, schedules);
  }
  return { changes, notApplied };
}

/** Loads the file's declarations and applies them; logs what changed and what was not applied. */
export async function applyBillgateConfig(
  configFile: string | undefined,
  deps: {
    readonly db: Db;
    readonly onboarding: OnboardingRepository;
    readonly billers: Pick<BillerAdmin, 'declare'>;
    readonly now: Date;
    readonly log: Logger;
  },
): Promise<AppliedDeclarations> {
  if (configFile === undefined) return { changes: [], notApplied: [] };
  const applied = await applyConfigDeclarations(loadConfigDeclarations(configFile), {
    ...deps,
    source: configFile,
  });
  if (applied.changes.length > 0) deps.log.info({ changes: applied.changes }, 'BILLGATE_CONFIG applied');
  for (const line of applied.notApplied)
    deps.log.warn({ file: configFile }, `BILLGATE_CONFIG not applied: ${line}`);
  return applied;
}
