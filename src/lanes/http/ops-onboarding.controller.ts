import { Controller, Get, Inject, Param, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { GATEWAY_SERVICES, type GatewayServices } from '../../bootstrap/services';
import { problem } from '../../protocols/rest/problem';
import { OpsAuthGuard } from './auth.guard';

/**
 * Onboarding as a product (issue 14): how long partners spend in each state, how long from signed
 * contracts to each milestone, and how certification attempts go, per partner and over all.
 */
@ApiTags('ops: onboarding')
@ApiBearerAuth()
@Controller('ops')
@UseGuards(OpsAuthGuard)
export class OpsOnboardingController {
  constructor(@Inject(GATEWAY_SERVICES) private readonly s: GatewayServices) {}

  @Get('onboarding/metrics')
  @ApiOperation({
    summary: 'Onboarding metrics over all partners and per partner',
    description:
      'Partners per state; time in each state; time from contracts signed to the first passing certification, to live, to the first settled payment and to the first clean reconciliation (null until the reconciliation module provides it); certification attempts and pass rate',
  })
  metrics(): Promise<unknown> {
    return this.s.edge.onboardingMetrics.overview(this.s.edge.clock.now());
  }

  @Get('partners/:id/onboarding-metrics')
  @ApiOperation({ summary: "One partner's onboarding metrics" })
  async partner(@Param('id') id: string): Promise<unknown> {
    const all = await this.s.edge.onboardingMetrics.partners(this.s.edge.clock.now());
    const p = all.find((x) => x.partnerId === id);
    if (p === undefined) throw problem(404, 'not-found', `no partner ${id}`);
    return p;
  }
}
