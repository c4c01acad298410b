import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Param,
  Patch,
  Post,
  Put,
  Req,
  UseGuards,
} from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { GATEWAY_SERVICES, type GatewayServices } from '../gateway-services';
import { BillerAdminError, billerDeclarationSchema } from '../../domain/billers/biller-admin';
import { problem } from '../../protocols/rest/problem';
import { OpsAuthGuard, opsUserOf } from './auth.guard';
import { parseEdgeBody } from './edge-problems';
import { opsReason, schemaOf } from './openapi-schemas';

const url = z.url({ protocol: /^https?$/ }).describe("the biller's base URL (http or https)");
const timeoutMs = z.number().int().min(50).max(120000).describe('how long a payment call may take, in ms');
const createSchema = z.strictObject({
  id: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]{1,63}$/, 'lower-case letters, digits, . _ -, 2 to 64 characters')
    .describe('the biller endpoint id routing rules name, e.g. "desco-prepaid"'),
  name: z.string().trim().min(1).max(200),
  billType: z
    .string()
    .regex(/^[A-Z][A-Z0-9_]{1,31}$/, 'upper-case letters, digits and _, such as ELECTRICITY')
    .describe('the bill type it serves; a new one is added to the catalogue'),
  url,
  timeoutMs,
  reason: opsReason,
});
const updateSchema = z
  .strictObject({
    url: url.optional(),
    timeoutMs: timeoutMs.optional(),
    name: z.string().trim().min(1).max(200).optional(),
    reason: opsReason,
  })
  .refine((b) => b.url !== undefined || b.timeoutMs !== undefined || b.name !== undefined, {
    message: 'name at least one of url, timeoutMs, name',
  });
const reasonSchema = z.strictObject({ reason: opsReason });

const billerSchema = z.object({
  id: z.string(),
  name: z.string(),
  billType: z.string(),
  url: z.string(),
  timeoutMs: z.number().int(),
  enabled: z.boolean().describe('false once disabled: its routes answer NO_ROUTE'),
  disabledAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  routingRules: z.number().int().describe('routing rules naming this biller'),
});

/** Ops API for billers: list, create, change address or timeout, disable and enable; each audited. */
/** The body plus the path's id, validated together so a bad id is named like any other field. */
const declareSchema = billerDeclarationSchema.extend({ reason: opsReason });

@ApiTags('ops: billers')
@ApiBearerAuth('opsApiKey')
@Controller('ops/billers')
@UseGuards(OpsAuthGuard)
export class OpsBillersController {
  constructor(@Inject(GATEWAY_SERVICES) private readonly s: GatewayServices) {}

