import { createHash } from 'node:crypto';
import type { JSONWebKeySet } from 'jose';
import { z } from 'zod';
import { OpsAuditLog } from '../audit/ops-audit-log';
import { isUniqueViolation, type Db, type Executor } from '../db';
import { REPORT_SCHEMA } from './report';
import { verifyReport } from './report-signature';
import { PROTOCOLS, type SuiteProtocol } from './suite';

/**
 * Certification reports stored with the partner, and the gate they open: certification → live
 * needs, for every lane and protocol of the partner's Technical Schedule, a passing report whose
 * signature verified against the gateway's JWKS when it was stored, finished no longer ago than the
 * schedule's `certificationValidityDays`. One repository for the one table.
 */

export class CertificationError extends Error {
  constructor(
    readonly code: 'INVALID' | 'SIGNATURE' | 'CONFLICT' | 'NOT_FOUND' | 'WRONG_PARTNER',
    message: string,
  ) {
    super(message);
    this.name = 'CertificationError';
  }
}

/** What the gate and the ops API read of a stored report (its bytes only on request). */
export interface StoredReport {
  readonly id: string;
  readonly partnerId: string;
  readonly laneId: string;
  readonly protocol: SuiteProtocol;
  readonly suite: { readonly id: string; readonly version: string; readonly sha256: string };
  readonly dialect: string | null;
  readonly result: 'passed' | 'failed';
  readonly totals: { cases: number; passed: number; failed: number; skipped: number };
  readonly startedAt: Date;
  readonly finishedAt: Date;
  readonly reportSha256: string;
  readonly kid: string;
  readonly storedAt: Date;
  readonly storedBy: string;
  readonly reason: string;
}

/** The fields of a report the store relies on; the rest is kept as signed. */
const reportHead = z.looseObject({
  schema: z.literal(REPORT_SCHEMA),
  id: z.uuid(),
  suite: z.looseObject({
    id: z.string().min(1),
    version: z.string().min(1),
    protocol: z.enum(PROTOCOLS),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    dialect: z.string().optional(),
  }),
  partnerId: z.string().min(1),
  laneId: z.string().min(1),
  startedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime(),
  result: z.enum(['passed', 'failed']),
  totals: z.strictObject({
    cases: z.number().int().nonnegative(),
    passed: z.number().int().nonnegative(),
    failed: z.number().int().nonnegative(),
    skipped: z.number().int().nonnegative(),
  }),
});

