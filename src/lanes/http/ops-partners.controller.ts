import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Put,
  Query,
  Req,
  UseGuards,
} from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags, ApiBody } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { GATEWAY_SERVICES, type GatewayServices } from '../gateway-services';
import { schedulesSchema } from '../../domain/partners/onboarding';
import { PARTNER_KINDS } from '../../domain/partners/partner';
import { PAYER_TYPES } from '../../domain/reason-codes';
import { problem } from '../../protocols/rest/problem';
import { OpsAuthGuard, opsUserOf } from './auth.guard';
import { schemaOf } from './openapi-schemas';
import { certificateMaterial, edgeMapped, parseEdgeBody, rotationRequest } from './edge-problems';

const createSchema = z.strictObject({
  id: z.string().min(1).max(64),
  name: z.string().trim().min(1).max(200),
  kind: z.enum(PARTNER_KINDS),
  payerTypes: z.array(z.enum(PAYER_TYPES)).min(1),
  schedules: z.unknown().optional(),
});
const transitionSchema = z.strictObject({ to: z.string().min(1), reason: z.string().trim().min(1).max(500) });
const certificationSchema = z.strictObject({ passed: z.boolean(), report: z.string().max(2000).optional() });
const laneSchema = z.strictObject({ laneId: z.string().min(1), cidrs: z.array(z.string().min(1)).min(1) });
const rotationSchema = z.strictObject({
  noticeHours: z.number().int().min(0).max(2160).optional(),
  replaces: z.string().uuid().optional(),
  rotate: z.boolean().optional(),
});
const certificateSchema = rotationSchema
  .extend({ certPem: z.string().min(1).optional(), csrPem: z.string().min(1).optional() })
  .refine((b) => (b.certPem === undefined) !== (b.csrPem === undefined), 'exactly one of certPem and csrPem');
const revokeSchema = z.strictObject({ reason: z.string().trim().min(1).max(500) });
const reason = z.string().trim().min(1).max(500);
const keyRotationSchema = z.strictObject({ overlapHours: z.number().min(0).max(2160).optional(), reason });
const keyRevocationSchema = z.strictObject({ reason });

/** Ops API for partner onboarding, lane allowlists, credentials and token signing keys. */
@ApiTags('ops: partners')
@ApiBearerAuth()
@Controller('ops')
@UseGuards(OpsAuthGuard)
export class OpsPartnersController {
  constructor(@Inject(GATEWAY_SERVICES) private readonly s: GatewayServices) {}

  private now(): Date {
    return this.s.edge.clock.now();
  }

  private async forget(): Promise<void> {
    this.s.authenticator.forget();
    await this.s.edge.lanes.refresh();
  }

  private async partner(id: string) {
    const p = await this.s.edge.onboarding.get(id, this.now());
    if (p === undefined) throw problem(404, 'not-found', `no partner ${id}`);
    return { ...p, lanes: this.s.edge.lanes.assignmentsOf(id) };
  }

  @Get('partners')
  @ApiOperation({ summary: 'Partners with their onboarding state, schedules and metrics' })
  async list(): Promise<unknown> {
    const items = await this.s.edge.onboarding.list(this.now());
    return { items: items.map((p) => ({ ...p, lanes: this.s.edge.lanes.assignmentsOf(p.id) })) };
  }

  @Post('partners')
  // The schedules are validated by onboarding (422 naming each problem); documented with their shape.
  @ApiBody({ schema: schemaOf(createSchema.extend({ schedules: schedulesSchema.optional() })) })
  @ApiOperation({ summary: 'Create a partner in draft, optionally with its schedules' })
  async create(@Req() req: FastifyRequest, @Body() body: unknown): Promise<unknown> {
    const b = parseEdgeBody(createSchema, body, 'partner');
    await edgeMapped(() =>
      this.s.edge.onboarding.create(
        { id: b.id, name: b.name, kind: b.kind, payerTypes: b.payerTypes, schedules: b.schedules },
        opsUserOf(req),
        this.now(),
      ),
    );
    return this.partner(b.id);
  }

