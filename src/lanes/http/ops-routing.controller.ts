import { problemFields } from '../../protocols/rest/zod-problems';
import {
  Body,
  Controller,
  Delete,
  Get,
  Header,
  HttpCode,
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
import { PAYER_TYPES } from '../../domain/reason-codes';
import type { WriteOutcome } from '../../domain/routing/routing-admin';
import type { ProposedChange } from '../../domain/routing/route-table';
import { RoutingError, UUID_PATTERN, type ChangeContext } from '../../domain/routing/routing-rule';
import { problem, type ProblemError } from '../../protocols/rest/problem';
import { GATEWAY_SERVICES, type GatewayServices } from '../gateway-services';
import { OpsAuthGuard, opsUserOf } from './auth.guard';

const REASON_MESSAGE = 'is required: say why the routing table changes (1-500 characters)';
const reason = z.string({ error: REASON_MESSAGE }).trim().min(1, REASON_MESSAGE).max(500, REASON_MESSAGE);
const id = z.string().trim().min(1).max(128);
const effectiveAt = z.iso
  .datetime({
    offset: true,
    error: 'must be an ISO 8601 date-time with an offset, e.g. 2026-11-24T14:00:00+06:00',
  })
  .transform((s) => new Date(s));
const expectedVersion = z.int().positive().max(1_000_000_000);

const createSchema = z.strictObject({
  billType: z.string().trim().min(1).max(32),
  payerType: z.enum(PAYER_TYPES),
  partnerId: id,
  billerEndpoint: id,
  settlementAccount: id,
  enabled: z.boolean().optional(),
  reason,
  effectiveAt: effectiveAt.optional(),
});

const patchSchema = z
  .strictObject({
    billerEndpoint: id.optional(),
    settlementAccount: id.optional(),
    enabled: z.boolean().optional(),
    reason,
    expectedVersion: expectedVersion.optional(),
    effectiveAt: effectiveAt.optional(),
  })
  .refine(
    (b) => b.billerEndpoint !== undefined || b.settlementAccount !== undefined || b.enabled !== undefined,
    {
      message: 'nothing to change: give billerEndpoint, settlementAccount or enabled',
      path: ['(body)'],
    },
  );

const deleteSchema = z.object({
  reason,
  expectedVersion: expectedVersion.optional(),
  effectiveAt: effectiveAt.optional(),
});

const dryRunSchema = z.strictObject({
  action: z.enum(['create', 'update', 'delete']).optional(),
  id: z.string().regex(UUID_PATTERN, 'not a rule id').optional(),
  billType: z.string().trim().min(1).max(32).optional(),
  payerType: z.enum(PAYER_TYPES).optional(),
  partnerId: id.optional(),
  billerEndpoint: id.optional(),
  settlementAccount: id.optional(),
  enabled: z.boolean().optional(),
  days: z.int().min(1).max(90).optional(),
  limit: z.int().min(1).max(10_000).optional(),
  reason: z.string().optional(),
  expectedVersion: expectedVersion.optional(),
});

/** Zod issues as problem+json field errors; an unknown field is named as one that cannot be set. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const errors = result.error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((k) => ({
        field: k,
        message: 'is not a field here (the rule tuple cannot be changed)',
      }));
    }
    return problemFields([issue], body);
  });
  return throwProblem(problem(400, 'invalid-request', `Invalid ${what}`, { errors }));
}

function throwProblem(p: ProblemError): never {
  throw p;
}

/** RoutingError → problem+json; anything else is left for the global filter. */
export function routingProblem(error: unknown, ifMatch = false): unknown {
  if (!(error instanceof RoutingError)) return error;
  switch (error.kind) {
    case 'validation':
      return problem(400, 'invalid-routing-rule', 'Invalid routing rule', {
        detail: error.message,
        errors: error.details.errors ?? [],
      });
    case 'not-found':
      return problem(404, 'routing-rule-not-found', 'No such routing rule', { detail: error.message });
    case 'schedule-not-found':
      return problem(404, 'scheduled-change-not-found', 'No such pending scheduled change', {
        detail: error.message,
      });
    case 'conflict':
      return problem(409, 'routing-rule-conflict', 'Another enabled rule claims this tuple', {
        detail: error.message,
        ...(error.details.conflictingRuleId !== undefined
          ? { conflictingRuleId: error.details.conflictingRuleId }
          : {}),
      });
    case 'version-mismatch':
      return problem(
        ifMatch ? 412 : 409,
        'routing-rule-version-mismatch',
        'The rule has changed since you read it',
        {
          detail: error.message,
          ...(error.details.currentVersion !== undefined
            ? { currentVersion: error.details.currentVersion }
            : {}),
        },
      );
    case 'import-rejected': {
      const badRows = error.details.badRows ?? [];
      return problem(400, 'routing-import-rejected', 'The CSV import was rejected; nothing was changed', {
        detail: error.message,
        errors: badRows.map((r) => ({ field: `line ${r.line}: ${r.field}`, message: r.message })),
        badRows,
      });
    }
  }
}

async function mapped<T>(work: () => Promise<T>, ifMatch = false): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw routingProblem(error, ifMatch);
  }
}

