import type { AppConfig } from '../config/config';
import type { AgentNetwork } from '../domain/agents/agent-network';
import type { CountSheets } from '../domain/agents/count-sheets';
import type { OfflineSync } from '../domain/agents/offline-sync';
import type { AgentSettlements } from '../domain/agents/settlements';
import type { TerminalAuthenticator } from '../domain/agents/terminal-authenticator';
import type { JobQueue, JobRunner } from '../infrastructure/jobs';
import type { AgentTerminalPayments } from '../pipeline/agent-terminal-payments';
import type { PostingUndo } from '../pipeline/posting-undo';
import type { FollowUps } from '../pipeline/resolution/follow-ups';
import type { OpsDecisions } from '../pipeline/resolution/ops-decisions';
import type { PaymentDecisions } from '../pipeline/resolution/payment-decisions';
import type { PaymentResolver } from '../pipeline/resolution/payment-resolver';
import type { BillInquiry } from '../pipeline/bill-inquiry';
import type { BillerAdmin } from '../domain/billers/biller-admin';
import type { BillTypeCatalog } from '../domain/catalog/bill-types';
import type { Ledger } from '../domain/ledger/ledger';
import type { ApiKeyAuthenticator } from '../domain/partners/api-key-authenticator';
import type { PaymentsRepository } from '../domain/payments/payments.repository';
import type { RouteResolver } from '../domain/routing/route-resolver';
import type { RoutingAdmin } from '../domain/routing/routing-admin';
import type { KeyValueCache } from '../infrastructure/cache/cache';
import type { DatabaseHandle } from '../infrastructure/database/database';
import type { DatabaseHealth } from '../infrastructure/database/database-health';
import type { Logger } from '../infrastructure/logging/logger';
import type { Metrics } from '../infrastructure/metrics/metrics';
import type { SecretSealer } from '../infrastructure/secrets/secret-sealer';
import type { BillPayPipeline } from '../pipeline/bill-pay.pipeline';
import type { ReversalService } from '../pipeline/reversal.service';
import type { Iso20022Engine } from '../protocols/iso20022/engine';
import type { EdgeSecurity } from './security/edge/edge-security';
import type { Webhooks } from '../domain/webhooks/webhooks';
import type { BillerReversalService } from '../pipeline/biller-reversal.service';
import type { ReconFigures } from '../domain/recon/figures';
import type { IntakeRequest as ReconIntakeRequest, IntakeResult } from '../domain/recon/intake';
import type { ReconCycle } from '../domain/recon/recon-cycle';
import type { ReconInbox } from '../domain/recon/recon-inbox';
import type { RunProgress, RunRequest } from '../domain/recon/recon-run';
import type { Reconciliation } from '../domain/recon/reconciliation';
import type { ReconRun } from '../domain/recon/runs.repository';
import type { SettlementStatements } from '../domain/recon/settlement-statement';
import type { CamtReader } from '../protocols/iso20022/camt/camt-reader';

/*
 * What the lanes are given. The lanes declare it and the composition root (bootstrap/gateway.ts)
 * builds it, so dependencies point from the root into the lanes, never back.
 */

/** The OTC agent network as the lanes use it (issue 13). */
export interface AgentServices {
  readonly network: AgentNetwork;
  readonly settlements: AgentSettlements;
  readonly countSheets: CountSheets;
  readonly sync: OfflineSync;
  readonly terminalAuth: TerminalAuthenticator;
  readonly terminalPayments: AgentTerminalPayments;
}

/** Resolution of PENDING payments, store and forward of reversals, ops decisions (src/pipeline/resolution). */
export interface FollowUpServices {
  readonly queue: JobQueue;
  /** Undoing a posting, with what it owes outside, the same for every path that undoes one. */
  readonly undo: PostingUndo;
  readonly followUps: FollowUps;
  readonly decisions: PaymentDecisions;
  readonly resolver: PaymentResolver;
  readonly opsDecisions: OpsDecisions;
  readonly runner: JobRunner;
  readonly attemptAgentCoreReversal: ((paymentId: string) => Promise<void>) | undefined;
}

/** Reconciliation as the lanes and the CLI use it (issue 12). */
export interface ReconServices {
  readonly recon: Reconciliation;
  readonly statements: SettlementStatements;
  readonly camt: CamtReader;
  readonly cycle: ReconCycle | undefined;
  readonly inbox: ReconInbox | undefined;
  ingest(req: ReconIntakeRequest): Promise<IntakeResult>;
  run(req: RunRequest, onProgress?: (p: RunProgress) => void): Promise<ReconRun>;
  /** Starts a run and answers with it at once; `done` settles when it finishes. */
  begin(req: RunRequest): Promise<{ run: ReconRun; done: Promise<ReconRun> }>;
  figures(range?: { from: string; to: string }): Promise<ReconFigures>;
  close(): Promise<void>;
}

/** Everything the lanes use, built once by the composition root (gateway.ts). */
export interface GatewayServices {
  readonly config: AppConfig;
  readonly database: DatabaseHandle;
  /** Seals and opens the secrets stored in the database (this node's key-encryption keys). */
  readonly sealer: SecretSealer;
  /** Whether the database answers, probed in the background; readiness reads it. */
  readonly databaseHealth: DatabaseHealth;
  readonly cache: KeyValueCache;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly authenticator: ApiKeyAuthenticator;
  readonly billTypes: BillTypeCatalog;
  readonly pipeline: BillPayPipeline;
  readonly payments: PaymentsRepository;
  readonly ledger: Ledger;
  readonly routes: RouteResolver;
  /** Reverses earlier payments for any protocol (ISO 8583 0400/0420, ISO 20022 pacs.004/camt.056). */
  readonly reversals: ReversalService;
  /** ISO 20022 receive/validate/answer, its XSDs compiled once at start-up. */
  readonly iso20022: Iso20022Engine;
  /** Routing as ops own it: audited rule changes, CSV, scheduled changes, dry run, audit log. */
  readonly routing: RoutingAdmin;
  /** Lanes' allowlists, client certificates, OAuth tokens, credential rotation, partner onboarding. */
  readonly edge: EdgeSecurity;
  /** Partners' webhook subscriptions, the outbox and its delivery worker. */
  readonly webhooks: Webhooks;
  /** Reversals billers initiate (signed requests). */
  readonly billerReversals: BillerReversalService;
  /** The OTC agent network: agents, terminals, settlements, count sheets, offline sync. */
  readonly agents: AgentServices;
  /** What is due on a bill, asked of the biller a payment would be routed to. */
  readonly billInquiry: BillInquiry;
  /** Resolution of PENDING payments, store and forward of reversals, ops decisions on parked payments. */
  readonly followUps: FollowUpServices;
  /** Ops own the billers: create, change address or timeout, disable (audited). */
  readonly billers: BillerAdmin;
  /** Three-way reconciliation: files, runs, breaks and their workflow, statements (issue 12). */
  readonly recon: ReconServices;
}

/** The NestJS injection token under which the composition root provides GatewayServices. */
export const GATEWAY_SERVICES = Symbol('GatewayServices');
