import { Body, Controller, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { GATEWAY_SERVICES, type GatewayServices } from '../gateway-services';
import { currencyByCode } from '../../domain/money/currency';
import type { BillerReversalRefusal } from '../../pipeline/biller-reversal.service';
import { problem } from '../../protocols/rest/problem';
import { parseEdgeBody } from './edge-problems';

const reversalSchema = z
  .strictObject({
    reversalId: z.string().trim().min(1).max(64),
    paymentId: z.string().min(1).max(64).optional(),
    receipt: z.string().min(1).max(64).optional(),
    amountMinor: z.string().regex(/^[1-9][0-9]{0,17}$/, 'a positive integer of minor units, as a string'),
    currency: z.string().regex(/^[A-Z]{3}$/),
    reason: z.string().trim().min(1).max(500),
  })
  .refine((b) => b.paymentId !== undefined || b.receipt !== undefined, 'paymentId or receipt is required');

const REFUSALS: Readonly<Record<BillerReversalRefusal, [number, string, string]>> = {
  PAYMENT_NOT_FOUND: [404, 'payment-not-found', 'No payment of this biller matches'],
  NOT_REVERSIBLE: [409, 'payment-not-reversible', 'The payment cannot be reversed'],
  ALREADY_REVERSED: [409, 'payment-already-reversed', 'The payment is already reversed'],
  AMOUNT_MISMATCH: [422, 'amount-mismatch', 'The amount or currency is not the payment’s'],
  PARTIAL_NOT_ALLOWED: [422, 'partial-reversal-not-allowed', 'Partial reversals are not allowed'],
  REVERSAL_ID_CONFLICT: [422, 'reversal-id-conflict', 'This reversal id was used for another reversal'],
};

/**
 * Billers reversing payments they accepted. Each request is signed by the biller in the Standard
 * Webhooks format (webhook-id, webhook-timestamp, webhook-signature) with its own secret; a bad or
 * stale signature is 401 before the body is even read as a reversal.
 */
@ApiTags('billers')
@Controller('billers/:billerId/reversals')
export class BillerReversalsController {
  constructor(@Inject(GATEWAY_SERVICES) private readonly s: GatewayServices) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'A biller reverses a payment it accepted (signed request, idempotent on reversalId)',
  })
  async reverse(
    @Req() req: FastifyRequest,
    @Param('billerId') billerId: string,
    @Body() body: unknown,
  ): Promise<unknown> {
    const raw = req.rawBody;
    const signed =
      raw !== undefined && (await this.s.billerReversals.authenticate(billerId, raw, req.headers));
    if (!signed) {
      this.s.metrics.httpRequests.inc({ method: 'POST', route: 'biller-reversal-refused', code: '401' });
      throw problem(401, 'bad-signature', 'Missing, stale or invalid signature', {
        detail:
          'sign the request with your biller secret (Standard Webhooks v1); timestamps within 5 minutes',
      });
    }
    const b = parseEdgeBody(reversalSchema, body, 'reversal');
    if (currencyByCode(b.currency) === undefined) {
      throw problem(400, 'invalid-request', 'Invalid reversal', {
        errors: [{ field: 'currency', message: 'not an ISO 4217 currency we know' }],
      });
    }
    const outcome = await this.s.billerReversals.reverse({
      billerId,
      reversalId: b.reversalId,
      ...(b.paymentId !== undefined ? { paymentId: b.paymentId } : {}),
      ...(b.receipt !== undefined ? { receipt: b.receipt } : {}),
      amountMinor: BigInt(b.amountMinor),
      currency: b.currency,
      reason: b.reason,
    });
    if (outcome.kind === 'refused') {
      const [status, slug, title] = REFUSALS[outcome.code];
      throw problem(status, slug, title, { detail: outcome.detail, code: outcome.code });
    }
    return { ...outcome.result, replayed: outcome.kind === 'replayed' };
  }
}
