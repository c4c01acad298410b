import { Body, Controller, Get, Inject, Param, Put, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { GATEWAY_SERVICES, type GatewayServices } from '../../bootstrap/services';
import { billerDeclarationSchema, BillerEndpoints } from '../../domain/billers/biller-endpoints';
import { OpsAuthGuard, opsUserOf } from './auth.guard';
import { parseEdgeBody } from './edge-problems';

/** The body plus the path's id, validated together so a bad id is named like any other field. */
const putSchema = billerDeclarationSchema.extend({ reason: z.string().trim().min(1).max(500) });

/** Biller endpoints (where each biller is, its bill type and timeout); every change audited. */
@ApiTags('ops: billers')
@ApiBearerAuth()
@Controller('ops/billers')
@UseGuards(OpsAuthGuard)
export class OpsBillersController {
  private readonly billers: BillerEndpoints;

  constructor(@Inject(GATEWAY_SERVICES) private readonly s: GatewayServices) {
    this.billers = new BillerEndpoints(s.database.db);
  }

  @Get()
  @ApiOperation({ summary: 'Biller endpoints' })
  async list(): Promise<unknown> {
    return { items: await this.billers.list() };
  }

  @Put(':id')
  @ApiOperation({
    summary:
      'Create or change a biller endpoint (url, bill type, timeout); audited, unchanged writes nothing',
  })
  async put(@Req() req: FastifyRequest, @Param('id') id: string, @Body() body: unknown): Promise<unknown> {
    const b = parseEdgeBody(
      putSchema,
      { ...(typeof body === 'object' && body !== null ? body : {}), id },
      'biller',
    );
    const { reason, ...declaration } = b;
    const outcome = await this.billers.upsert(declaration, { actor: opsUserOf(req), reason });
    await this.s.billTypes.reload();
    return { outcome, biller: (await this.billers.list()).find((x) => x.id === id) };
  }
}
