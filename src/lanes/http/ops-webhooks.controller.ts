import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags, ApiBody } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { GATEWAY_SERVICES, type GatewayServices } from '../gateway-services';
import { problem } from '../../protocols/rest/problem';
import { OpsAuthGuard, opsUserOf } from './auth.guard';
import { schemaOf } from './openapi-schemas';
import { parseEdgeBody } from './edge-problems';
import { deliveryFilter } from './webhooks.controller';

const disableSchema = z.strictObject({ reason: z.string().trim().min(1).max(500) });

/** Ops' view of a partner's webhooks: subscriptions, disabling one (with a reason), the delivery log. */
@ApiTags('ops: webhooks')
@ApiBearerAuth()
@Controller('ops/partners/:id/webhooks')
@UseGuards(OpsAuthGuard)
export class OpsWebhooksController {
  constructor(@Inject(GATEWAY_SERVICES) private readonly s: GatewayServices) {}

  private get db() {
    return this.s.database.db;
  }

  @Get()
  @ApiOperation({ summary: "The partner's webhook subscriptions" })
  async list(@Param('id') partnerId: string): Promise<unknown> {
    return { items: await this.s.webhooks.subscriptions.list(this.db, partnerId, true) };
  }

  @Post(':subscriptionId/disable')
  @ApiBody({ schema: schemaOf(disableSchema) })
  @HttpCode(200)
  @ApiOperation({
    summary: 'Stop sending to a subscription; what was waiting is cancelled (reason required)',
  })
  async disable(
    @Req() req: FastifyRequest,
    @Param('id') partnerId: string,
    @Param('subscriptionId') subscriptionId: string,
    @Body() body: unknown,
  ): Promise<unknown> {
    const b = parseEdgeBody(disableSchema, body, 'disable request');
    const actor = opsUserOf(req);
    const sub = await this.s.webhooks.subscriptions.find(this.db, partnerId, subscriptionId);
    if (sub === undefined)
      throw problem(404, 'not-found', `no subscription ${subscriptionId} of ${partnerId}`);
    const ended = await this.db
      .transaction()
      .execute((tx) =>
        this.s.webhooks.subscriptions.end(
          tx,
          subscriptionId,
          'disabled',
          `by ${actor}: ${b.reason}`,
          this.s.edge.clock.now(),
        ),
      );
    if (!ended) throw problem(409, 'not-active', `subscription ${subscriptionId} is ${sub.state}`);
    this.s.log.info(
      { actor, partner: partnerId, subscription: subscriptionId, reason: b.reason },
      'webhook subscription disabled',
    );
    return this.s.webhooks.subscriptions.find(this.db, partnerId, subscriptionId);
  }

  @Get('deliveries')
  @ApiOperation({ summary: "The partner's webhook delivery log, newest first" })
  async deliveries(
    @Param('id') partnerId: string,
    @Query() q: { state?: string; eventId?: string; limit?: string },
  ): Promise<unknown> {
    return { items: await this.s.webhooks.deliveries.list(this.db, partnerId, deliveryFilter(q)) };
  }
}
