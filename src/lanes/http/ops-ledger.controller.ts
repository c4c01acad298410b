import { Controller, Get, Inject, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { GATEWAY_SERVICES, type GatewayServices } from '../gateway-services';
import { OpsAuthGuard } from './auth.guard';

@ApiTags('ops')
@ApiBearerAuth()
@Controller('ops/ledger')
@UseGuards(OpsAuthGuard)
export class OpsLedgerController {
  constructor(@Inject(GATEWAY_SERVICES) private readonly s: GatewayServices) {}

  @Get('trial-balance')
  @ApiOperation({ summary: 'Debits and credits per currency over the whole ledger; balanced must be true' })
  async trialBalance(): Promise<unknown> {
    const rows = await this.s.ledger.trialBalance(this.s.database.db);
    return {
      currencies: rows.map((r) => ({
        currency: r.currency,
        debits: r.debits.toString(),
        credits: r.credits.toString(),
        balanced: r.balanced,
        accountsAgree: r.accountsAgree,
      })),
      balanced: rows.every((r) => r.balanced && r.accountsAgree),
    };
  }
}
