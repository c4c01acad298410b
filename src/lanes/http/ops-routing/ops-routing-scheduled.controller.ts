import { Body, Controller, Delete, Get, Inject, Param, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { GATEWAY_SERVICES, type GatewayServices } from '../../gateway-services';
import { OpsAuthGuard } from '../auth.guard';
import { UUID_PATTERN } from '../../../domain/routing/routing-rule';
import { problem } from '../../../protocols/rest/problem';
import { changeContext, mapped } from './routing-problems';
import { parseBody, reason } from './routing-requests';

/** Rule changes scheduled for later: listed, and cancelled with a reason. */
@ApiTags('ops: routing')
@ApiBearerAuth()
@Controller('ops/routing')
@UseGuards(OpsAuthGuard)
export class OpsRoutingScheduledController {
  constructor(@Inject(GATEWAY_SERVICES) private readonly s: GatewayServices) {}

  @Get('scheduled')
  @ApiOperation({ summary: 'Scheduled rule changes (pending, applied, failed, cancelled)' })
  async scheduled(@Query('state') state?: string): Promise<unknown> {
    const states = ['pending', 'applied', 'failed', 'cancelled'] as const;
    if (state !== undefined && !(states as readonly string[]).includes(state)) {
      throw problem(400, 'invalid-request', 'Invalid state filter', {
        errors: [{ field: 'state', message: `one of ${states.join(', ')}` }],
      });
    }
    return { items: await this.s.routing.listScheduled(state as (typeof states)[number] | undefined) };
  }

  @Delete('scheduled/:id')
  @ApiOperation({ summary: 'Cancel a pending scheduled change (reason required)' })
  async cancel(
    @Req() req: FastifyRequest,
    @Param('id') scheduledId: string,
    @Body() body: unknown,
    @Query('reason') reasonQuery?: string,
  ): Promise<unknown> {
    const raw = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    const b = parseBody(
      z.object({ reason }),
      { ...raw, ...(reasonQuery !== undefined ? { reason: reasonQuery } : {}) },
      'cancellation',
    );
    if (!UUID_PATTERN.test(scheduledId)) {
      throw problem(404, 'scheduled-change-not-found', 'No such pending scheduled change');
    }
    return mapped(() => this.s.routing.cancelScheduled(scheduledId, changeContext(req, b.reason)));
  }
}
