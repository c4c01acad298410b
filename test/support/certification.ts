import { randomUUID } from 'node:crypto';
import { gatewayReportSigner } from '../../src/certification/gateway-keys';
import { REPORT_SCHEMA, reportBytes, type CertificationReport } from '../../src/domain/certification/report';
import { signReport } from '../../src/domain/certification/report-signature';
import type { Db } from '../../src/domain/db';
import type { SecretSealer } from '../../src/infrastructure/secrets/secret-sealer';

/**
 * A certification report as the harness writes it, signed with the gateway's own key, for specs of
 * the gate that need a report for a partner the harness cannot run against (not live yet).
 */
export async function signedReport(
  gateway: { readonly database: { readonly db: Db }; readonly sealer: SecretSealer },
  now: Date,
  r: {
    partnerId: string;
    laneId: string;
    protocol?: CertificationReport['suite']['protocol'];
    result?: 'passed' | 'failed';
    finishedAt?: Date;
  },
): Promise<{ report: string; jws: string; id: string }> {
  const finished = r.finishedAt ?? now;
  const passed = (r.result ?? 'passed') === 'passed';
  const report: CertificationReport = {
    schema: REPORT_SCHEMA,
    id: randomUUID(),
    suite: {
      id: r.protocol ?? 'rest',
      version: '1.0.0',
      title: 'spec',
      protocol: r.protocol ?? 'rest',
      sha256: 'a'.repeat(64),
    },
    target: 'spec',
    partnerId: r.partnerId,
    laneId: r.laneId,
    startedAt: new Date(finished.getTime() - 1000).toISOString(),
    finishedAt: finished.toISOString(),
    result: passed ? 'passed' : 'failed',
    totals: { cases: 1, passed: passed ? 1 : 0, failed: passed ? 0 : 1, skipped: 0 },
    cases: [],
  };
  const bytes = reportBytes(report);
  const jws = await signReport(bytes, await gatewayReportSigner(gateway.database.db, gateway.sealer, now));
  return { report: bytes.toString('utf8'), jws, id: report.id };
}
