import { Controller, Get, Inject, Param, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { GATEWAY_SERVICES, type GatewayServices } from '../gateway-services';
import {
  laneFit,
  LANE_KINDS,
  type LaneFit,
  type LaneKind,
  type LaneTraffic,
} from '../../domain/lane-fit/lane-fit';
import { partnerTraffic } from '../../domain/lane-fit/lane-traffic';
import { OnboardingError } from '../../domain/partners/onboarding.repository';
import { problem } from '../../protocols/rest/problem';
import { OpsAuthGuard } from './auth.guard';

const WINDOW_DAYS = 30;

const asKind = (kind: string | undefined): LaneKind | 'unknown' =>
  (LANE_KINDS as readonly string[]).includes(kind ?? '') ? (kind as LaneKind) : 'unknown';

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

  /** The partner's last 30 days on every lane it is on (or sent payments over), against lane costs. */
  private async laneFitOf(partnerId: string): Promise<LaneFit> {
    const to = this.s.edge.clock.now();
    const from = new Date(to.getTime() - WINDOW_DAYS * 86_400_000);
    const traffic = await partnerTraffic(this.s.database.db, partnerId, from, to);
    const registry = this.s.edge.lanes;
    const laneIds = new Set([
      ...registry.assignmentsOf(partnerId).map((a) => a.laneId),
      ...traffic.lanes.keys(),
    ]);
    const none = { payments: 0, peakPerMinute: 0, peakAt: null };
    const lanes: LaneTraffic[] = [...laneIds].sort().map((laneId) => ({
      laneId,
      kind: asKind(registry.lane(laneId)?.kind),
      ...(traffic.lanes.get(laneId) ?? none),
    }));
    return laneFit({ partnerId, window: { from, to }, total: traffic.total, lanes });
  }

  @Get('partners/:id/lane-fit')
  @ApiOperation({
    summary:
      "Lane fit: the partner's last 30 days against each lane's cost and lead time, and a recommendation",
    description:
      'Volume and peak per minute per lane; each kind of lane (MPLS, IPSec, public mTLS) with its monthly cost, provisioning time and whether the traffic is worth it (src/domain/lane-fit/lane-costs.json); keep, move down or move up, with the reason',
  })
  async laneFit(@Param('id') id: string): Promise<LaneFit> {
    if ((await this.s.edge.partners.findById(id)) === undefined) {
      throw problem(404, 'not-found', `no partner ${id}`);
    }
    return this.laneFitOf(id);
  }

  @Get('lane-fit')
  @ApiOperation({ summary: 'Lane fit of every partner' })
  async laneFits(): Promise<{ items: LaneFit[] }> {
    const items: LaneFit[] = [];
    for (const id of await this.s.edge.partners.listIds()) items.push(await this.laneFitOf(id));
    return { items };
  }

  @Get('partners/:id/gates')
  @ApiOperation({
    summary:
      'What is left between the partner and live: each remaining lifecycle step and the gates it does not meet',
  })
  async gates(@Param('id') id: string): Promise<unknown> {
    try {
      return await this.s.edge.onboarding.gates(id, this.s.edge.clock.now());
    } catch (error) {
      if (error instanceof OnboardingError && error.code === 'NOT_FOUND') {
        throw problem(404, 'not-found', `no partner ${id}`);
      }
      throw error;
    }
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
