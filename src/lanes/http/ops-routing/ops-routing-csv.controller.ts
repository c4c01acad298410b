import { Body, Controller, Get, Header, HttpCode, Inject, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { GATEWAY_SERVICES, type GatewayServices } from '../../gateway-services';
import { OpsAuthGuard } from '../auth.guard';
import { problem } from '../../../protocols/rest/problem';
import { changeContext, mapped } from './routing-problems';
import { parseBody, reason } from './routing-requests';

/** The routing table as CSV: exported, and imported back all or nothing. */
@ApiTags('ops: routing')
@ApiBearerAuth()
@Controller('ops/routing')
@UseGuards(OpsAuthGuard)
export class OpsRoutingCsvController {
  constructor(@Inject(GATEWAY_SERVICES) private readonly s: GatewayServices) {}

  @Get('rules.csv')
  @Header('content-type', 'text/csv; charset=utf-8')
  @Header('content-disposition', 'attachment; filename="routing-rules.csv"')
  @ApiOperation({ summary: 'Export the routing table as CSV (the import format)' })
  exportCsv(): Promise<string> {
    return this.s.routing.exportCsv();
  }

  @Post('rules.csv')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Import rules from CSV: all or nothing',
    description:
      'Body text/csv with the export columns. A row with an id updates that rule (its version, when given, ' +
      'must still be current); a row without one creates a rule. Rules absent from the file are untouched. ' +
      'Any bad row rejects the whole file with a report of every bad row (line, field, reason). ' +
      'The reason goes in the `reason` query parameter or the X-Change-Reason header.',
  })
  async importCsv(
    @Req() req: FastifyRequest,
    @Body() body: unknown,
    @Query('reason') reasonQuery?: string,
  ): Promise<unknown> {
    const header = req.headers['x-change-reason'];
    const why = parseBody(
      z.object({ reason }),
      { reason: reasonQuery ?? (Array.isArray(header) ? header[0] : header) },
      'CSV import',
    ).reason;
    if (typeof body !== 'string') {
      throw problem(415, 'unsupported-media-type', 'Send the rules as text/csv');
    }
    return mapped(() => this.s.routing.importCsv(body, changeContext(req, why)));
  }
}
