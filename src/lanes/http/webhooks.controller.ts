import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
  Req,
  UseGuards,
} from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags, ApiBody } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { GATEWAY_SERVICES, type GatewayServices } from '../gateway-services';
import { PAYMENT_EVENT_TYPES } from '../../domain/payments/payment-events';
import { isUuid } from '../../domain/webhooks/subscriptions.repository';
import { problem } from '../../protocols/rest/problem';
import { PartnerAuthGuard, partnerOf } from './auth.guard';
import { schemaOf } from './openapi-schemas';
import { parseEdgeBody } from './edge-problems';

const EVENT_TYPES = PAYMENT_EVENT_TYPES as unknown as [string, ...string[]];

function subscriptionSchema(production: boolean) {
  return z.strictObject({
    url: z
      .url({ protocol: production ? /^https$/ : /^https?$/ })
      .max(2000)
      .describe(production ? 'https only' : 'http or https'),
    eventTypes: z
      .array(z.enum(EVENT_TYPES))
      .min(1)
      .max(10)
      .default([...PAYMENT_EVENT_TYPES]),
  });
}
const replaySchema = z
  .strictObject({
    from: z.iso.datetime({ offset: true }),
    to: z.iso.datetime({ offset: true }),
    subscriptionId: z.uuid().optional(),
  })
  .refine((b) => Date.parse(b.from) < Date.parse(b.to), 'from must be before to')
  .refine((b) => Date.parse(b.to) - Date.parse(b.from) <= 31 * 86_400_000, 'at most 31 days at once');
const DELIVERY_STATES = ['pending', 'delivered', 'failed', 'cancelled'];

export function deliveryFilter(q: { state?: string; eventId?: string; limit?: string }): {
  state?: string;
  eventId?: string;
  limit?: number;
} {
  if (q.state !== undefined && !DELIVERY_STATES.includes(q.state)) {
    throw problem(400, 'invalid-request', `state must be one of ${DELIVERY_STATES.join(', ')}`);
  }
  const limit = q.limit === undefined ? undefined : Number(q.limit);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 1000)) {
    throw problem(400, 'invalid-request', 'limit must be 1..1000');
  }
  return {
    ...(q.state !== undefined ? { state: q.state } : {}),
    ...(q.eventId !== undefined ? { eventId: q.eventId } : {}),
    ...(limit !== undefined ? { limit } : {}),
  };
}

/** A partner's webhook subscriptions, its delivery log, redelivery and replay. */
@ApiTags('partner webhooks')
@ApiBearerAuth()
@Controller('partner/webhooks')
@UseGuards(PartnerAuthGuard)
export class PartnerWebhooksController {
  constructor(@Inject(GATEWAY_SERVICES) private readonly s: GatewayServices) {}

  private get db() {
    return this.s.database.db;
  }

  @Post()
  @ApiBody({ schema: schemaOf(subscriptionSchema(false)) })
  @ApiOperation({
    summary: 'Subscribe a URL to payment events (signed, Standard Webhooks v1)',
    description: 'When the partner has no webhook secret yet, one is issued and returned once in `secret`.',
  })
  async create(@Req() req: FastifyRequest, @Body() body: unknown): Promise<unknown> {
    const partner = partnerOf(req);
    const b = parseEdgeBody(subscriptionSchema(this.s.config.nodeEnv === 'production'), body, 'subscription');
    const existing = (await this.s.webhooks.subscriptions.list(this.db, partner.id)).find(
      (x) => x.url === b.url && x.state === 'active',
    );
    if (existing !== undefined) {
      throw problem(409, 'subscription-exists', 'this URL is already subscribed', {
        subscriptionId: existing.id,
      });
    }
    const subscription = await this.s.webhooks.subscriptions.create(
      this.db,
      { partnerId: partner.id, url: b.url, eventTypes: b.eventTypes as typeof PAYMENT_EVENT_TYPES },
      this.s.edge.clock.now(),
    );
    let secret: string | undefined;
    if ((await this.s.edge.credentials.webhookSigningSecrets(partner.id)).length === 0) {
      secret = (await this.s.edge.credentials.rotateWebhookSecret(partner.id, { rotate: false })).secret;
    }
    return { subscription, ...(secret !== undefined ? { secret } : {}) };
  }

