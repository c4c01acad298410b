import { Module, type DynamicModule } from '@nestjs/common';
import { GATEWAY_SERVICES, type GatewayServices } from '../gateway-services';
import { OpsAuthGuard, PartnerAuthGuard } from './auth.guard';
import { BillPayController } from './bill-pay.controller';
import { DashboardController } from './dashboard/dashboard.controller';
import { DashboardAgentsController } from './dashboard/dashboard-agents.controller';
import { DashboardReconController } from './dashboard/dashboard-recon.controller';
import { HealthController } from './health.controller';
import { Iso20022Controller } from './iso20022.controller';
import { OpsFloatsController } from './ops-floats.controller';
import { OpsPaymentsController } from './ops-payments.controller';
import { OpsBillersController } from './ops-billers.controller';
import { OpsLedgerController } from './ops-ledger.controller';
import { OpsAuditController } from './ops-audit.controller';
import { OpsRoutingCsvController } from './ops-routing/ops-routing-csv.controller';
import { OpsRoutingDryRunController } from './ops-routing/ops-routing-dry-run.controller';
import { OpsRoutingRulesController } from './ops-routing/ops-routing-rules.controller';
import { OpsRoutingScheduledController } from './ops-routing/ops-routing-scheduled.controller';
import { OAuthController } from './oauth.controller';
import { OpsPartnersController } from './ops-partners.controller';
import { OpsCertificationController } from './ops-certification.controller';
import { PartnerCredentialsController } from './partner-credentials.controller';
import { BillerReversalsController } from './biller-reversals.controller';
import { OpsWebhooksController } from './ops-webhooks.controller';
import { PartnerWebhooksController } from './webhooks.controller';
import { AgentTerminalController } from './agent-terminal.controller';
import { OpsAgentsController } from './ops-agents.controller';
import { OpsReconController } from './ops-recon.controller';
import { PartnerReconController } from './partner-recon.controller';
import { TerminalAuthGuard } from './terminal-auth.guard';
import { AgentBillInquiryController, BillInquiryController } from './bill-inquiry.controller';
import { OpsOnboardingController } from './ops-onboarding.controller';

@Module({})
export class HttpLaneModule {
  static forRoot(services: GatewayServices): DynamicModule {
    return {
      module: HttpLaneModule,
      controllers: [
        BillPayController,
        OpsLedgerController,
        OpsFloatsController,
        OpsPaymentsController,
        OpsBillersController,
        HealthController,
        OpsRoutingRulesController,
        OpsRoutingCsvController,
        OpsRoutingDryRunController,
        OpsRoutingScheduledController,
        OpsAuditController,
        OAuthController,
        OpsPartnersController,
        OpsCertificationController,
        PartnerCredentialsController,
        Iso20022Controller,
        PartnerWebhooksController,
        OpsWebhooksController,
        BillerReversalsController,
        DashboardController,
        DashboardAgentsController,
        DashboardReconController,
        OpsAgentsController,
        OpsReconController,
        PartnerReconController,
        AgentTerminalController,
        BillInquiryController,
        AgentBillInquiryController,
        OpsOnboardingController,
      ],
      providers: [
        { provide: GATEWAY_SERVICES, useValue: services },
        PartnerAuthGuard,
        OpsAuthGuard,
        TerminalAuthGuard,
      ],
    };
  }
}
