import type { BreakEvent } from '../../domain/recon/break-events.repository';
import type { ReconBreak, ReconBreaksRepository } from '../../domain/recon/breaks.repository';
import type { Executor } from '../../domain/db';
import type { ReconFile } from '../../domain/recon/files.repository';
import type { IntakeResult } from '../../domain/recon/intake';
import type { ReconRun } from '../../domain/recon/runs.repository';
import { formatMajorAmount } from '../../domain/money/money';
import { csvCell } from '../../domain/recon/settlement-statement';
import { problem, type ProblemError } from '../../protocols/rest/problem';
import { z } from 'zod';

/*
 * What the reconciliation API answers, described in zod for the OpenAPI document (schemaOf) beside
 * the functions that build the answers. Objects are open: a field added is not a breaking change.
 */
const iso = z.string().describe('ISO 8601 instant');
const businessDate = z.string().describe('a business date, YYYY-MM-DD (RECON_TIME_ZONE)');
const major = z
  .string()
  .regex(/^-?\d+(\.\d+)?$/)
  .describe(
    'an amount as a decimal string in the currency’s major units at its minor-unit precision, e.g. "490.00"',
  );
const minor = z
  .string()
  .regex(/^-?\d+$/)
  .describe('the same amount in minor units of the currency, as a decimal string, e.g. "49000"');
const obj = <T extends z.ZodRawShape>(shape: T) => z.object(shape).loose();

export const reconFileSchema = obj({
  id: z.string(),
  sha256: z
    .string()
    .describe('hex SHA-256 of the bytes: the same bytes for the same source and day are one file'),
  source: z.enum(['partner', 'biller']),
  sourceId: z.string().describe('the partner id or biller endpoint id'),
  format: z.enum(['csv', 'camt.053', 'camt.054']),
  businessDate,
  rowCount: z.number().int(),
  byteSize: z.number().int(),
  fileName: z.string().nullable(),
  receivedVia: z.enum(['ops-upload', 'partner-upload', 'watched-directory', 'scheduled-fetch', 'cli']),
  receivedBy: z.string(),
  receivedAt: iso,
});

export const intakeAnswerSchema = obj({
  outcome: z
    .enum(['stored', 'duplicate'])
    .describe('201 stored; 200 duplicate: these bytes were already stored'),
  file: reconFileSchema,
});

export const reconRunSchema = obj({
  id: z.string(),
  businessDate,
  partnerId: z.string().nullable().describe('null: every partner of the day'),
  trigger: z.enum(['schedule', 'cli', 'api']),
  state: z.enum(['running', 'done', 'failed']),
  phase: z.string().describe('loading, matching, comparing, publishing, done…'),
  progress: obj({ done: z.number().int(), total: z.number().int() }).describe('source rows done of total'),
  counts: obj({
    ourPayments: z.number().int().optional(),
    files: z.number().int().optional(),
    partnerRows: z.number().int().optional(),
    billerRows: z.number().int().optional(),
    matched: z.number().int().optional(),
    ambiguous: z.number().int().optional(),
    duplicate: z.number().int().optional(),
    breaks: obj({
      standing: z.number().int(),
      raised: z.number().int(),
      changed: z.number().int(),
      reopened: z.number().int(),
      cleared: z.number().int(),
      byCode: z.record(z.string(), z.number().int()),
    }).optional(),
  }).describe('empty while running'),
  files: z.array(
    obj({
      id: z.string(),
      source: z.string(),
      sourceId: z.string(),
      sha256: z.string(),
      rows: z.number().int(),
    }),
  ),
  error: z.string().nullable(),
  startedBy: z.string(),
  startedAt: iso,
  finishedAt: iso.nullable(),
});

/** One source's row of a break: our ledger's, or a partner or biller file's (with file and line). */
const sourceRow = obj({
  paymentId: z.string().nullable(),
  partnerReference: z.string().nullable(),
  billerReceipt: z.string().nullable().optional(),
  amount: major,
  amountMinor: minor,
  currency: z.string(),
  status: z.string().describe('OK, FAIL, REVERSED (or PENDING on our side)'),
  valueDate: z.string(),
  fileId: z.string().optional().describe('a file row: the file it came from'),
  line: z.number().int().optional().describe('a file row: its line in the file'),
  matchedBy: z.string().nullable().optional().describe('a file row: the key it matched ours by'),
});

export const breakSchema = obj({
  id: z.string(),
  businessDate,
  code: z.enum(['B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7', 'B8']),
  owner: z.enum(['ops', 'eng', 'partner-ops']),
  state: z.enum(['open', 'resolved', 'cleared']),
  summary: z.string(),
  partnerId: z.string().nullable(),
  billerId: z.string().nullable(),
  paymentId: z.string().nullable(),
  amount: major.nullable(),
  amountMinor: minor.nullable(),
  currency: z.string().nullable(),
  assignee: z.string().nullable(),
  resolutionCode: z.string().nullable(),
  journalEntryId: z.string().nullable().describe('the adjusting journal a money-moving resolution posted'),
  raisedAt: iso,
  ageSeconds: z.number().int().describe('open: since raised; resolved or cleared: how long it stood'),
  resolvedAt: iso.nullable(),
  resolvedBy: z.string().nullable(),
  clearedAt: iso.nullable(),
  lastRunId: z.string().nullable(),
  evidence: obj({
    ours: sourceRow.nullable().optional().describe('our ledger’s row'),
    partner: sourceRow.nullable().optional().describe('the partner settlement file’s row'),
    biller: sourceRow.nullable().optional().describe('the biller posting file’s row'),
    disagreements: z
      .array(
        obj({
          side: z.enum(['partner', 'biller']),
          field: z.enum(['missing', 'currency', 'amount', 'status', 'valueDate']),
          ours: z.string().optional(),
          theirs: z.string().optional(),
        }),
      )
      .optional(),
    notes: z.array(z.string()).optional(),
  }).describe('the three rows side by side and why they disagree (B8: the agent’s count sheet)'),
  events: z
    .array(
      obj({
        at: iso,
        actor: z.string(),
        kind: z.enum(['raised', 'changed', 'assigned', 'commented', 'resolved', 'cleared', 'reopened']),
        note: z.string().nullable(),
        data: z.unknown(),
      }),
    )
    .optional()
    .describe('one break: its history'),
});