  @Get()
  @ApiOperation({ summary: 'My webhook subscriptions' })
  async list(@Req() req: FastifyRequest): Promise<unknown> {
    return { items: await this.s.webhooks.subscriptions.list(this.db, partnerOf(req).id) };
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Unsubscribe: what was waiting for this subscription is cancelled' })
  @HttpCode(200)
  async remove(@Req() req: FastifyRequest, @Param('id') id: string): Promise<unknown> {
    const partner = partnerOf(req);
    const sub = await this.s.webhooks.subscriptions.find(this.db, partner.id, id);
    if (sub === undefined || sub.state === 'deleted')
      throw problem(404, 'not-found', `no subscription ${id}`);
    await this.db
      .transaction()
      .execute((tx) =>
        this.s.webhooks.subscriptions.end(
          tx,
          id,
          'deleted',
          'deleted by the partner',
          this.s.edge.clock.now(),
        ),
      );
    return { ...sub, state: 'deleted' };
  }

  @Get('deliveries')
  @ApiOperation({ summary: 'My delivery log, newest first (state, eventId, limit)' })
  async deliveries(
    @Req() req: FastifyRequest,
    @Query() q: { state?: string; eventId?: string; limit?: string },
  ): Promise<unknown> {
    return { items: await this.s.webhooks.deliveries.list(this.db, partnerOf(req).id, deliveryFilter(q)) };
  }

  @Get('deliveries/:id/attempts')
  @ApiOperation({ summary: 'Every attempt of one delivery: when, status code, error' })
  async attempts(@Req() req: FastifyRequest, @Param('id') id: string): Promise<unknown> {
    const partner = partnerOf(req);
    if (!isUuid(id)) throw problem(404, 'not-found', `no delivery ${id}`);
    const owned = await this.db
      .selectFrom('webhook_deliveries')
      .select('id')
      .where('id', '=', id)
      .where('partner_id', '=', partner.id)
      .executeTakeFirst();
    if (owned === undefined) throw problem(404, 'not-found', `no delivery ${id}`);
    return { items: await this.s.webhooks.deliveries.attempts(this.db, id) };
  }

  @Post('events/:eventId/redeliver')
  @HttpCode(202)
  @ApiOperation({ summary: 'Send one event again to my active subscriptions (same webhook-id)' })
  async redeliver(@Req() req: FastifyRequest, @Param('eventId') eventId: string): Promise<unknown> {
    const queued = await this.s.webhooks.deliveries.requeue(
      this.db,
      partnerOf(req).id,
      { eventId },
      this.s.edge.clock.now(),
    );
    if (queued === 0) throw problem(404, 'not-found', `no event ${eventId} for an active subscription`);
    return { queued };
  }

  @Post('replay')
  @ApiBody({ schema: schemaOf(replaySchema) })
  @HttpCode(202)
  @ApiOperation({
    summary: 'Send again every event that occurred in [from, to) (at most 31 days, 10 000 events)',
  })
  async replay(@Req() req: FastifyRequest, @Body() body: unknown): Promise<unknown> {
    const partner = partnerOf(req);
    const b = parseEdgeBody(replaySchema, body, 'replay');
    if (b.subscriptionId !== undefined) {
      const sub = await this.s.webhooks.subscriptions.find(this.db, partner.id, b.subscriptionId);
      if (sub?.state !== 'active')
        throw problem(404, 'not-found', `no active subscription ${b.subscriptionId}`);
    }
    const queued = await this.s.webhooks.deliveries.requeue(
      this.db,
      partner.id,
      { from: new Date(b.from), to: new Date(b.to) },
      this.s.edge.clock.now(),
      b.subscriptionId,
    );
    return { queued };
  }
}
