import { Controller, Get, Inject, Param, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { GATEWAY_SERVICES, type GatewayServices } from '../gateway-services';
import { LANE_KINDS, type LaneFit } from '../../domain/lane-fit/lane-fit';
import { MILESTONES } from '../../domain/partners/onboarding-metrics';
import { PARTNER_STATES } from '../../domain/partners/onboarding';
import { OnboardingError } from '../../domain/partners/onboarding.repository';
import { problem } from '../../protocols/rest/problem';
import { OpsAuthGuard } from './auth.guard';
import { partnerLaneFit } from './lane-fit-of';
import { schemaOf } from './openapi-schemas';

/*
 * What these endpoints answer, for the OpenAPI document. Money (lane costs) is a decimal string in
 * the major units of the costs' currency, at its minor-unit precision; never a float.
 */
const iso = z.string().describe('ISO 8601 instant');
const cost = z
  .string()
  .regex(/^-?\d+(\.\d+)?$/)
  .describe('a decimal string in the major units of `currency`, at its minor-unit precision, e.g. "200.00"');
const state = z.enum(PARTNER_STATES);
const byState = <T extends z.ZodType>(value: T) =>
  z.object(
    Object.fromEntries(PARTNER_STATES.map((s) => [s, value])) as Record<(typeof PARTNER_STATES)[number], T>,
  );
const byMilestone = <T extends z.ZodType>(value: T) =>
  z.object(Object.fromEntries(MILESTONES.map((m) => [m, value])) as Record<(typeof MILESTONES)[number], T>);
const certification = z.object({
  attempts: z.number().int(),
  passed: z.number().int(),
  failed: z.number().int(),
  passRate: z.number().nullable().describe('passed / attempts; null before the first attempt'),
});
const distribution = z.object({
  partners: z.number().int().describe('partners the figure is over'),
  medianSeconds: z.number().nullable(),
  meanSeconds: z.number().nullable(),
  maxSeconds: z.number().nullable(),
});
const partnerMetrics = z
  .object({
    partnerId: z.string(),
    state,
    contractsSignedAt: iso.nullable(),
    secondsInState: z.record(z.string(), z.number()).describe('seconds spent in each state it has been in'),
    milestones: byMilestone(
      z
        .object({ at: iso, secondsFromContractsSigned: z.number().nullable() })
        .nullable()
        .describe('null until reached'),
    ),
    certification,
  })
  .loose();
const overview = z
  .object({
    overall: z
      .object({
        partners: z.number().int(),
        byState: byState(z.number().int()),
        secondsInState: byState(distribution),
        milestones: byMilestone(distribution).describe('from contracts signed to each milestone'),
        certification,
      })
      .loose(),
    partners: z.array(partnerMetrics),
  })
  .loose();
const laneKind = z.enum(LANE_KINDS);
const laneFitSchema = z
  .object({
    partnerId: z.string(),
    window: z.object({ from: iso, to: iso, days: z.number().int() }),
    traffic: z.object({
      payments: z.number().int().describe('payments received in the window, over every lane'),
      peakPerMinute: z.number().int().describe('most payments received in one minute'),
      peakAt: iso.nullable(),
      lanes: z.array(
        z.object({
          laneId: z.string(),
          kind: z.string().describe('mpls, ipsec, public-mtls, or unknown for a lane no longer configured'),
          payments: z.number().int(),
          peakPerMinute: z.number().int(),
          peakAt: iso.nullable(),
        }),
      ),
    }),
    options: z.array(
      z.object({
        kind: laneKind,
        name: z.string(),
        monthlyCost: cost,
        setupCost: cost,
        currency: z.string(),
        provisioningWeeks: z.object({ min: z.number(), max: z.number() }),
        costPer1000Payments: cost
          .nullable()
          .describe("a month's cost per 1000 of the partner's payments; null: none"),
        worthIt: z.boolean().describe('the traffic reaches the kind’s threshold'),
        why: z.string(),
      }),
    ),
    recommendation: z.object({
      kind: laneKind,
      action: z.enum(['keep', 'move-down', 'move-up', 'provision']),
      monthlyCostChange: cost.describe('what changes a month: negative saves, positive costs more'),
      currency: z.string(),
      reason: z.string(),
    }),
  })
  .loose();
const gatesSchema = z.object({
  state,
  steps: z.array(
    z.object({
      to: state,
      ready: z.boolean(),
      unmet: z.array(z.string()).describe('the gates not met yet, in words'),
    }),
  ),
});

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
  @ApiResponse({ status: 200, schema: schemaOf(overview) })
  metrics(): Promise<unknown> {
    return this.s.edge.onboardingMetrics.overview(this.s.edge.clock.now());
  }

  private laneFitOf(partnerId: string): Promise<LaneFit> {
    return partnerLaneFit(this.s, partnerId);
  }

  @Get('partners/:id/lane-fit')
  @ApiOperation({
    summary:
      "Lane fit: the partner's last 30 days against each lane's cost and lead time, and a recommendation",
    description:
      'Volume and peak per minute per lane; each kind of lane (MPLS, IPSec, public mTLS) with its monthly cost, provisioning time and whether the traffic is worth it (src/domain/lane-fit/lane-costs.json); keep, move down or move up, with the reason',
  })
  @ApiResponse({ status: 200, schema: schemaOf(laneFitSchema) })
  @ApiResponse({ status: 404, description: 'not-found: no such partner' })
  async laneFit(@Param('id') id: string): Promise<LaneFit> {
    if ((await this.s.edge.partners.findById(id)) === undefined) {
      throw problem(404, 'not-found', `no partner ${id}`);
    }
    return this.laneFitOf(id);
  }

  @Get('lane-fit')
  @ApiOperation({ summary: 'Lane fit of every partner' })
  @ApiResponse({ status: 200, schema: schemaOf(z.object({ items: z.array(laneFitSchema) })) })
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
  @ApiResponse({ status: 200, schema: schemaOf(gatesSchema) })
  @ApiResponse({ status: 404, description: 'not-found: no such partner' })
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
  @ApiResponse({ status: 200, schema: schemaOf(partnerMetrics) })
  @ApiResponse({ status: 404, description: 'not-found: no such partner' })
  async partner(@Param('id') id: string): Promise<unknown> {
    const all = await this.s.edge.onboardingMetrics.partners(this.s.edge.clock.now());
    const p = all.find((x) => x.partnerId === id);
    if (p === undefined) throw problem(404, 'not-found', `no partner ${id}`);
    return p;
  }
}