function ifMatchVersion(req: FastifyRequest): number | undefined {
  const raw: unknown = req.headers['if-match'];
  const header = Array.isArray(raw) ? (raw as unknown[])[0] : raw;
  if (header === undefined) return undefined;
  const m = /^\s*(?:W\/)?"?([1-9][0-9]{0,8})"?\s*$/.exec(typeof header === 'string' ? header : '');
  if (m === null) {
    throw problem(400, 'invalid-request', 'Invalid If-Match header', {
      errors: [{ field: 'If-Match', message: 'must be the rule version as an entity tag, e.g. "3"' }],
    });
  }
  return Number(m[1]);
}

function ruleId(value: string): string {
  if (!UUID_PATTERN.test(value)) {
    throw problem(404, 'routing-rule-not-found', 'No such routing rule', {
      detail: `no routing rule ${value}`,
    });
  }
  return value;
}

function answer(reply: FastifyReply, outcome: WriteOutcome, created = false): unknown {
  if (outcome.kind === 'scheduled') {
    void reply.status(202);
    return { scheduled: outcome.scheduled };
  }
  if (created) void reply.status(201);
  if (outcome.rule !== null) void reply.header('etag', `"${outcome.rule.version}"`);
  return {
    ...(outcome.rule ?? {}),
    ...(outcome.change !== undefined ? { auditSeq: Number(outcome.change.auditSeq) } : { unchanged: true }),
  };
}

@ApiTags('ops: routing')
@ApiBearerAuth()
@Controller('ops/routing')
@UseGuards(OpsAuthGuard)
export class OpsRoutingController {
  constructor(@Inject(GATEWAY_SERVICES) private readonly s: GatewayServices) {}

  private ctx(req: FastifyRequest, why: string): ChangeContext {
    return { actor: opsUserOf(req), reason: why };
  }

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
        this.ctx(req, b.reason),
        b.effectiveAt !== undefined ? { effectiveAt: b.effectiveAt } : {},
      ),
    );
    if (outcome.kind === 'applied' && outcome.rule !== null) {
      void reply.header('location', `/ops/routing/rules/${outcome.rule.id}`);
    }
    return answer(reply, outcome, true);
  }

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
    return mapped(() => this.s.routing.importCsv(body, this.ctx(req, why)));
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
          this.ctx(req, b.reason),
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
        this.s.routing.remove(id, this.ctx(req, b.reason), {
          ...(version !== undefined ? { expectedVersion: version } : {}),
          ...(b.effectiveAt !== undefined ? { effectiveAt: b.effectiveAt } : {}),
        }),
      b.expectedVersion === undefined && headerVersion !== undefined,
    );
    if (outcome.kind === 'scheduled') return answer(reply, outcome);
    return { deleted: outcome.change?.before ?? null, auditSeq: Number(outcome.change?.auditSeq ?? 0) };
  }

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
    return mapped(() => this.s.routing.cancelScheduled(scheduledId, this.ctx(req, b.reason)));
  }
}
