import { Module, type DynamicModule } from '@nestjs/common';
import { GATEWAY_SERVICES, type GatewayServices } from '../../bootstrap/services';
import { OpsAuthGuard, PartnerAuthGuard } from './auth.guard';
import { BillPayController } from './bill-pay.controller';
import { HealthController } from './health.controller';
import { OpsLedgerController } from './ops-ledger.controller';

@Module({})
export class HttpLaneModule {
  static forRoot(services: GatewayServices): DynamicModule {
    return {
      module: HttpLaneModule,
      controllers: [BillPayController, OpsLedgerController, HealthController],
      providers: [{ provide: GATEWAY_SERVICES, useValue: services }, PartnerAuthGuard, OpsAuthGuard],
    };
  }
}
