import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { schemaOf } from './openapi-schemas';

const readySchema = z.object({
  status: z.enum(['ok', 'unavailable']),
  checks: z.object({
    database: z.object({
      status: z.enum(['up', 'down']),
      engine: z.enum(['pglite', 'postgres']),
      since: z.string().describe('when the database last went up or down'),
    }),
    cache: z.object({ status: z.enum(['up', 'down']), engine: z.enum(['memory', 'redis']) }),
  }),
});
import type { FastifyReply } from 'fastify';
import { GATEWAY_SERVICES, type GatewayServices } from '../gateway-services';

/** Liveness, readiness and Prometheus metrics: no credential, on every lane that serves HTTP. */
@ApiTags('health and metrics')
@Controller()
export class HealthController {
  constructor(@Inject(GATEWAY_SERVICES) private readonly s: GatewayServices) {}

  @Get('health/live')
  @ApiOperation({ summary: 'Liveness: the process answers (restart it if not)' })
  @ApiResponse({ status: 200, schema: schemaOf(z.object({ status: z.literal('ok') })) })
  live(): { status: string } {
    return { status: 'ok' };
  }

  @Get('health/ready')
  @ApiOperation({
    summary: 'Readiness: 200 while the database answers, 503 within about a second of losing it',
    description: 'A failing Redis does not make the node unready: routing falls back to SQL.',
  })
  @ApiResponse({ status: 200, description: 'Ready', schema: schemaOf(readySchema) })
  @ApiResponse({ status: 503, description: 'The database is away', schema: schemaOf(readySchema) })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<unknown> {
    // The background probe's state, not a query of our own: a paused database server accepts the
    // connection and never answers, and a balancer's check must not hang with it.
    const database = this.s.databaseHealth.isUp();
    const cache = await this.s.cache.ping();
    // A failing Redis degrades routing to SQL but does not stop payments; the node stays ready.
    const ready = database;
    void reply.status(ready ? 200 : 503);
    return {
      status: ready ? 'ok' : 'unavailable',
      checks: {
        database: {
          status: database ? 'up' : 'down',
          engine: this.s.database.kind,
          since: this.s.databaseHealth.since().toISOString(),
        },
        cache: { status: cache ? 'up' : 'down', engine: this.s.cache.kind },
      },
    };
  }

  @Get('metrics')
  @ApiOperation({ summary: 'Prometheus metrics (text exposition format); every name starts with billgate_' })
  @ApiProduces('text/plain')
  @ApiResponse({ status: 200, description: 'Prometheus text format 0.0.4', schema: { type: 'string' } })
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  metrics(): Promise<string> {
    return this.s.metrics.registry.metrics();
  }
}
