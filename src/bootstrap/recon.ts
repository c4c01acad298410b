import type { OpsAuditLog } from '../domain/audit/ops-audit-log';
import type { Db } from '../domain/db';
import { uuidv7 } from '../domain/ids';
import type { Ledger } from '../domain/ledger/ledger';
import { addDays, businessDayOf } from '../domain/recon/business-day';
import { reconFigures, type ReconFigures } from '../domain/recon/figures';
import { ReconCycle } from '../domain/recon/recon-cycle';
import { ReconInbox } from '../domain/recon/recon-inbox';
import { Reconciliation } from '../domain/recon/reconciliation';
import { SettlementStatements } from '../domain/recon/settlement-statement';
import type { Logger } from '../infrastructure/logging/logger';
import type { Metrics } from '../infrastructure/metrics/metrics';
import type { ReconServices } from '../lanes/gateway-services';
import { CamtReader } from '../protocols/iso20022/camt/camt-reader';

export interface ReconSetup {
  readonly db: Db;
  readonly ledger: Ledger;
  readonly audit: OpsAuditLog;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly timeZone: string;
  /** Take part in the nightly cycle (plan and run its jobs); the CLI does not. */
  readonly cycle?: { readonly intervalMs: number; readonly owner?: string };
  readonly inboxDir?: string;
  readonly now?: () => Date;
}

export type { ReconServices } from '../lanes/gateway-services';

export async function createRecon(s: ReconSetup): Promise<ReconServices> {
  const camt = await CamtReader.create();
  const now = s.now ?? (() => new Date());
  const recon = new Reconciliation({
    db: s.db,
    ledger: s.ledger,
    audit: s.audit,
    camtReader: (layout) => camt.readerFor(layout),
    timeZone: s.timeZone,
    newId: uuidv7,
    now,
  });
  const statements = new SettlementStatements(s.db, s.timeZone);
  const figures = (range?: { from: string; to: string }): Promise<ReconFigures> => {
    const today = businessDayOf(now(), s.timeZone);
    return reconFigures(s.db, recon.breaks, range ?? { from: addDays(today, -7), to: today }, now());
  };
  s.metrics.reconFigures = async () => {
    const f = await figures();
    const open = await recon.breaks.openNow(s.db);
    return {
      open: open.byCodeOwner,
      oldestOpenAgeSeconds: f.oldestOpenAgeSeconds,
      resolvedWithin4hShare: f.resolvedWithin4hShare,
    };
  };
  const cycle = s.cycle === undefined ? undefined : new ReconCycle(recon, s.log, now, s.cycle.owner);
  const services: ReconServices = {
    recon,
    statements,
    camt,
    cycle,
    inbox: s.inboxDir === undefined ? undefined : new ReconInbox(s.inboxDir, recon.intake, s.log),
    async ingest(req) {
      const result = await recon.intake.ingest(req);
      s.metrics.reconFiles.inc({ source: req.source, outcome: result.outcome });
      return result;
    },
    async run(req, onProgress) {
      try {
        const run = await recon.runner.run(req, onProgress);
        s.metrics.reconRuns.inc({ trigger: req.trigger, state: run.state });
        return run;
      } catch (error) {
        s.metrics.reconRuns.inc({ trigger: req.trigger, state: 'failed' });
        throw error;
      }
    },
    async begin(req) {
      const started = await recon.runner.begin(req);
      const done = started.done.then(
        (run) => {
          s.metrics.reconRuns.inc({ trigger: req.trigger, state: run.state });
          return run;
        },
        (error: unknown) => {
          s.metrics.reconRuns.inc({ trigger: req.trigger, state: 'failed' });
          s.log.error({ err: error, run: started.run.id }, 'reconciliation run failed');
          throw error;
        },
      );
      // Nobody may be waiting on it (an API-started run): its failure is logged and recorded, not lost.
      done.catch(() => undefined);
      return { run: started.run, done };
    },
    figures,
    async close() {
      await cycle?.stop();
      await services.inbox?.stop();
      s.metrics.reconFigures = undefined;
      camt.dispose();
    },
  };
  if (s.cycle !== undefined) cycle?.start(s.cycle.intervalMs);
  services.inbox?.start(Math.max(1_000, Math.min(s.cycle?.intervalMs ?? 10_000, 10_000)));
  return services;
}
