import type { OpsAuditLog } from '../audit/ops-audit-log';
import type { Db } from '../db';
import type { Ledger } from '../ledger/ledger';
import { ReconBillerConfigsRepository } from './biller-configs.repository';
import { ReconBreakEventsRepository } from './break-events.repository';
import { BreakWorkflow } from './break-workflow';
import { ReconBreaksRepository } from './breaks.repository';
import { ReconFilesRepository } from './files.repository';
import { ReconIntake, type CamtReaderFactory } from './intake';
import { ReconMatchesRepository } from './matches.repository';
import { ReconConfigs } from './recon-configs';
import { ReconRunner } from './recon-run';
import { ReconRunsRepository } from './runs.repository';
import { ReconSourceRowsRepository } from './source-rows.repository';

export interface ReconciliationOptions {
  readonly db: Db;
  readonly ledger: Ledger;
  readonly audit: OpsAuditLog;
  /** Reads camt.053 / camt.054 statements (the ISO 20022 protocol module provides it). */
  readonly camtReader: CamtReaderFactory;
  /** The business day's time zone (RECON_TIME_ZONE, Asia/Dhaka by default). */
  readonly timeZone: string;
  readonly newId: () => string;
  readonly now?: () => Date;
}

/** The reconciliation domain as its callers use it: files in, runs, breaks and their workflow. */
export class Reconciliation {
  readonly files = new ReconFilesRepository();
  readonly rows = new ReconSourceRowsRepository();
  readonly matches = new ReconMatchesRepository();
  readonly runs = new ReconRunsRepository();
  readonly breaks = new ReconBreaksRepository();
  readonly events = new ReconBreakEventsRepository();
  readonly billerConfigs = new ReconBillerConfigsRepository();
  readonly configs: ReconConfigs;
  readonly intake: ReconIntake;
  readonly runner: ReconRunner;
  readonly workflow: BreakWorkflow;
  readonly db: Db;
  readonly timeZone: string;
  readonly now: () => Date;
  readonly newId: () => string;

  constructor(o: ReconciliationOptions) {
    this.db = o.db;
    this.timeZone = o.timeZone;
    this.now = o.now ?? (() => new Date());
    this.newId = o.newId;
    this.configs = new ReconConfigs(o.db, this.billerConfigs);
    this.intake = new ReconIntake(o.db, this.files, this.rows, this.configs, o.camtReader, o.newId);
    this.runner = new ReconRunner({
      db: o.db,
      files: this.files,
      matches: this.matches,
      runs: this.runs,
      breaks: this.breaks,
      events: this.events,
      configs: this.configs,
      timeZone: o.timeZone,
      newId: o.newId,
      now: this.now,
    });
    this.workflow = new BreakWorkflow(o.db, this.breaks, this.events, o.ledger, o.audit, this.now);
  }
}
