import { Module, type DynamicModule } from '@nestjs/common';
import { GATEWAY_SERVICES, type GatewayServices } from '../../bootstrap/services';
import { OpsAuthGuard, PartnerAuthGuard } from './auth.guard';
import { BillPayController } from './bill-pay.controller';
import { HealthController } from './health.controller';
import { Iso20022Controller } from './iso20022.controller';
import { OpsLedgerController } from './ops-ledger.controller';
import { OpsAuditController } from './ops-audit.controller';
import { OpsRoutingController } from './ops-routing.controller';
import { OAuthController } from './oauth.controller';
import { OpsPartnersController } from './ops-partners.controller';
import { OpsCertificationController } from './ops-certification.controller';
import { PartnerCredentialsController } from './partner-credentials.controller';

@Module({})
export class HttpLaneModule {
  static forRoot(services: GatewayServices): DynamicModule {
    return {
      module: HttpLaneModule,
      controllers: [
        BillPayController,
        OpsLedgerController,
        HealthController,
        OpsRoutingController,
        OpsAuditController,
        OAuthController,
        OpsPartnersController,
        OpsCertificationController,
        PartnerCredentialsController,
        Iso20022Controller,
      ],
      providers: [{ provide: GATEWAY_SERVICES, useValue: services }, PartnerAuthGuard, OpsAuthGuard],
    };
  }
}
