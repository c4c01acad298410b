import type { BreakEvent } from '../../domain/recon/break-events.repository';
import type { ReconBreak } from '../../domain/recon/breaks.repository';
import type { ReconFile } from '../../domain/recon/files.repository';
import type { IntakeResult } from '../../domain/recon/intake';
import type { ReconRun } from '../../domain/recon/runs.repository';
import { formatMajorAmount } from '../../domain/money/money';
import { csvCell } from '../../domain/recon/settlement-statement';
import { problem, type ProblemError } from '../../protocols/rest/problem';

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
