import { Body, Controller, Get, Inject, Param, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { GATEWAY_SERVICES, type GatewayServices } from '../gateway-services';
import { FloatBook, FloatError } from '../../domain/floats/float-book';
import { parseMajorAmount } from '../../domain/money/money';
import { problem } from '../../protocols/rest/problem';
import { OpsAuthGuard, opsUserOf } from './auth.guard';
import { parseEdgeBody } from './edge-problems';

const currency = z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 alphabetic code such as BDT');
const reason = z.string().trim().min(1).max(500);
const openSchema = z.strictObject({ currency, reason });
const fundSchema = z.strictObject({
  amount: z.string().describe('decimal string in major units, e.g. "500000.00"'),
  reason,
});

/** Partners' floats: open, fund (a balanced funding journal with its reason), balance, statement. */
@ApiTags('ops: floats')
@ApiBearerAuth()
@Controller('ops/partners/:id/floats')
@UseGuards(OpsAuthGuard)
export class OpsFloatsController {
  private readonly book: FloatBook;

  constructor(@Inject(GATEWAY_SERVICES) private readonly s: GatewayServices) {
    this.book = new FloatBook(s.database.db, s.ledger);
  }

  @Get()
  @ApiOperation({ summary: "The partner's floats with their balances (minor units and major units)" })
  async list(@Param('id') id: string): Promise<unknown> {
    return { items: await this.book.list(id) };
  }

  @Post()
  @ApiOperation({ summary: 'Open a float for the partner in a currency (balance 0); audited' })
  @ApiBody({ schema: z.toJSONSchema(openSchema) as Record<string, unknown> })
  @ApiResponse({ status: 201, description: 'The float, balance 0' })
  @ApiResponse({ status: 409, description: 'The partner already has a float in this currency' })
  @ApiResponse({ status: 422, description: 'The partner does not post against a float (bank, agents)' })
  async open(@Req() req: FastifyRequest, @Param('id') id: string, @Body() body: unknown): Promise<unknown> {
    const b = parseEdgeBody(openSchema, body, 'float');
    return mapped(() => this.book.open(id, b.currency, opsUserOf(req), b.reason));
  }

  @Get(':currency')
  @ApiOperation({ summary: 'One float and its balance' })
  async get(@Param('id') id: string, @Param('currency') cur: string): Promise<unknown> {
    const f = await this.book.get(id, cur);
    if (f === undefined) throw problem(404, 'not-found', `no ${cur} float for partner ${id}`);
    return f;
  }

  @Post(':currency/fundings')
  @ApiOperation({
    summary: 'Fund the float: funding account debited, float credited, in one balanced journal; audited',
  })
  @ApiBody({ schema: z.toJSONSchema(fundSchema) as Record<string, unknown> })
  @ApiResponse({ status: 201, description: 'The journal entry id and the float after it' })
  async fund(
    @Req() req: FastifyRequest,
    @Param('id') id: string,
    @Param('currency') cur: string,
    @Body() body: unknown,
  ): Promise<unknown> {
    const b = parseEdgeBody(fundSchema, body, 'funding');
    const amount = parseMajorAmount(b.amount, cur);
    if (typeof amount === 'string') {
      throw problem(400, 'invalid-request', 'Invalid funding', {
        errors: [
          {
            field: 'amount',
            message: `${amount.replaceAll('-', ' ')}: a decimal string such as "500000.00"`,
          },
        ],
      });
    }
    return mapped(() => this.book.fund(id, cur, amount.minor, opsUserOf(req), b.reason));
  }

  @Get(':currency/statement')
  @ApiOperation({ summary: 'The float’s journal lines, oldest first, each with the balance after it' })
  async statement(
    @Param('id') id: string,
    @Param('currency') cur: string,
    @Query('limit') limit?: string,
    @Query('afterEntry') afterEntry?: string,
  ): Promise<unknown> {
    const n = limit === undefined ? undefined : Number(limit);
    if (n !== undefined && (!Number.isInteger(n) || n < 1 || n > 1000)) {
      throw problem(400, 'invalid-request', 'limit must be 1..1000');
    }
    if (afterEntry !== undefined && !/^\d{1,19}$/.test(afterEntry)) {
      throw problem(400, 'invalid-request', 'afterEntry must be an entry id');
    }
    return mapped(() =>
      this.book.statement(this.s.database.db, id, cur, {
        ...(n !== undefined ? { limit: n } : {}),
        ...(afterEntry !== undefined ? { afterEntry } : {}),
      }),
    );
  }
}

async function mapped<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e: unknown) {
    if (!(e instanceof FloatError)) throw e;
    if (e.code === 'NOT_FOUND') throw problem(404, 'not-found', e.message);
    if (e.code === 'EXISTS') throw problem(409, 'float-exists', e.message);
    throw problem(422, 'invalid-request', e.message);
  }
}