  @Get('partners/:id')
  @ApiOperation({ summary: 'One partner: onboarding state, schedules, lanes and metrics' })
  get(@Param('id') id: string): Promise<unknown> {
    return this.partner(id);
  }

  @Put('partners/:id/schedules')
  @ApiBody({
    schema: schemaOf(schedulesSchema),
    description: 'One or more of msa, technical, operational; each given replaces the stored one whole',
  })
  @ApiOperation({
    summary: 'Replace one or more of the MSA, Technical and Operational schedules (validated)',
  })
  async schedules(
    @Req() req: FastifyRequest,
    @Param('id') id: string,
    @Body() body: unknown,
  ): Promise<unknown> {
    await edgeMapped(() =>
      this.s.edge.onboarding.updateSchedules(id, body, this.now(), {
        actor: opsUserOf(req),
        reason: 'schedules replaced through the ops API',
      }),
    );
    return this.partner(id);
  }

  @Post('partners/:id/transitions')
  @ApiBody({ schema: schemaOf(transitionSchema) })
  @HttpCode(200)
  @ApiOperation({
    summary: 'Move the partner along its lifecycle (gated)',
    description:
      'draft → contracts-signed → connectivity → certification → live ⇄ suspended; 409 lists unmet gates',
  })
  async transition(
    @Req() req: FastifyRequest,
    @Param('id') id: string,
    @Body() body: unknown,
  ): Promise<unknown> {
    const b = parseEdgeBody(transitionSchema, body, 'transition');
    await edgeMapped(() => this.s.edge.onboarding.transition(id, b.to, opsUserOf(req), b.reason, this.now()));
    await this.forget();
    return this.partner(id);
  }

  @Post('partners/:id/certification')
  @ApiOperation({ summary: "Record the partner's certification result (a gate to live)" })
  @ApiBody({ schema: schemaOf(certificationSchema) })
  @HttpCode(200)
  async certification(
    @Req() req: FastifyRequest,
    @Param('id') id: string,
    @Body() body: unknown,
  ): Promise<unknown> {
    const b = parseEdgeBody(certificationSchema, body, 'certification result');
    await edgeMapped(() =>
      this.s.edge.onboarding.recordCertification(id, b.passed, opsUserOf(req), this.now()),
    );
    return this.partner(id);
  }

  @Post('partners/:id/lanes')
  @ApiBody({ schema: schemaOf(laneSchema) })
  @HttpCode(200)
  @ApiOperation({
    summary: 'Allow the partner on a lane from these CIDRs (on top of the lane configuration)',
  })
  async assignLane(@Param('id') id: string, @Body() body: unknown): Promise<unknown> {
    const b = parseEdgeBody(laneSchema, body, 'lane assignment');
    await this.partner(id);
    await edgeMapped(() => this.s.edge.lanes.assign(id, b.laneId, b.cidrs));
    return this.partner(id);
  }

  @Get('partners/:id/credentials')
  @ApiOperation({ summary: "The partner's credentials, pending rotations and expiries" })
  async credentials(@Param('id') id: string): Promise<unknown> {
    await this.partner(id);
    return this.s.edge.credentials.overview(id);
  }

  @Post('partners/:id/certificates')
  @ApiBody({ schema: schemaOf(certificateSchema) })
  @ApiOperation({
    summary: 'Register a client certificate (PEM) or issue one from a CSR; rotates the current one on notice',
  })
  async certificate(@Param('id') id: string, @Body() body: unknown): Promise<unknown> {
    const b = parseEdgeBody(certificateSchema, body, 'certificate');
    await this.partner(id);
    return edgeMapped(() =>
      this.s.edge.credentials.registerCertificate(id, certificateMaterial(b), rotationRequest(b)),
    );
  }

