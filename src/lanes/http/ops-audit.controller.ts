import { Controller, Get, Inject, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { OpsAuditLog } from '../../domain/audit/ops-audit-log';
import { UUID_PATTERN } from '../../domain/routing/routing-rule';
import { problem } from '../../protocols/rest/problem';
import { GATEWAY_SERVICES, type GatewayServices } from '../gateway-services';
import { OpsAuthGuard } from './auth.guard';

function positiveInt(value: string | undefined, field: string, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[0-9]{1,15}$/.test(value) || Number(value) > max) {
    throw problem(400, 'invalid-request', 'Invalid query parameter', {
      errors: [{ field, message: `must be an integer between 0 and ${max}` }],
    });
  }
  return Number(value);
}

@ApiTags('ops: audit')
@ApiBearerAuth()
@Controller('ops/audit')
@UseGuards(OpsAuthGuard)
export class OpsAuditController {
  constructor(@Inject(GATEWAY_SERVICES) private readonly s: GatewayServices) {}

  @Get()
  @ApiOperation({
    summary: 'The routing audit log, oldest first: who changed which rule, when, why, before and after',
    description:
      'Page with afterSeq (the nextAfterSeq of the previous page) and limit (default 100, max 1000).',
  })
  async list(
    @Query('afterSeq') afterSeq?: string,
    @Query('limit') limit?: string,
    @Query('ruleId') ruleId?: string,
  ): Promise<unknown> {
    if (ruleId !== undefined && !UUID_PATTERN.test(ruleId)) {
      throw problem(400, 'invalid-request', 'Invalid query parameter', {
        errors: [{ field: 'ruleId', message: 'not a rule id' }],
      });
    }
    const after = positiveInt(afterSeq, 'afterSeq', Number.MAX_SAFE_INTEGER);
    const max = positiveInt(limit, 'limit', 1000);
    return this.s.routing.listAudit({
      ...(after !== undefined ? { afterSeq: after } : {}),
      ...(max !== undefined ? { limit: max } : {}),
      ...(ruleId !== undefined ? { ruleId } : {}),
    });
  }

  @Get('verify')
  @ApiOperation({
    summary: 'Check the hash chain of the audit log',
    description:
      '{ intact, checked, headSeq } and, when broken, firstBrokenAt (sequence number) and problem: ' +
      'hash-mismatch (an entry was altered), gap (an entry was removed), chain-mismatch (an entry was ' +
      'replaced), truncated (the newest entries were removed), head-mismatch.',
  })
  verify(): Promise<unknown> {
    return this.s.routing.verifyAudit();
  }

  @Get('actions')
  @ApiOperation({
    summary:
      'The ops audit chain, oldest first: every ops action outside routing (billers, floats, agents...) with who, why, before and after',
    description:
      'Filter with subjectType (biller, float, agent...) and subjectId; page with afterSeq and limit.',
  })
  async actions(
    @Query('subjectType') subjectType?: string,
    @Query('subjectId') subjectId?: string,
    @Query('afterSeq') afterSeq?: string,
    @Query('limit') limit?: string,
  ): Promise<unknown> {
    const after = positiveInt(afterSeq, 'afterSeq', Number.MAX_SAFE_INTEGER);
    const max = positiveInt(limit, 'limit', 1000);
    return new OpsAuditLog().list(this.s.database.db, {
      ...(subjectType !== undefined ? { subjectType } : {}),
      ...(subjectId !== undefined ? { subjectId } : {}),
      ...(after !== undefined ? { afterSeq: after } : {}),
      ...(max !== undefined ? { limit: max } : {}),
    });
  }

  @Get('actions/verify')
  @ApiOperation({ summary: 'Check the hash chain of the ops audit log (same verdict as /ops/audit/verify)' })
  verifyActions(): Promise<unknown> {
    return new OpsAuditLog().verify(this.s.database.db);
  }
}