export const breakPageSchema = obj({
  items: z.array(breakSchema),
  next: z.string().nullable().describe('pass as `after` for the next page; null on the last'),
});

export function fileView(f: ReconFile): Record<string, unknown> {
  return {
    id: f.id,
    sha256: f.sha256,
    source: f.source,
    sourceId: f.sourceId,
    format: f.format,
    businessDate: f.businessDate,
    rowCount: f.rowCount,
    byteSize: f.byteSize,
    fileName: f.fileName,
    receivedVia: f.receivedVia,
    receivedBy: f.receivedBy,
    receivedAt: f.receivedAt.toISOString(),
  };
}

export function runView(r: ReconRun): Record<string, unknown> {
  return {
    id: r.id,
    businessDate: r.businessDate,
    partnerId: r.partnerId,
    trigger: r.trigger,
    state: r.state,
    phase: r.phase,
    progress: r.progress,
    counts: r.counts,
    files: r.files,
    error: r.error,
    startedBy: r.startedBy,
    startedAt: r.startedAt.toISOString(),
    finishedAt: r.finishedAt?.toISOString() ?? null,
  };
}

export function breakView(b: ReconBreak, now: Date, events?: readonly BreakEvent[]): Record<string, unknown> {
  return {
    id: b.id,
    businessDate: b.businessDate,
    code: b.code,
    owner: b.owner,
    state: b.state,
    summary: b.summary,
    partnerId: b.partnerId,
    billerId: b.billerId,
    paymentId: b.paymentId,
    amount:
      b.amountMinor === null || b.currency === null ? null : formatMajorAmount(b.amountMinor, b.currency),
    amountMinor: b.amountMinor?.toString() ?? null,
    currency: b.currency,
    assignee: b.assignee,
    resolutionCode: b.resolutionCode,
    journalEntryId: b.journalEntryId,
    raisedAt: b.raisedAt.toISOString(),
    ageSeconds: Math.max(
      0,
      Math.round(((b.resolvedAt ?? b.clearedAt ?? now).getTime() - b.raisedAt.getTime()) / 1000),
    ),
    resolvedAt: b.resolvedAt?.toISOString() ?? null,
    resolvedBy: b.resolvedBy,
    clearedAt: b.clearedAt?.toISOString() ?? null,
    lastRunId: b.lastRunId,
    // The three rows side by side, and why they disagree.
    evidence: b.evidence,
    ...(events !== undefined
      ? {
          events: events.map((e) => ({
            at: e.at.toISOString(),
            actor: e.actor,
            kind: e.kind,
            note: e.note,
            data: e.data,
          })),
        }
      : {}),
  };
}

export const BREAKS_CSV_HEADER =
  'id,business_date,code,owner,state,partner_id,biller_id,payment_id,amount,currency,assignee,resolution_code,raised_at,age_seconds,summary\n';

/**
 * A day's breaks as CSV lines, header first, read a page at a time so a day of any size streams:
 * the same file from the ops API and from the dashboard.
 */
export async function* breaksCsv(
  db: Executor,
  breaks: ReconBreaksRepository,
  businessDate: string,
  now: Date,
): AsyncIterable<string> {
  yield BREAKS_CSV_HEADER;
  let after: string | undefined;
  for (;;) {
    const page = await breaks.list(
      db,
      { businessDate, limit: 5000, ...(after !== undefined ? { after } : {}) },
      now,
    );
    for (const b of page) yield breakCsvLine(b, now);
    if (page.length < 5000) return;
    after = page.at(-1)?.id;
  }
}

export function breakCsvLine(b: ReconBreak, now: Date): string {
  const amount =
    b.amountMinor === null || b.currency === null ? '' : formatMajorAmount(b.amountMinor, b.currency);
  const age = Math.max(
    0,
    Math.round(((b.resolvedAt ?? b.clearedAt ?? now).getTime() - b.raisedAt.getTime()) / 1000),
  );
  return (
    [
      b.id,
      b.businessDate,
      b.code,
      b.owner,
      b.state,
      csvCell(b.partnerId ?? ''),
      csvCell(b.billerId ?? ''),
      b.paymentId ?? '',
      amount,
      b.currency ?? '',
      csvCell(b.assignee ?? ''),
      b.resolutionCode ?? '',
      b.raisedAt.toISOString(),
      String(age),
      csvCell(b.summary),
    ].join(',') + '\n'
  );
}

/** A refused file in the uploader's protocol: 422 with every bad line. */
export function refusedProblem(result: Extract<IntakeResult, { outcome: 'refused' }>): ProblemError {
  return problem(422, 'recon-file-refused', 'The file was refused whole: nothing of it was kept', {
    detail: `${result.problemCount} bad line(s); correct them and send the whole file again`,
    sha256: result.sha256,
    problemCount: result.problemCount,
    errors: result.problems.map((p) => ({ field: `line ${p.line}`, message: p.message })),
  });
}