  @Post('partners/:id/api-keys')
  @ApiBody({ schema: schemaOf(rotationSchema) })
  @ApiOperation({ summary: 'Issue a new API key (shown once); the current one ends after the notice' })
  async apiKey(@Param('id') id: string, @Body() body: unknown): Promise<unknown> {
    const b = parseEdgeBody(rotationSchema, body, 'rotation');
    await this.partner(id);
    return edgeMapped(() => this.s.edge.credentials.rotateApiKey(id, rotationRequest(b)));
  }

  @Post('partners/:id/webhook-secrets')
  @ApiBody({ schema: schemaOf(rotationSchema) })
  @ApiOperation({
    summary: 'Issue a new webhook signing secret (shown once); the current one ends after the notice',
  })
  async webhookSecret(@Param('id') id: string, @Body() body: unknown): Promise<unknown> {
    const b = parseEdgeBody(rotationSchema, body, 'rotation');
    await this.partner(id);
    return edgeMapped(() => this.s.edge.credentials.rotateWebhookSecret(id, rotationRequest(b)));
  }

  @Post('partners/:id/credentials/:credentialId/revoke')
  @ApiBody({ schema: schemaOf(revokeSchema) })
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke a credential at once (compromise)' })
  revoke(
    @Param('id') id: string,
    @Param('credentialId') credentialId: string,
    @Body() body: unknown,
  ): Promise<unknown> {
    const b = parseEdgeBody(revokeSchema, body, 'revocation');
    return edgeMapped(() => this.s.edge.credentials.revoke(credentialId, b.reason, id));
  }

  @Get('credentials/rotations')
  @ApiOperation({
    summary: 'All partners: rotations in their notice window and credentials nearing their end',
  })
  async rotations(@Query('withinHours') withinHours?: string): Promise<unknown> {
    const hours = withinHours === undefined ? undefined : Number(withinHours);
    if (hours !== undefined && (!Number.isFinite(hours) || hours < 0 || hours > 24 * 365)) {
      throw problem(400, 'invalid-request', 'withinHours must be 0..8760');
    }
    const o = await this.s.edge.credentials.overview(undefined, hours);
    return {
      pendingRotations: o.pendingRotations,
      expiringSoon: o.expiringSoon,
      signingKeys: this.s.edge.tokens.keys().filter((k) => k.state === 'retiring' || k.state === 'next'),
    };
  }

  @Get('token-signing-keys')
  @ApiOperation({ summary: 'The keys that sign mTLS-lane access tokens: active, next, retiring, revoked' })
  signingKeys(): unknown {
    return { overlapSeconds: this.s.edge.tokens.overlapSeconds, keys: this.s.edge.tokens.keys() };
  }

  @Post('token-signing-keys/rotate')
  @ApiBody({ schema: schemaOf(keyRotationSchema) })
  @HttpCode(200)
  @ApiOperation({
    summary: 'Activate a new signing key; the previous one verifies for the overlap (24 h default)',
  })
  async rotateSigningKey(@Body() body: unknown): Promise<unknown> {
    const b = parseEdgeBody(keyRotationSchema, body, 'key rotation');
    const r = await edgeMapped(() =>
      this.s.edge.tokens.rotate(b.overlapHours !== undefined ? Math.round(b.overlapHours * 3600) : undefined),
    );
    return { ...r, keys: this.s.edge.tokens.keys() };
  }

  @Post('token-signing-keys/:kid/revoke')
  @ApiBody({ schema: schemaOf(keyRevocationSchema) })
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke a token signing key at once; tokens it signed stop verifying' })
  async revokeSigningKey(@Param('kid') kid: string, @Body() body: unknown): Promise<unknown> {
    parseEdgeBody(keyRevocationSchema, body, 'key revocation');
    const r = await edgeMapped(() => this.s.edge.tokens.revoke(kid));
    return { ...r, keys: this.s.edge.tokens.keys() };
  }
}
