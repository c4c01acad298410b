import type { AssertionResult } from './assertions';
import type { SuiteProtocol } from './suite';

/**
 * The certification report: every case with its steps, the messages exactly as sent and received
 * (rendered by the protocol adapter with card numbers masked and credentials redacted: the domain
 * never sees a secret to leak), timings and each assertion's verdict. Its JSON bytes are what the
 * detached JWS signs.
 */

export const REPORT_SCHEMA = 'billgate.certification-report/v1';

/** A message as the report shows it; produced by the adapter that sent or received it. */
export interface RecordedMessage {
  readonly protocol: 'iso8583' | 'http' | 'webhook';
  /** One line: `0200 STAN 123456`, `POST /bill/pay`, `201`. */
  readonly summary: string;
  /** ISO 8583 fields by number, masked as the gateway's logs mask them. */
  readonly fields?: Readonly<Record<string, string>>;
  /** HTTP headers, Authorization and other secrets redacted. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** The bytes on the wire as masked hex (ISO 8583). */
  readonly hex?: string;
}

export type StepStatus = 'passed' | 'failed' | 'not-run';
export type CaseStatus = 'passed' | 'failed' | 'skipped';

export interface StepReport {
  readonly id: string;
  readonly description?: string;
  readonly status: StepStatus;
  readonly startedAt?: string;
  readonly elapsedMs?: number;
  readonly sent?: RecordedMessage;
  readonly received?: RecordedMessage;
  readonly connection?: 'open' | 'closed';
  /** Why nothing could be judged (no answer, connection refused, a template naming nothing). */
  readonly error?: string;
  readonly assertions: readonly AssertionResult[];
}

export interface CaseReport {
  readonly id: string;
  readonly title: string;
  readonly covers?: string;
  readonly status: CaseStatus;
  /** For a skipped case, why; for a failed one, the first failed assertion. */
  readonly reason?: string;
  readonly elapsedMs: number;
  readonly steps: readonly StepReport[];
}

export interface CertificationReport {
  readonly schema: typeof REPORT_SCHEMA;
  readonly id: string;
  readonly suite: {
    readonly id: string;
    readonly version: string;
    readonly title: string;
    readonly protocol: SuiteProtocol;
    readonly dialect?: string;
    readonly sha256: string;
  };
  readonly target: string;
  /**
   * `partner-client`: the harness played the bank on a certification lane and certified the
   * partner's client (`certify serve`); absent: it played the partner against a gateway.
   */
  readonly direction?: 'partner-client';
  readonly partnerId?: string;
  readonly laneId?: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly result: 'passed' | 'failed';
  readonly totals: {
    readonly cases: number;
    readonly passed: number;
    readonly failed: number;
    readonly skipped: number;
  };
  readonly cases: readonly CaseReport[];
}

/** The report's bytes as written to report.json and signed: stable, pretty, one trailing newline. */
export function reportBytes(report: CertificationReport): Buffer {
  return Buffer.from(`${JSON.stringify(report, null, 2)}\n`, 'utf8');
}

/** A report passes only when some case ran and none failed; skipped cases are never counted as passed. */
export function overallResult(totals: CertificationReport['totals']): 'passed' | 'failed' {
  return totals.failed === 0 && totals.passed > 0 ? 'passed' : 'failed';
}

/** One line per case for a terminal: status, id, and for a failure the assertion that failed. */
export function summarise(report: CertificationReport): string {
  const lines = report.cases.map((c) => {
    const mark = c.status === 'passed' ? 'PASS' : c.status === 'failed' ? 'FAIL' : 'SKIP';
    return `${mark} ${c.id}${c.reason !== undefined ? ` — ${c.reason}` : ''}`;
  });
  const t = report.totals;
  lines.push(
    `${report.suite.id} ${report.suite.version} against ${report.target}: ${report.result.toUpperCase()} ` +
      `(${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped of ${t.cases})`,
  );
  return lines.join('\n');
}
