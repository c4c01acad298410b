import { Body, Controller, HttpCode, Inject, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiConsumes, ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GATEWAY_SERVICES, type GatewayServices } from '../gateway-services';
import { BillerEndpointsRepository } from '../../domain/billers/biller-endpoints.repository';
import { UetrClaims } from '../../domain/idempotency/uetr-claims';
import { CreditorDirectory } from '../../protocols/iso20022/lane/creditor-directory';
import { Iso20022Translator, type Iso20022Endpoint } from '../../protocols/iso20022/lane/iso20022-translator';
import { problem } from '../../protocols/rest/problem';
import { PartnerAuthGuard, partnerOf } from './auth.guard';
import { laneOf } from './lane-context';

const XML = 'application/xml; charset=utf-8';

/**
 * The ISO 20022 lane over HTTP: one endpoint per request message, the body as sent (application/xml,
 * read raw by http-app's content-type parser), the answer as XML. Partners authenticate as on the
 * REST lane.
 */
@ApiTags('ISO 20022')
@ApiBearerAuth()
@Controller('iso20022')
@UseGuards(PartnerAuthGuard)
export class Iso20022Controller {
  private readonly translator: Iso20022Translator;

  constructor(@Inject(GATEWAY_SERVICES) s: GatewayServices) {
    this.translator = new Iso20022Translator({
      engine: s.iso20022,
      pipeline: s.pipeline,
      reversals: s.reversals,
      billTypes: s.billTypes,
      creditors: new CreditorDirectory(new BillerEndpointsRepository(s.database.db)),
      // Group commit, as the pipeline's own writers: one statement for the claims of concurrent payments.
      uetrs: new UetrClaims(s.database.db, {
        maxBatch: s.config.groupCommitMax,
        maxInFlight: 2,
        observe: (size) => s.metrics.batchSize.observe({ writer: 'uetr' }, size),
      }),
      log: s.log,
      findOriginalUetr: async (partnerId, msgId, endToEndId) => {
        const candidates = await s.payments.findByPartnerReference(s.database.db, partnerId, endToEndId);
        const paid = candidates.find(
          (p) => p.protocol === 'iso20022' && p.origin.msgId === msgId && p.origin.uetr !== undefined,
        );
        return paid?.origin.uetr;
      },
    });
  }

  @Post('pacs.008')
  @HttpCode(200)
  @ApiConsumes('application/xml')
  @ApiProduces('application/xml')
  @ApiOperation({
    summary: 'Bill payments bank to bank: pacs.008.001.08 in, pacs.002.001.10 out',
  })
  @ApiResponse({ status: 200, description: 'pacs.002 with each transaction status (ACSC, ACSP, RJCT)' })
  @ApiResponse({ status: 400, description: 'Refused or unreadable XML (problem+json); nothing posted' })
  pacs008(
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Body() body: unknown,
  ): Promise<string> {
    return this.run('pacs.008', req, reply, body);
  }

  @Post('pain.001')
  @HttpCode(200)
  @ApiConsumes('application/xml')
  @ApiProduces('application/xml')
  @ApiOperation({
    summary: 'Customer credit-transfer batches: pain.001.001.09 or .03 in, pain.002.001.10 out',
  })
  @ApiResponse({ status: 200, description: 'pain.002 with each transaction status' })
  @ApiResponse({ status: 400, description: 'Refused or unreadable XML (problem+json); nothing posted' })
  pain001(
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Body() body: unknown,
  ): Promise<string> {
    return this.run('pain.001', req, reply, body);
  }

  @Post('pacs.004')
  @HttpCode(200)
  @ApiConsumes('application/xml')
  @ApiProduces('application/xml')
  @ApiOperation({ summary: 'Return of a bill payment: pacs.004.001.09 in, pacs.002.001.10 out' })
  pacs004(
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Body() body: unknown,
  ): Promise<string> {
    return this.run('pacs.004', req, reply, body);
  }

  @Post('camt.056')
  @HttpCode(200)
  @ApiConsumes('application/xml')
  @ApiProduces('application/xml')
  @ApiOperation({ summary: 'Cancellation request: camt.056.001.08 in, camt.029.001.09 out' })
  camt056(
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Body() body: unknown,
  ): Promise<string> {
    return this.run('camt.056', req, reply, body);
  }

  private async run(
    endpoint: Iso20022Endpoint,
    req: FastifyRequest,
    reply: FastifyReply,
    body: unknown,
  ): Promise<string> {
    if (!(body instanceof Uint8Array)) {
      throw problem(415, 'unsupported-media-type', 'Unsupported content type', {
        detail: 'send the ISO 20022 message as application/xml',
      });
    }
    const result = await this.translator.handle(endpoint, body, {
      partner: partnerOf(req),
      lane: laneOf(req),
    });
    if (result.kind === 'refusal') {
      const { status, slug, title, detail, errors } = result.refusal;
      throw problem(status, slug, title, { detail, ...(errors === undefined ? {} : { errors }) });
    }
    void reply.header('content-type', XML);
    return result.answer.xml;
  }
}
