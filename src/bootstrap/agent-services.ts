import { AgentBankingCoreClient } from '../domain/agents/agent-banking-core-client';
import { AgentNetwork } from '../domain/agents/agent-network';
import { CountSheets } from '../domain/agents/count-sheets';
import { OfflineSync } from '../domain/agents/offline-sync';
import { AgentSettlements } from '../domain/agents/settlements';
import { TerminalAuthenticator } from '../domain/agents/terminal-authenticator';
import { OpsAuditLog } from '../domain/audit/ops-audit-log';
import type { Db } from '../domain/db';
import { uuidv7 } from '../domain/ids';
import type { Ledger } from '../domain/ledger/ledger';
import type { JsonHttpClient } from '../infrastructure/http/http-client';
import type { Metrics } from '../infrastructure/metrics/metrics';
import { AgentTerminalPayments } from '../pipeline/agent-terminal-payments';
import type { BillPayPipeline } from '../pipeline/bill-pay.pipeline';
import type { AgentServices } from '../lanes/gateway-services';

export function agentBankingCore(
  http: JsonHttpClient,
  url: string | undefined,
  timeoutMs: number,
  metrics: Metrics,
): AgentBankingCoreClient | undefined {
  return url === undefined ? undefined : new AgentBankingCoreClient(http, url, timeoutMs, metrics);
}

export function createAgentServices(
  db: Db,
  ledger: Ledger,
  pipeline: BillPayPipeline,
  audit: OpsAuditLog = new OpsAuditLog(),
): AgentServices {
  const network = new AgentNetwork(db, audit);
  return {
    network,
    settlements: new AgentSettlements(db, ledger, audit, uuidv7),
    countSheets: new CountSheets(db, ledger, network, uuidv7),
    sync: new OfflineSync(db, uuidv7),
    terminalAuth: new TerminalAuthenticator(db),
    terminalPayments: new AgentTerminalPayments(pipeline),
  };
}
