import { Controller, Get, Inject, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { GATEWAY_SERVICES, type GatewayServices } from '../gateway-services';
import type { PayerType } from '../../domain/reason-codes';
import { problem } from '../../protocols/rest/problem';
import { major, terminalOf } from './agent-problems';
import { PartnerAuthGuard, partnerOf } from './auth.guard';
import { TerminalAuthGuard } from './terminal-auth.guard';

const BILL_TYPE = /^[A-Z][A-Z0-9_]{1,31}$/;
const REFERENCE = /^[\x20-\x7E]{1,64}$/;

async function answer(
  s: GatewayServices,
  q: {
    partnerId: string;
    payerType: PayerType;
    billType?: string;
    billReference?: string;
    currency?: string;
  },
): Promise<unknown> {
  const errors: { field: string; message: string }[] = [];
  if (q.billType === undefined || !BILL_TYPE.test(q.billType))
    errors.push({ field: 'billType', message: 'an upper-case bill type code' });
  if (q.billReference === undefined || !REFERENCE.test(q.billReference))
    errors.push({ field: 'billReference', message: '1-64 printable characters' });
  const currency = q.currency ?? 'BDT';
  if (!/^[A-Z]{3}$/.test(currency)) errors.push({ field: 'currency', message: 'an ISO 4217 code' });
  if (errors.length > 0 || q.billType === undefined || q.billReference === undefined) {
    throw problem(400, 'invalid-request', 'Invalid bill inquiry', { errors });
  }
  const r = await s.billInquiry.inquire({
    ...q,
    billType: q.billType,
    billReference: q.billReference,
    currency,
  });
  switch (r.kind) {
    case 'found':
      return {
        billType: q.billType,
        billReference: q.billReference,
        amountDue: major(r.amountDueMinor, r.currency),
        currency: r.currency,
        customerName: r.customerName,
        dueDate: r.dueDate,
      };
    case 'no-route':
      throw problem(404, 'no-route', 'No biller is routed for this bill type');
    case 'unknown-reference':
      throw problem(404, 'bill-reference-unknown', 'The biller does not know this bill reference');
    case 'biller-unavailable':
      throw problem(503, 'biller-unavailable', 'The biller could not be asked', { detail: r.detail });
  }
}

/** `GET /bill/inquiry`: what is due on a bill, for every partner (its first payer type routes it). */
@ApiTags('bill payments')
@ApiBearerAuth()
@Controller('bill/inquiry')
@UseGuards(PartnerAuthGuard)
export class BillInquiryController {
  constructor(@Inject(GATEWAY_SERVICES) private readonly s: GatewayServices) {}

  @Get()
  @ApiOperation({ summary: 'Ask the biller the amount due on a bill (nothing is posted)' })
  @ApiQuery({ name: 'billType' })
  @ApiQuery({ name: 'billReference' })
  @ApiQuery({ name: 'currency', required: false })
  @ApiQuery({ name: 'payerType', required: false, description: 'one of the partner’s payer types' })
  async inquire(
    @Req() req: FastifyRequest,
    @Query('billType') billType?: string,
    @Query('billReference') billReference?: string,
    @Query('currency') currency?: string,
    @Query('payerType') payerType?: string,
  ): Promise<unknown> {
    const partner = partnerOf(req);
    const chosen =
      payerType === undefined ? partner.payerTypes[0] : partner.payerTypes.find((t) => t === payerType);
    if (chosen === undefined)
      throw problem(403, 'payer-type-not-allowed', 'The partner may not use this payer type');
    return answer(this.s, { partnerId: partner.id, payerType: chosen, billType, billReference, currency });
  }
}

/** The same inquiry for an agent terminal, on its own device key. */
@ApiTags('agent terminals')
@ApiBearerAuth()
@Controller('agent/bill/inquiry')
@UseGuards(TerminalAuthGuard)
export class AgentBillInquiryController {
  constructor(@Inject(GATEWAY_SERVICES) private readonly s: GatewayServices) {}

  @Get()
  @ApiOperation({ summary: 'Ask the biller the amount due on a bill, from a terminal' })
  async inquire(
    @Req() req: FastifyRequest,
    @Query('billType') billType?: string,
    @Query('billReference') billReference?: string,
    @Query('currency') currency?: string,
  ): Promise<unknown> {
    const who = terminalOf(req);
    return answer(this.s, {
      partnerId: who.partner.id,
      payerType: 'otc-agent',
      billType,
      billReference,
      currency,
    });
  }
}
