import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { GATEWAY_SERVICES, type GatewayServices } from '../gateway-services';
import { formatMajorAmount } from '../../domain/money/money';
import type { Payment, PaymentState } from '../../domain/payments/payment';
import { paymentStory } from '../../domain/ops-views/payment-story';
import { AGENT_CORE_REVERSAL, BILLER_REVERSAL, RESOLVE } from '../../pipeline/resolution/follow-ups';
import type { OpsDecisionRefusal } from '../../pipeline/resolution/ops-decisions';
import { resultOf } from '../../pipeline/bill-pay-result';
import { problem } from '../../protocols/rest/problem';
import { OpsAuthGuard, opsUserOf } from './auth.guard';
import { parseEdgeBody } from './edge-problems';
import { opsReason, schemaOf } from './openapi-schemas';

const STATES: readonly PaymentState[] = [
  'RECEIVED',
  'POSTED',
  'PENDING',
  'NEEDS_ATTENTION',
  'APPROVED',
  'DECLINED',
  'REVERSED',
];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_PAGE = 200;

const decisionSchema = z.strictObject({
  outcome: z
    .enum(['APPROVED', 'DECLINED', 'REVERSED', 'PENDING'])
    .describe(
      'undecided: APPROVED, DECLINED or PENDING (resume resolution); parked with an outcome: that outcome',
    ),
  reason: opsReason,
  billerReceipt: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .optional()
    .describe('APPROVED: the receipt the biller gave'),
  settlementReference: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .optional()
    .describe('a refused refund settled by hand: how (cheque number, transfer id)'),
});

/** What ops read of a payment (money as decimal strings of minor units and of major units). */
const followUpSchema = z
  .object({
    state: z.enum(['pending', 'running', 'done', 'dead']),
    attempts: z.number().int(),
    nextCheckAt: z.string().nullable(),
    lastError: z.string().nullable(),
  })
  .nullable();
const paymentViewSchema = z.object({
  id: z.string(),
  state: z.enum(STATES as [PaymentState, ...PaymentState[]]),
  partnerStatus: z.enum(['APPROVED', 'DECLINED', 'PENDING', 'REVERSED']).describe('what the partner is told'),
  reasonCode: z.string(),
  partnerId: z.string(),
  lane: z.string(),
  protocol: z.string(),
  payerType: z.string(),
  payer: z.object({ kind: z.string(), id: z.string() }),
  billType: z.string(),
  billReference: z.string(),
  amountMinor: z.string(),
  amount: z.string(),
  currency: z.string(),
  partnerReference: z.string(),
  idempotencyKey: z.string(),
  billerReceipt: z.string().nullable(),
  coreBankingRef: z.string().nullable(),
  route: z
    .object({
      ruleId: z.string(),
      version: z.number(),
      billerEndpoint: z.string(),
      settlementAccount: z.string(),
    })
    .nullable(),
  attention: z
    .object({ reason: z.string(), parkedFrom: z.string(), since: z.string() })
    .nullable()
    .describe('set while NEEDS_ATTENTION'),
  receivedAt: z.string(),
  updatedAt: z.string(),
  resolution: followUpSchema
    .optional()
    .describe("a PENDING payment's status inquiries: next check, attempts"),
});
const paymentDetailSchema = paymentViewSchema.extend({
  billerReversal: followUpSchema.describe('a reversal being forwarded to the biller (store and forward)'),
  agentCoreReversal: followUpSchema,
  refund: z
    .object({
      state: z.string(),
      attempts: z.number().int(),
      lastError: z.string().nullable(),
      reference: z.string(),
    })
    .nullable(),
  journals: z
    .array(
      z.object({
        id: z.string(),
        kind: z.string(),
        memo: z.string(),
        currency: z.string(),
        at: z.string(),
        lines: z.array(
          z.object({ accountId: z.string(), side: z.enum(['D', 'C']), amountMinor: z.string() }),
        ),
      }),
    )
    .optional(),
  idempotency: z
    .object({ scope: z.string(), state: z.string(), updatedAt: z.string() })
    .nullable()
    .optional(),
});

const REFUSAL_STATUS: Record<OpsDecisionRefusal, number> = {
  NOT_FOUND: 404,
  NOT_PARKED: 409,
  OUTCOME_NOT_ALLOWED: 422,
  NOT_POSTED: 409,
  MISSING: 422,
};

