import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { sql } from 'kysely';
import { GATEWAY_SERVICES, type GatewayServices } from '../../bootstrap/services';

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
    const [database, cache] = await Promise.all([
      sql`select 1`
        .execute(this.s.database.db)
        .then(() => true)
        .catch(() => false),
      this.s.cache.ping(),
    ]);
    // A failing Redis degrades routing to SQL but does not stop payments; the node stays ready.
    const ready = database;
    void reply.status(ready ? 200 : 503);
    return {
      status: ready ? 'ok' : 'unavailable',
      checks: {
        database: { status: database ? 'up' : 'down', engine: this.s.database.kind },
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