/** The fields of a report the store relies on, checked to be this partner's report. */
export function readReportHead(text: string, partnerId: string): z.infer<typeof reportHead> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CertificationError('INVALID', 'the report is not JSON');
  }
  const parsed = reportHead.safeParse(json);
  if (!parsed.success) {
    throw new CertificationError(
      'INVALID',
      `not a certification report: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  if (parsed.data.partnerId !== partnerId) {
    throw new CertificationError(
      'WRONG_PARTNER',
      `the report certifies ${parsed.data.partnerId}, not ${partnerId}`,
    );
  }
  return parsed.data;
}

/** The Technical Schedule's endpoints as the gate sees them (`rest-json` is the `rest` suite protocol). */
export interface CertifiedEndpoint {
  readonly lane: string;
  readonly protocol: 'rest-json' | 'iso8583' | 'iso20022';
}

const SUITE_PROTOCOL: Record<CertifiedEndpoint['protocol'], SuiteProtocol> = {
  'rest-json': 'rest',
  iso8583: 'iso8583',
  iso20022: 'iso20022',
};

export const DEFAULT_CERTIFICATION_VALIDITY_DAYS = 90;

/** Pure: what is missing for `live`, one reason per endpoint without a valid passing report. */
export function certificationGaps(
  endpoints: readonly CertifiedEndpoint[],
  reports: readonly Pick<StoredReport, 'laneId' | 'protocol' | 'result' | 'finishedAt'>[],
  now: Date,
  validityDays: number,
): string[] {
  const oldest = now.getTime() - validityDays * 86_400_000;
  const gaps: string[] = [];
  for (const e of endpoints) {
    const protocol = SUITE_PROTOCOL[e.protocol];
    const mine = reports.filter((r) => r.laneId === e.lane && r.protocol === protocol);
    const passing = mine.filter((r) => r.result === 'passed');
    if (passing.some((r) => r.finishedAt.getTime() >= oldest)) continue;
    if (passing.length > 0) {
      gaps.push(
        `the last passing ${protocol} certification on lane ${e.lane} is older than ${validityDays} days`,
      );
    } else {
      gaps.push(`no passing signed ${protocol} certification report on lane ${e.lane}`);
    }
  }
  return gaps;
}

type Row = {
  id: string;
  partner_id: string;
  lane_id: string;
  protocol: SuiteProtocol;
  suite_id: string;
  suite_version: string;
  suite_sha256: string;
  dialect: string | null;
  result: 'passed' | 'failed';
  cases: number;
  passed: number;
  failed: number;
  skipped: number;
  started_at: Date;
  finished_at: Date;
  report_sha256: string;
  kid: string;
  stored_at: Date;
  stored_by: string;
  reason: string;
};

const COLUMNS = [
  'id',
  'partner_id',
  'lane_id',
  'protocol',
  'suite_id',
  'suite_version',
  'suite_sha256',
  'dialect',
  'result',
  'cases',
  'passed',
  'failed',
  'skipped',
  'started_at',
  'finished_at',
  'report_sha256',
  'kid',
  'stored_at',
  'stored_by',
  'reason',
] as const;

function toStored(r: Row): StoredReport {
  return {
    id: r.id,
    partnerId: r.partner_id,
    laneId: r.lane_id,
    protocol: r.protocol,
    suite: { id: r.suite_id, version: r.suite_version, sha256: r.suite_sha256 },
    dialect: r.dialect,
    result: r.result,
    totals: { cases: r.cases, passed: r.passed, failed: r.failed, skipped: r.skipped },
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    reportSha256: r.report_sha256,
    kid: r.kid,
    storedAt: r.stored_at,
    storedBy: r.stored_by,
    reason: r.reason,
  };
}

export interface StoreRequest {
  readonly partnerId: string;
  /** The report.json text exactly as signed. */
  readonly report: string;
  readonly jws: string;
  /** The gateway's JWKS now (active, retiring and next keys). */
  readonly jwks: JSONWebKeySet;
  readonly actor: string;
  readonly reason: string;
  readonly now: Date;
}

export class CertificationRecords {
  private readonly audit = new OpsAuditLog();

  constructor(private readonly db: Db) {}

  /**
   * Verifies the signature over the exact bytes, checks the report is this partner's, and stores it
   * with the public key that verified it, audited in the same transaction. Nothing is stored otherwise.
   */
  async store(req: StoreRequest): Promise<StoredReport> {
    const bytes = Buffer.from(req.report, 'utf8');
    const verified = await verifyReport(bytes, req.jws, req.jwks);
    if (!verified.ok) throw new CertificationError('SIGNATURE', verified.reason);
    const r = readReportHead(req.report, req.partnerId);
    if (Date.parse(r.finishedAt) > req.now.getTime() + 60_000) {
      throw new CertificationError('INVALID', 'the report finished in the future');
    }
    const publicJwk = req.jwks.keys.find((k) => k.kid === verified.kid);
    const reportSha256 = createHash('sha256').update(bytes).digest('hex');
    try {
      await this.db.transaction().execute(async (tx) => {
        await tx
          .insertInto('certification_reports')
          .values({
            id: r.id,
            partner_id: req.partnerId,
            lane_id: r.laneId,
            protocol: r.suite.protocol,
            suite_id: r.suite.id,
            suite_version: r.suite.version,
            suite_sha256: r.suite.sha256,
            dialect: r.suite.dialect ?? null,
            result: r.result,
            cases: r.totals.cases,
            passed: r.totals.passed,
            failed: r.totals.failed,
            skipped: r.totals.skipped,
            started_at: r.startedAt,
            finished_at: r.finishedAt,
            report: req.report,
            report_sha256: reportSha256,
            jws: req.jws.trim(),
            kid: verified.kid,
            public_jwk: JSON.stringify(publicJwk ?? {}),
            stored_at: req.now,
            stored_by: req.actor,
            reason: req.reason,
          })
          .execute();
        await this.audit.append(tx, {
          actor: req.actor,
          action: 'certification.report.stored',
          subjectType: 'partner',
          subjectId: req.partnerId,
          reason: req.reason,
          after: {
            reportId: r.id,
            laneId: r.laneId,
            suite: `${r.suite.id}@${r.suite.version}`,
            result: r.result,
            reportSha256,
          },
        });
      });
    } catch (error) {
      if (isUniqueViolation(error))
        throw new CertificationError('CONFLICT', `report ${r.id} is already stored`);
      throw error;
    }
    const stored = await this.get(req.partnerId, r.id);
    if (stored === undefined) throw new Error('stored report vanished');
    return stored;
  }

  async list(partnerId: string, db: Executor = this.db): Promise<StoredReport[]> {
    const rows = await db
      .selectFrom('certification_reports')
      .select(COLUMNS)
      .where('partner_id', '=', partnerId)
      .orderBy('finished_at', 'desc')
      .execute();
    return rows.map(toStored);
  }

  async get(partnerId: string, id: string): Promise<StoredReport | undefined> {
    const row = await this.db
      .selectFrom('certification_reports')
      .select(COLUMNS)
      .where('partner_id', '=', partnerId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? undefined : toStored(row);
  }

  /** The signed bytes and signature, for an auditor to verify with `billgate certify verify`. */
  async signed(
    partnerId: string,
    id: string,
  ): Promise<{ report: string; jws: string; publicJwk: unknown } | undefined> {
    const row = await this.db
      .selectFrom('certification_reports')
      .select(['report', 'jws', 'public_jwk'])
      .where('partner_id', '=', partnerId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? undefined : { report: row.report, jws: row.jws, publicJwk: row.public_jwk };
  }

  async gaps(
    partnerId: string,
    endpoints: readonly CertifiedEndpoint[],
    validityDays: number,
    now: Date,
    db: Executor = this.db,
  ): Promise<string[]> {
    return certificationGaps(endpoints, await this.list(partnerId, db), now, validityDays);
  }
}
