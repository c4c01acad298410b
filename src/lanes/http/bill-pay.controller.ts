import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  billPayBodySchema,
  idempotencyKeyProblem,
  isValidIdempotencyKey,
  validateBillPay,
} from '../../protocols/rest/bill-pay.request';
import { renderBillPay } from '../../protocols/rest/bill-pay.response';
import { problem, ProblemError } from '../../protocols/rest/problem';
import { REST_REASONS } from '../../protocols/rest/rest-reasons';
import { resultOf } from '../../pipeline/bill-pay-result';
import { IntakeStep } from '../../pipeline/intake-step';
import { GATEWAY_SERVICES, type GatewayServices } from '../gateway-services';
import { PartnerAuthGuard, partnerOf } from './auth.guard';
import { laneOf } from './lane-context';
import { unsupportedMediaType } from './problem.filter';
import { idempotencyConflict, idempotencyInFlight } from './idempotency-problems';

export const REST_BILL_PAY_SCOPE = 'rest:bill-pay';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

@ApiTags('bill payments')
@ApiBearerAuth()
@Controller('bill/pay')
@UseGuards(PartnerAuthGuard)
export class BillPayController {
  private readonly intake: IntakeStep;

  constructor(@Inject(GATEWAY_SERVICES) private readonly s: GatewayServices) {
    this.intake = new IntakeStep({
      pipeline: s.pipeline,
      isKnownBillType: (code) => s.billTypes.has(code),
      // HTTP can say "still in flight" (409 with Retry-After): no waiting here.
      inFlight: { wait: false },
    });
  }

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Pay a bill',
    description: 'Idempotent: the Idempotency-Key header is mandatory.',
  })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: true,
    description: '1-255 printable characters, scoped to the partner',
  })
  @ApiBody({ schema: z.toJSONSchema(billPayBodySchema) as Record<string, unknown> })
  @ApiResponse({ status: 201, description: 'Payment decided: APPROVED, DECLINED or PENDING' })
  @ApiResponse({ status: 400, description: 'Invalid request (problem+json naming each bad field)' })
  @ApiResponse({ status: 413, description: 'Body over 16 KiB (the problem states the limit)' })
  @ApiResponse({ status: 415, description: 'Body not application/json' })
  @ApiResponse({ status: 409, description: 'The same idempotency key is still being processed' })
  @ApiResponse({ status: 422, description: 'The idempotency key was used for a different request' })
  async pay(
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Body() body: unknown,
  ): Promise<unknown> {
    const partner = partnerOf(req);
    if (!isJson(req.headers['content-type'])) throw new ProblemError(unsupportedMediaType());
    const key = headerValue(req, 'idempotency-key');
    if (!isValidIdempotencyKey(key)) {
      throw problem(400, 'idempotency-key-required', 'Idempotency-Key header required', {
        errors: [{ field: 'Idempotency-Key', message: idempotencyKeyProblem(key) ?? 'is invalid' }],
      });
    }
    const named = (body as { billType?: unknown } | null)?.billType;
    // A code not yet in memory refreshes the catalogue (at most once a second) before it is refused.
    if (typeof named === 'string') await this.s.billTypes.has(named);
    const known = await this.s.billTypes.snapshot();
    const valid = validateBillPay(body, (code) => known.has(code));
    if (!valid.ok) {
      throw problem(400, 'invalid-request', 'Invalid bill payment request', { errors: valid.errors });
    }
    const v = valid.value;
    return this.intake.pay(
      {
        protocol: 'rest',
        lane: laneOf(req),
        billType: v.billType,
        scope: REST_BILL_PAY_SCOPE,
        idempotencyKey: key,
      },
      () => ({
        partner,
        payer: v.payer,
        billReference: v.billReference,
        amountMinor: v.amountMinor,
        currency: v.currency,
        partnerReference: v.partnerReference,
        origin: {},
        content: body,
      }),
      {
        // Validation checked the bill type against the same catalogue; this is a reload in between.
        billTypeNotOffered: (billType) => {
          throw problem(400, 'invalid-request', 'Invalid bill payment request', {
            errors: [{ field: 'billType', message: `unknown bill type ${billType}` }],
          });
        },
        payerTypeNotAllowed: (detail) => {
          const r = REST_REASONS.PAYER_TYPE_NOT_ALLOWED;
          throw problem(r.httpStatus, r.problemSlug, r.message, { detail });
        },
        settled: (result, replayed) => {
          if (replayed) void reply.header('idempotent-replayed', 'true');
          void reply.header('location', `/bill/pay/${result.paymentId}`);
          return renderBillPay(result, false, partner.id);
        },
        conflict: () => {
          throw idempotencyConflict();
        },
        inFlight: () => {
          throw idempotencyInFlight(reply);
        },
      },
    );
  }

  @Get(':id')
  @ApiOperation({ summary: "One of the partner's own payments, with the rule that routed it" })
  async get(@Req() req: FastifyRequest, @Param('id') id: string): Promise<unknown> {
    const partner = partnerOf(req);
    const payment = UUID.test(id) ? await this.s.payments.findById(this.s.database.db, id) : undefined;
    if (payment === undefined || payment.partnerId !== partner.id) {
      throw problem(404, 'payment-not-found', 'No such payment', {
        detail: `no payment ${id} for this partner`,
      });
    }
    return renderBillPay(resultOf(payment), true, partner.id);
  }

  @Get()
  @ApiOperation({ summary: "The partner's payments with a given partner reference" })
  async find(
    @Req() req: FastifyRequest,
    @Query('partnerReference') partnerReference?: string,
  ): Promise<unknown> {
    const partner = partnerOf(req);
    if (partnerReference === undefined || partnerReference.length === 0 || partnerReference.length > 64) {
      throw problem(400, 'invalid-request', 'partnerReference query parameter required', {
        errors: [{ field: 'partnerReference', message: 'is required (1-64 characters)' }],
      });
    }
    const payments = await this.s.payments.findByPartnerReference(
      this.s.database.db,
      partner.id,
      partnerReference,
    );
    return { items: payments.map((p) => renderBillPay(resultOf(p), true, partner.id)) };
  }
}

/** application/json or a +json type, with any parameters (charset). */
function isJson(contentType: string | undefined): boolean {
  const media = contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  return media === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(media);
}

function headerValue(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
