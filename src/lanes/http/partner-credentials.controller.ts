import { Body, Controller, Get, HttpCode, Inject, Param, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags, ApiBody } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { GATEWAY_SERVICES, type GatewayServices } from '../gateway-services';
import { PartnerAuthGuard, partnerOf } from './auth.guard';
import { schemaOf } from './openapi-schemas';
import { certificateMaterial, edgeMapped, parseEdgeBody, rotationRequest } from './edge-problems';

const rotationSchema = z.strictObject({ noticeHours: z.number().int().min(0).max(2160).optional() });
const certificateSchema = rotationSchema
  .extend({ certPem: z.string().min(1).optional(), csrPem: z.string().min(1).optional() })
  .refine((b) => (b.certPem === undefined) !== (b.csrPem === undefined), 'exactly one of certPem and csrPem');
const revokeSchema = z.strictObject({ reason: z.string().trim().min(1).max(500) });

/** The partner's own side of credential rotation: see, rotate on notice, revoke its own credentials. */
@ApiTags('partner credentials')
@ApiBearerAuth()
@Controller('partner/credentials')
@UseGuards(PartnerAuthGuard)
export class PartnerCredentialsController {
  constructor(@Inject(GATEWAY_SERVICES) private readonly s: GatewayServices) {}

  @Get()
  @ApiOperation({ summary: 'My credentials, rotations in their notice window and expiries' })
  list(@Req() req: FastifyRequest): Promise<unknown> {
    return this.s.edge.credentials.overview(partnerOf(req).id);
  }

  @Post('certificates')
  @ApiBody({ schema: schemaOf(certificateSchema) })
  @ApiOperation({
    summary:
      'Register my new certificate (or have one issued from my CSR); the current one ends after the notice',
  })
  certificate(@Req() req: FastifyRequest, @Body() body: unknown): Promise<unknown> {
    const b = parseEdgeBody(certificateSchema, body, 'certificate');
    return edgeMapped(() =>
      this.s.edge.credentials.registerCertificate(
        partnerOf(req).id,
        certificateMaterial(b),
        rotationRequest(b),
      ),
    );
  }

  @Post('api-keys')
  @ApiOperation({ summary: 'Issue my new API key (shown once); my current one ends after the notice' })
  @ApiBody({ schema: schemaOf(rotationSchema) })
  rotateApiKey(@Req() req: FastifyRequest, @Body() body: unknown): Promise<unknown> {
    const b = parseEdgeBody(rotationSchema, body, 'rotation');
    return edgeMapped(() => this.s.edge.credentials.rotateApiKey(partnerOf(req).id, rotationRequest(b)));
  }

  @Post('webhook-secrets')
  @ApiOperation({
    summary: 'Issue my new webhook secret (shown once); the current one ends after the notice',
  })
  @ApiBody({ schema: schemaOf(rotationSchema) })
  rotateWebhookSecret(@Req() req: FastifyRequest, @Body() body: unknown): Promise<unknown> {
    const b = parseEdgeBody(rotationSchema, body, 'rotation');
    return edgeMapped(() =>
      this.s.edge.credentials.rotateWebhookSecret(partnerOf(req).id, rotationRequest(b)),
    );
  }

  @Post(':credentialId/revoke')
  @ApiOperation({
    summary: 'Revoke one of my credentials at once; my last valid API key or certificate is refused (409)',
  })
  @ApiBody({ schema: schemaOf(revokeSchema) })
  @HttpCode(200)
  revoke(
    @Req() req: FastifyRequest,
    @Param('credentialId') id: string,
    @Body() body: unknown,
  ): Promise<unknown> {
    const b = parseEdgeBody(revokeSchema, body, 'revocation');
    return edgeMapped(() => this.s.edge.credentials.revoke(id, b.reason, partnerOf(req).id));
  }
}
