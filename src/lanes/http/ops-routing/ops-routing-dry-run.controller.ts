import { Body, Controller, HttpCode, Inject, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { GATEWAY_SERVICES, type GatewayServices } from '../../gateway-services';
import { OpsAuthGuard } from '../auth.guard';
import type { ProposedChange } from '../../../domain/routing/route-table';
import { problem } from '../../../protocols/rest/problem';
import { mapped } from './routing-problems';
import { dryRunSchema, parseBody } from './routing-requests';

/** What a proposed rule change would have done to recent payments; nothing is written. */
@ApiTags('ops: routing')
@ApiBearerAuth()
@Controller('ops/routing')
@UseGuards(OpsAuthGuard)
export class OpsRoutingDryRunController {
  constructor(@Inject(GATEWAY_SERVICES) private readonly s: GatewayServices) {}

  @Post('dry-run')
  @HttpCode(200)
  @ApiOperation({
    summary: "Which of the last N days' payments a proposed change would have routed elsewhere",
    description:
      'Body: a rule change shaped like POST (no id) or PATCH (with id), or { "action": "delete", "id": ... }, ' +
      'plus days (default 7). Nothing is written.',
  })
  @ApiBody({ schema: z.toJSONSchema(dryRunSchema, { io: 'input' }) as Record<string, unknown> })
  async dryRun(@Body() body: unknown): Promise<unknown> {
    const b = parseBody(dryRunSchema, body, 'dry run');
    const action = b.action ?? (b.id !== undefined ? 'update' : 'create');
    let change: ProposedChange;
    if (action === 'create') {
      const missing = (
        ['billType', 'payerType', 'partnerId', 'billerEndpoint', 'settlementAccount'] as const
      ).filter((k) => b[k] === undefined);
      if (missing.length > 0 || b.payerType === undefined) {
        throw problem(400, 'invalid-request', 'Invalid dry run', {
          errors: missing.map((field) => ({ field, message: 'is required for a new rule' })),
        });
      }
      change = {
        action,
        rule: {
          billType: b.billType ?? '',
          payerType: b.payerType,
          partnerId: b.partnerId ?? '',
          billerEndpoint: b.billerEndpoint ?? '',
          settlementAccount: b.settlementAccount ?? '',
          enabled: b.enabled ?? true,
        },
      };
    } else {
      if (b.id === undefined) {
        throw problem(400, 'invalid-request', 'Invalid dry run', {
          errors: [{ field: 'id', message: `is required to ${action} a rule` }],
        });
      }
      change =
        action === 'delete'
          ? { action, id: b.id }
          : {
              action,
              id: b.id,
              patch: {
                ...(b.billerEndpoint !== undefined ? { billerEndpoint: b.billerEndpoint } : {}),
                ...(b.settlementAccount !== undefined ? { settlementAccount: b.settlementAccount } : {}),
                ...(b.enabled !== undefined ? { enabled: b.enabled } : {}),
              },
            };
    }
    return mapped(() => this.s.routing.dryRun(change, b.days ?? 7, new Date(), b.limit ?? 1000));
  }
}
