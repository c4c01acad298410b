import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { GATEWAY_SERVICES, type GatewayServices } from '../gateway-services';

@ApiExcludeController()
@Controller()
export class HealthController {
  constructor(@Inject(GATEWAY_SERVICES) private readonly s: GatewayServices) {}

  @Get('health/live')
  live(): { status: string } {
    return { status: 'ok' };
  }

  @Get('health/ready')
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
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  metrics(): Promise<string> {
    return this.s.metrics.registry.metrics();
  }
}