/**
 * Payments as ops see them: any partner's, searched by what a customer or partner quotes, with what
 * is waiting on each (its resolution's next check, the refund owed, the reversal being forwarded), and
 * the manual decision on a payment parked in NEEDS_ATTENTION. Money in minor units and major units.
 */
@ApiTags('ops: payments')
@ApiBearerAuth()
@Controller('ops/payments')
@UseGuards(OpsAuthGuard)
export class OpsPaymentsController {
  constructor(@Inject(GATEWAY_SERVICES) private readonly s: GatewayServices) {}

  @Get()
  @ApiOperation({
    summary:
      'Search payments (newest first): by state, partner, partner reference, bill reference, idempotency key, time range',
  })
  @ApiQuery({ name: 'state', required: false, enum: STATES })
  @ApiQuery({ name: 'partnerId', required: false })
  @ApiQuery({ name: 'partnerReference', required: false })
  @ApiQuery({ name: 'billReference', required: false })
  @ApiQuery({ name: 'idempotencyKey', required: false })
  @ApiQuery({ name: 'from', required: false, description: 'received at or after (ISO 8601)' })
  @ApiQuery({ name: 'to', required: false, description: 'received before (ISO 8601)' })
  @ApiQuery({ name: 'limit', required: false, description: `1-${MAX_PAGE}, default 50` })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page' })
  @ApiResponse({
    status: 200,
    schema: schemaOf(z.object({ items: z.array(paymentViewSchema), nextCursor: z.string().nullable() })),
  })
  @ApiResponse({
    status: 400,
    description: 'An unknown state (the valid ones are listed), a bad date or limit',
  })
  async list(@Query() q: Record<string, string | undefined>): Promise<unknown> {
    const errors: { field: string; message: string }[] = [];
    const state = q.state;
    if (state !== undefined && !(STATES as readonly string[]).includes(state)) {
      errors.push({ field: 'state', message: `must be one of ${STATES.join(', ')}` });
    }
    const date = (field: 'from' | 'to'): Date | undefined => {
      const v = q[field];
      if (v === undefined) return undefined;
      const d = new Date(v);
      if (Number.isNaN(d.getTime())) errors.push({ field, message: 'must be an ISO 8601 date-time' });
      return d;
    };
    const from = date('from');
    const to = date('to');
    const limit = q.limit === undefined ? 50 : Number(q.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
      errors.push({ field: 'limit', message: `must be a whole number from 1 to ${MAX_PAGE}` });
    }
    const before = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
    if (before === null) errors.push({ field: 'cursor', message: 'is not a cursor this API gave' });
    if (errors.length > 0) throw problem(400, 'invalid-request', 'Invalid payment search', { errors });

    const items = await this.s.payments.search(this.s.database.db, {
      ...(state !== undefined ? { state: state as PaymentState } : {}),
      ...(q.partnerId !== undefined ? { partnerId: q.partnerId } : {}),
      ...(q.partnerReference !== undefined ? { partnerReference: q.partnerReference } : {}),
      ...(q.billReference !== undefined ? { billReference: q.billReference } : {}),
      ...(q.idempotencyKey !== undefined ? { idempotencyKey: q.idempotencyKey } : {}),
      ...(from !== undefined ? { from } : {}),
      ...(to !== undefined ? { to } : {}),
      ...(before !== undefined && before !== null ? { before } : {}),
      limit,
    });
    const last = items.at(-1);
    return {
      items: await Promise.all(items.map((p) => this.view(p, false))),
      nextCursor: items.length === limit && last !== undefined ? encodeCursor(last) : null,
    };
  }

  @Get(':id')
  @ApiOperation({
    summary:
      "One payment's whole story: state, journals, idempotency record, its resolution, refund and forwarded reversals",
  })
  @ApiResponse({ status: 200, schema: schemaOf(paymentDetailSchema) })
  @ApiResponse({ status: 404, description: 'No such payment' })
  async get(@Param('id') id: string): Promise<unknown> {
    const story = UUID.test(id) ? await paymentStory(this.s.database.db, id) : undefined;
    if (story === undefined) throw problem(404, 'payment-not-found', 'No such payment', { detail: id });
    return {
      ...(await this.view(story.payment, true)),
      journals: story.journals.map((j) => ({
        id: String(j.id),
        kind: j.kind,
        memo: j.memo,
        currency: j.currency,
        at: j.at.toISOString(),
        lines: j.lines.map((l) => ({
          accountId: l.accountId,
          side: l.side,
          amountMinor: l.amountMinor.toString(),
        })),
      })),
      idempotency:
        story.idempotency === null
          ? null
          : { ...story.idempotency, updatedAt: story.idempotency.updatedAt.toISOString() },
    };
  }

