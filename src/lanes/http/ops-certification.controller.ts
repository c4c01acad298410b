import { Body, Controller, Get, HttpCode, Inject, Param, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { GATEWAY_SERVICES, type GatewayServices } from '../gateway-services';
import { createHash } from 'node:crypto';
import { gatewayReportSigner } from '../../certification/gateway-keys';
import { OpsAuditLog } from '../../domain/audit/ops-audit-log';
import {
  CertificationError,
  CertificationRecords,
  DEFAULT_CERTIFICATION_VALIDITY_DAYS,
  readReportHead,
  type StoredReport,
} from '../../domain/certification/certification-records';
import { signReport } from '../../domain/certification/report-signature';
import { problem } from '../../protocols/rest/problem';
import { OpsAuthGuard, opsUserOf } from './auth.guard';
import { schemaOf } from './openapi-schemas';
import { parseEdgeBody } from './edge-problems';

const storeSchema = z.strictObject({
  /** report.json exactly as signed (a string, so not one byte is re-serialised). */
  report: z
    .string()
    .min(2)
    .max(16 * 1024 * 1024),
  jws: z.string().min(10).max(4096),
  reason: z.string().trim().min(1).max(500),
});

const signSchema = z.strictObject({
  report: z
    .string()
    .min(2)
    .max(16 * 1024 * 1024),
  reason: z.string().trim().min(1).max(500),
});

const STATUS: Record<CertificationError['code'], number> = {
  INVALID: 400,
  SIGNATURE: 422,
  CONFLICT: 409,
  NOT_FOUND: 404,
  // Well-formed, but another partner's report: the request is understood and refused.
  WRONG_PARTNER: 422,
};

function view(r: StoredReport): Record<string, unknown> {
  return {
    ...r,
    startedAt: r.startedAt.toISOString(),
    finishedAt: r.finishedAt.toISOString(),
    storedAt: r.storedAt.toISOString(),
  };
}

/**
 * Signed certification reports stored with the partner (item "The gate" of issue 14): a report is
 * accepted only when its detached JWS verifies against the gateway's JWKS over the exact bytes sent.
 */
@ApiTags('ops: certification')
@ApiBearerAuth()
@Controller('ops/partners/:id/certification')
@UseGuards(OpsAuthGuard)
export class OpsCertificationController {
  private readonly records: CertificationRecords;

  constructor(@Inject(GATEWAY_SERVICES) private readonly s: GatewayServices) {
    this.records = new CertificationRecords(s.database.db);
  }

  private async partnerOrThrow(id: string) {
    const p = await this.s.edge.onboarding.get(id, this.s.edge.clock.now());
    if (p === undefined) throw problem(404, 'not-found', `no partner ${id}`);
    return p;
  }

  @Post('reports')
  @ApiBody({ schema: schemaOf(storeSchema) })
  @ApiOperation({ summary: 'Store a signed certification report with the partner (verified first)' })
  async store(@Req() req: FastifyRequest, @Param('id') id: string, @Body() body: unknown): Promise<unknown> {
    await this.partnerOrThrow(id);
    const b = parseEdgeBody(storeSchema, body, 'certification report');
    try {
      const stored = await this.records.store({
        partnerId: id,
        report: b.report,
        jws: b.jws,
        jwks: { keys: this.s.edge.tokens.jwks().keys.map((k) => ({ ...k })) },
        actor: opsUserOf(req),
        reason: b.reason,
        now: this.s.edge.clock.now(),
      });
      return view(stored);
    } catch (error) {
      if (error instanceof CertificationError) {
        throw problem(
          STATUS[error.code],
          `certification-${error.code.toLowerCase().replace('_', '-')}`,
          error.message,
        );
      }
      throw error;
    }
  }

  @Post('signatures')
  @HttpCode(200)
  @ApiBody({ schema: schemaOf(signSchema) })
  @ApiResponse({ status: 200, schema: schemaOf(z.object({ jws: z.string(), kid: z.string() })) })
  @ApiResponse({
    status: 422,
    description: "Another partner's report: the gateway signs a report only for its partner",
  })
  @ApiOperation({
    summary:
      "Sign a certification report with the gateway's key (detached JWS), for a harness run away from its database",
    description:
      "The report must be this partner's certification report; the signing is audited (certification.report.signed) with the report digest. Answers { jws, kid }.",
  })
  async sign(@Req() req: FastifyRequest, @Param('id') id: string, @Body() body: unknown): Promise<unknown> {
    await this.partnerOrThrow(id);
    const b = parseEdgeBody(signSchema, body, 'report to sign');
    let head;
    try {
      head = readReportHead(b.report, id);
    } catch (error) {
      if (error instanceof CertificationError) {
        throw problem(
          STATUS[error.code],
          `certification-${error.code.toLowerCase().replace('_', '-')}`,
          error.message,
        );
      }
      throw error;
    }
    const bytes = Buffer.from(b.report, 'utf8');
    const signer = await gatewayReportSigner(this.s.database.db, this.s.sealer, this.s.edge.clock.now());
    const jws = await signReport(bytes, signer);
    await this.s.database.db.transaction().execute((tx) =>
      new OpsAuditLog().append(tx, {
        actor: opsUserOf(req),
        action: 'certification.report.signed',
        subjectType: 'partner',
        subjectId: id,
        reason: b.reason,
        after: {
          reportId: head.id,
          laneId: head.laneId,
          suite: `${head.suite.id}@${head.suite.version}`,
          result: head.result,
          reportSha256: createHash('sha256').update(bytes).digest('hex'),
          kid: signer.kid,
        },
      }),
    );
    return { jws, kid: signer.kid };
  }

  @Get('reports')
  @ApiOperation({ summary: "The partner's certification reports and what the gate to live still misses" })
  async list(@Param('id') id: string): Promise<unknown> {
    const partner = await this.partnerOrThrow(id);
    const technical = partner.schedules.technical;
    const gaps = await this.records.gaps(
      id,
      technical?.endpoints ?? [],
      technical?.certificationValidityDays ?? DEFAULT_CERTIFICATION_VALIDITY_DAYS,
      this.s.edge.clock.now(),
    );
    return {
      reports: (await this.records.list(id)).map(view),
      gate: { readyForLive: technical !== undefined && gaps.length === 0, gaps },
    };
  }

  @Get('reports/:reportId')
  @ApiOperation({ summary: 'One stored report: the signed bytes, the JWS and the key that verified it' })
  async get(@Param('id') id: string, @Param('reportId') reportId: string): Promise<unknown> {
    const stored = z.uuid().safeParse(reportId).success ? await this.records.get(id, reportId) : undefined;
    const signed = stored === undefined ? undefined : await this.records.signed(id, reportId);
    if (stored === undefined || signed === undefined)
      throw problem(404, 'not-found', `no report ${reportId}`);
    return { ...view(stored), ...signed };
  }
}
