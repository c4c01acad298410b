import {
  Body,
  Controller,
  Delete,
  Get,
  Inject,
  Param,
  Patch,
  Post,
  Query,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { GATEWAY_SERVICES, type GatewayServices } from '../../gateway-services';
import { OpsAuthGuard } from '../auth.guard';
import { answer, changeContext, ifMatchVersion, mapped, ruleId } from './routing-problems';
import { createSchema, deleteSchema, parseBody, patchSchema } from './routing-requests';

/** The routing table's rules one at a time: list, read, create, change, remove (audited). */
@ApiTags('ops: routing')
@ApiBearerAuth()
@Controller('ops/routing')
@UseGuards(OpsAuthGuard)
export class OpsRoutingRulesController {
  constructor(@Inject(GATEWAY_SERVICES) private readonly s: GatewayServices) {}

  @Get('rules')
  @ApiOperation({ summary: 'The routing table (optionally one bill type or partner)' })
  async list(@Query('billType') billType?: string, @Query('partnerId') partnerId?: string): Promise<unknown> {
    const items = await this.s.routing.list({
      ...(billType !== undefined ? { billType } : {}),
      ...(partnerId !== undefined ? { partnerId } : {}),
    });
    return { items };
  }

  @Post('rules')
  @ApiOperation({
    summary: 'Create a rule (audited); with effectiveAt, schedule its creation',
    description: 'Every write needs a reason. 409 names the enabled rule that already claims the tuple.',
  })
  @ApiBody({ schema: z.toJSONSchema(createSchema, { io: 'input' }) as Record<string, unknown> })
  @ApiResponse({ status: 201, description: 'Created; the body is the rule with the audit sequence number' })
  @ApiResponse({ status: 202, description: 'Scheduled for effectiveAt' })
  async create(
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Body() body: unknown,
  ): Promise<unknown> {
    const b = parseBody(createSchema, body, 'routing rule');
    const outcome = await mapped(() =>
      this.s.routing.create(
        {
          billType: b.billType,
          payerType: b.payerType,
          partnerId: b.partnerId,
          billerEndpoint: b.billerEndpoint,
          settlementAccount: b.settlementAccount,
          ...(b.enabled !== undefined ? { enabled: b.enabled } : {}),
        },
        changeContext(req, b.reason),
        b.effectiveAt !== undefined ? { effectiveAt: b.effectiveAt } : {},
      ),
    );
    if (outcome.kind === 'applied' && outcome.rule !== null) {
      void reply.header('location', `/ops/routing/rules/${outcome.rule.id}`);
    }
    return answer(reply, outcome, true);
  }

  @Get('rules/:id')
  @ApiOperation({ summary: 'One rule; its ETag is its version (for If-Match)' })
  async get(
    @Param('id') ruleIdParam: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const rule = await mapped(() => this.s.routing.get(ruleId(ruleIdParam)));
    void reply.header('etag', `"${rule.version}"`);
    return rule;
  }

  @Patch('rules/:id')
  @ApiOperation({
    summary: 'Change a rule: flip enabled, or re-point it (audited, written through to every node)',
    description:
      '`{ "enabled": false, "reason": "..." }` flips a rule. Optimistic concurrency: expectedVersion in the ' +
      'body or If-Match: "<version>". With effectiveAt the change is scheduled and applied exactly once.',
  })
  @ApiBody({ schema: z.toJSONSchema(patchSchema, { io: 'input' }) as Record<string, unknown> })
  async patch(
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Param('id') ruleIdParam: string,
    @Body() body: unknown,
  ): Promise<unknown> {
    const id = ruleId(ruleIdParam);
    const b = parseBody(patchSchema, body, 'routing rule change');
    const headerVersion = ifMatchVersion(req);
    const version = b.expectedVersion ?? headerVersion;
    const outcome = await mapped(
      () =>
        this.s.routing.update(
          id,
          {
            ...(b.billerEndpoint !== undefined ? { billerEndpoint: b.billerEndpoint } : {}),
            ...(b.settlementAccount !== undefined ? { settlementAccount: b.settlementAccount } : {}),
            ...(b.enabled !== undefined ? { enabled: b.enabled } : {}),
          },
          changeContext(req, b.reason),
          {
            ...(version !== undefined ? { expectedVersion: version } : {}),
            ...(b.effectiveAt !== undefined ? { effectiveAt: b.effectiveAt } : {}),
          },
        ),
      b.expectedVersion === undefined && headerVersion !== undefined,
    );
    return answer(reply, outcome);
  }

  @Delete('rules/:id')
  @ApiOperation({
    summary: 'Remove a rule (audited: the entry keeps the rule as it was)',
    description:
      'The reason goes in the JSON body or the `reason` query parameter. To stop routing but keep the rule, PATCH enabled=false.',
  })
  async remove(
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Param('id') ruleIdParam: string,
    @Body() body: unknown,
    @Query('reason') reasonQuery?: string,
  ): Promise<unknown> {
    const id = ruleId(ruleIdParam);
    const raw = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    const b = parseBody(
      deleteSchema,
      { ...raw, ...(reasonQuery !== undefined ? { reason: reasonQuery } : {}) },
      'rule removal',
    );
    const headerVersion = ifMatchVersion(req);
    const version = b.expectedVersion ?? headerVersion;
    const outcome = await mapped(
      () =>
        this.s.routing.remove(id, changeContext(req, b.reason), {
          ...(version !== undefined ? { expectedVersion: version } : {}),
          ...(b.effectiveAt !== undefined ? { effectiveAt: b.effectiveAt } : {}),
        }),
      b.expectedVersion === undefined && headerVersion !== undefined,
    );
    if (outcome.kind === 'scheduled') return answer(reply, outcome);
    return { deleted: outcome.change?.before ?? null, auditSeq: Number(outcome.change?.auditSeq ?? 0) };
  }
}