  @Post(':id/decision')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Decide a payment parked in NEEDS_ATTENTION (mandatory reason; written to the ops audit chain): ' +
      'APPROVED, DECLINED or PENDING (resume resolution) when it was undecided; confirm its outcome once a failed follow-up is handled by hand',
  })
  @ApiBody({ schema: schemaOf(decisionSchema) })
  @ApiResponse({
    status: 200,
    description: 'The payment after the decision',
    schema: schemaOf(paymentDetailSchema),
  })
  @ApiResponse({ status: 404, description: 'No such payment' })
  @ApiResponse({ status: 409, description: 'Not in NEEDS_ATTENTION, or approving a payment never posted' })
  @ApiResponse({
    status: 422,
    description: 'An outcome this payment cannot take, or a missing settlement reference',
  })
  async decide(@Req() req: FastifyRequest, @Param('id') id: string, @Body() body: unknown): Promise<unknown> {
    const b = parseEdgeBody(decisionSchema, body, 'decision');
    if (!UUID.test(id)) throw problem(404, 'payment-not-found', 'No such payment', { detail: id });
    const result = await this.s.followUps.opsDecisions.decide({
      paymentId: id,
      outcome: b.outcome,
      reason: b.reason,
      actor: opsUserOf(req),
      ...(b.billerReceipt !== undefined ? { billerReceipt: b.billerReceipt } : {}),
      ...(b.settlementReference !== undefined ? { settlementReference: b.settlementReference } : {}),
    });
    if (result.kind === 'refused') {
      throw problem(
        REFUSAL_STATUS[result.code],
        `decision-${result.code.toLowerCase().replaceAll('_', '-')}`,
        'Decision refused',
        {
          detail: result.detail,
        },
      );
    }
    return this.view(result.payment, true);
  }

  /** A payment as ops read it, with what it waits on. */
  private async view(p: Payment, detailed: boolean): Promise<Record<string, unknown>> {
    const db = this.s.database.db;
    const queue = this.s.followUps.queue;
    const result = resultOf(p);
    const base: Record<string, unknown> = {
      id: p.id,
      state: p.state,
      partnerStatus: result.status,
      reasonCode: p.reasonCode,
      partnerId: p.partnerId,
      lane: p.lane,
      protocol: p.protocol,
      payerType: p.payerType,
      payer: { kind: p.payerKind, id: p.payerId },
      billType: p.billType,
      billReference: p.billReference,
      amountMinor: p.amountMinor.toString(),
      amount: formatMajorAmount(p.amountMinor, p.currency),
      currency: p.currency,
      partnerReference: p.partnerReference,
      idempotencyKey: p.idempotencyKey,
      billerReceipt: p.billerReceipt,
      coreBankingRef: p.coreBankingRef,
      route: p.route,
      attention:
        p.attention === null
          ? null
          : {
              reason: p.attention.reason,
              parkedFrom: p.attention.parkedFrom,
              since: p.attention.since.toISOString(),
            },
      receivedAt: p.receivedAt.toISOString(),
      updatedAt: p.updatedAt.toISOString(),
    };
    const job = async (kind: string) => {
      const j = await queue.find(db, kind, p.id);
      return j === undefined
        ? null
        : {
            state: j.state,
            attempts: j.attempts,
            nextCheckAt: j.state === 'pending' ? j.runAt.toISOString() : null,
            lastError: j.lastError,
          };
    };
    if (p.state === 'PENDING' || detailed) base.resolution = await job(RESOLVE);
    if (detailed) {
      base.billerReversal = await job(BILLER_REVERSAL);
      base.agentCoreReversal = await job(AGENT_CORE_REVERSAL);
      const refund = await this.s.followUps.decisions.refundOf(p.id);
      base.refund = refund ?? null;
    }
    return base;
  }
}

function encodeCursor(p: Payment): string {
  return Buffer.from(`${p.createdAt.toISOString()}|${p.id}`, 'utf8').toString('base64url');
}

function decodeCursor(text: string): { createdAt: Date; id: string } | null {
  const [at, id] = Buffer.from(text, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(at ?? '');
  if (id === undefined || !UUID.test(id) || Number.isNaN(createdAt.getTime())) return null;
  return { createdAt, id };
}