  @Get()
  @ApiOperation({ summary: 'Billers with their address, timeout, state and how many rules name them' })
  @ApiResponse({ status: 200, schema: schemaOf(z.object({ items: z.array(billerSchema) })) })
  async list(): Promise<unknown> {
    return { items: await this.s.billers.list() };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One biller' })
  @ApiResponse({ status: 200, schema: schemaOf(billerSchema) })
  @ApiResponse({ status: 404, description: 'No such biller' })
  async get(@Param('id') id: string): Promise<unknown> {
    const b = await this.s.billers.get(id);
    if (b === undefined) throw problem(404, 'not-found', `no biller ${id}`);
    return b;
  }

  @Post()
  @ApiOperation({ summary: 'Add a biller (audited); route partners to it with /ops/routing/rules' })
  @ApiBody({ schema: schemaOf(createSchema) })
  @ApiResponse({ status: 201, schema: schemaOf(billerSchema) })
  @ApiResponse({ status: 409, description: 'A biller with this id exists' })
  async create(@Req() req: FastifyRequest, @Body() body: unknown): Promise<unknown> {
    const b = parseEdgeBody(createSchema, body, 'biller');
    return mapped(() =>
      this.s.billers.create(
        { id: b.id, name: b.name, billType: b.billType, url: b.url, timeoutMs: b.timeoutMs },
        { actor: opsUserOf(req), reason: b.reason },
      ),
    );
  }

  @Patch(':id')
  @ApiOperation({ summary: "Change a biller's URL, timeout or name (audited); every node sees it at once" })
  @ApiBody({ schema: schemaOf(updateSchema) })
  @ApiResponse({ status: 200, schema: schemaOf(billerSchema) })
  @ApiResponse({ status: 404, description: 'No such biller' })
  @ApiResponse({ status: 409, description: 'Nothing to change: the biller already has these values' })
  async update(@Req() req: FastifyRequest, @Param('id') id: string, @Body() body: unknown): Promise<unknown> {
    const b = parseEdgeBody(updateSchema, body, 'biller change');
    return mapped(() =>
      this.s.billers.update(
        id,
        {
          ...(b.url !== undefined ? { url: b.url } : {}),
          ...(b.timeoutMs !== undefined ? { timeoutMs: b.timeoutMs } : {}),
          ...(b.name !== undefined ? { name: b.name } : {}),
        },
        { actor: opsUserOf(req), reason: b.reason },
      ),
    );
  }

  @Put(':id')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Declare a biller whole (name, bill type, url, timeout): created if new, changed if it differs, untouched if not; audited',
  })
  @ApiBody({ schema: schemaOf(declareSchema.omit({ id: true })) })
  @ApiResponse({
    status: 200,
    schema: schemaOf(
      z.object({ outcome: z.enum(['created', 'updated', 'unchanged']), biller: billerSchema }),
    ),
  })
  @ApiResponse({
    status: 422,
    description: 'An invalid declaration, or a bill type change (declare a new biller)',
  })
  async declare(
    @Req() req: FastifyRequest,
    @Param('id') id: string,
    @Body() body: unknown,
  ): Promise<unknown> {
    const b = parseEdgeBody(
      declareSchema,
      { ...(typeof body === 'object' && body !== null ? body : {}), id },
      'biller',
    );
    const { reason, ...declaration } = b;
    return mapped(async () => {
      const outcome = await this.s.billers.declare(declaration, { actor: opsUserOf(req), reason });
      return { outcome, biller: await this.s.billers.get(id) };
    });
  }

  @Post(':id/disable')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Disable a biller (audited): its routes stop answering, so its payments decline NO_ROUTE',
  })
  @ApiBody({ schema: schemaOf(reasonSchema) })
  @ApiResponse({ status: 200, schema: schemaOf(billerSchema) })
  @ApiResponse({ status: 404, description: 'No such biller' })
  @ApiResponse({ status: 409, description: 'Already disabled' })
  async disable(
    @Req() req: FastifyRequest,
    @Param('id') id: string,
    @Body() body: unknown,
  ): Promise<unknown> {
    const b = parseEdgeBody(reasonSchema, body, 'biller change');
    return mapped(() => this.s.billers.setEnabled(id, false, { actor: opsUserOf(req), reason: b.reason }));
  }

  @Post(':id/enable')
  @HttpCode(200)
  @ApiOperation({ summary: 'Enable a disabled biller again (audited)' })
  @ApiBody({ schema: schemaOf(reasonSchema) })
  @ApiResponse({ status: 200, schema: schemaOf(billerSchema) })
  @ApiResponse({ status: 404, description: 'No such biller' })
  @ApiResponse({ status: 409, description: 'Already enabled' })
  async enable(@Req() req: FastifyRequest, @Param('id') id: string, @Body() body: unknown): Promise<unknown> {
    const b = parseEdgeBody(reasonSchema, body, 'biller change');
    return mapped(() => this.s.billers.setEnabled(id, true, { actor: opsUserOf(req), reason: b.reason }));
  }
}

async function mapped<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e: unknown) {
    if (!(e instanceof BillerAdminError)) throw e;
    if (e.code === 'NOT_FOUND') throw problem(404, 'not-found', e.message);
    if (e.code === 'EXISTS') throw problem(409, 'biller-exists', e.message);
    if (e.code === 'UNCHANGED') throw problem(409, 'biller-unchanged', e.message);
    throw problem(422, 'invalid-request', e.message);
  }
}
