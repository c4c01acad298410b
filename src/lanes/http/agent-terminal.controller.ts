import { Body, Controller, Get, HttpCode, Inject, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiTags, ApiBody } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { GATEWAY_SERVICES, type GatewayServices } from '../gateway-services';
import type { OfflinePayment } from '../../domain/agents/offline-sync';
import { uuidv7 } from '../../domain/ids';
import { isValidIdempotencyKey } from '../../protocols/rest/bill-pay.request';
import { fingerprint } from '../../domain/idempotency/fingerprint';
import { problem } from '../../protocols/rest/problem';
import { agentMapped, amountText, major, minorOf, parseBody, terminalOf } from './agent-problems';
import { idempotencyConflict, idempotencyInFlight } from './idempotency-problems';
import { laneOf } from './lane-context';
import { countSheetSchema, renderAgent, renderSheet } from './ops-agents.controller';
import { TerminalAuthGuard } from './terminal-auth.guard';
import { schemaOf } from './openapi-schemas';

const printable = (max: number) =>
  z.string().regex(new RegExp(`^[\\x20-\\x7E]{1,${max}}$`), `1-${max} printable characters`);
const paymentFields = {
  billType: z.string().regex(/^[A-Z][A-Z0-9_]{1,31}$/, 'an upper-case bill type code'),
  billReference: printable(64),
  amount: amountText,
  currency: z.string().regex(/^[A-Z]{3}$/),
  partnerReference: printable(64),
};
const onlineSchema = z.strictObject(paymentFields);
const syncSchema = z.strictObject({
  items: z
    .array(
      z.strictObject({
        ...paymentFields,
        idempotencyKey: z.string().refine(isValidIdempotencyKey, '1-255 printable characters'),
        capturedAt: z.iso.datetime({ offset: true }),
      }),
    )
    .min(1)
    .max(1000),
});

/** How far ahead of our clock a terminal's capture time may be (terminal clocks drift). */
const CLOCK_SKEW_MS = 5 * 60_000;

/** The agent terminal's own API: it authenticates with its device key, never the partner's. */
@ApiTags('agent terminals')
@ApiBearerAuth()
@Controller('agent')
@UseGuards(TerminalAuthGuard)
export class AgentTerminalController {
  constructor(@Inject(GATEWAY_SERVICES) private readonly s: GatewayServices) {}

  @Get('me')
  @ApiOperation({ summary: 'The terminal, its agent, limit and offline allowance' })
  async me(@Req() req: FastifyRequest): Promise<unknown> {
    const who = terminalOf(req);
    const agent = (await this.s.agents.network.get(who.agent.id)) ?? who.agent;
    const balance = (await this.s.ledger.balanceOf(this.s.database.db, agent.cashAccountId)) ?? 0n;
    return {
      terminalId: who.terminal.id,
      agent: renderAgent(agent, -balance),
      offlineAllowance: {
        maxCount: who.terminal.offlineMaxCount,
        maxTotal: major(who.terminal.offlineMaxTotalMinor, agent.currency),
      },
    };
  }

  @Post('pay')
  @ApiBody({ schema: schemaOf(onlineSchema) })
  @HttpCode(201)
  @ApiHeader({ name: 'Idempotency-Key', required: true })
  @ApiOperation({ summary: 'Pay a bill online, in cash at this terminal' })
  async pay(
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Body() body: unknown,
  ): Promise<unknown> {
    const who = terminalOf(req);
    const raw = req.headers['idempotency-key'];
    const key = Array.isArray(raw) ? raw[0] : raw;
    if (!isValidIdempotencyKey(key)) {
      throw problem(400, 'idempotency-key-required', 'Idempotency-Key header required', {
        errors: [{ field: 'Idempotency-Key', message: 'header of 1-255 printable characters is required' }],
      });
    }
    const b = parseBody(onlineSchema, body, 'payment');
    await this.knownBillTypes([b.billType]);
    const item: OfflinePayment = {
      ...b,
      idempotencyKey: key,
      capturedAt: new Date(),
      amountMinor: minorOf(b.amount, b.currency, 'amount'),
      fingerprint: fingerprint(body),
    };
    const o = await this.s.agents.terminalPayments.pay(who, laneOf(req).id, item, uuidv7(), 'online');
    switch (o.kind) {
      case 'processed':
      case 'replayed':
        if (o.kind === 'replayed') void reply.header('idempotent-replayed', 'true');
        return {
          id: o.paymentId,
          status: o.status,
          reasonCode: o.reasonCode,
          billerReceipt: o.billerReceipt,
          amount: b.amount,
          currency: b.currency,
        };
      case 'conflict':
        throw idempotencyConflict();
      case 'in-flight':
        throw idempotencyInFlight(reply);
    }
  }

  @Post('sync')
  @ApiBody({ schema: schemaOf(syncSchema) })
  @HttpCode(200)
  @ApiOperation({
    summary: 'Sync a batch of payments taken offline; each item is answered on its own; safe to resend',
  })
  async sync(@Req() req: FastifyRequest, @Body() body: unknown): Promise<unknown> {
    const who = terminalOf(req);
    const b = parseBody(syncSchema, body, 'sync batch');
    const errors: { field: string; message: string }[] = [];
    const seen = new Set<string>();
    const now = Date.now();
    const items: OfflinePayment[] = [];
    b.items.forEach((i, n) => {
      if (seen.has(i.idempotencyKey))
        errors.push({ field: `items.${n}.idempotencyKey`, message: 'appears twice in the batch' });
      seen.add(i.idempotencyKey);
      const capturedAt = new Date(i.capturedAt);
      if (capturedAt.getTime() > now + CLOCK_SKEW_MS)
        errors.push({ field: `items.${n}.capturedAt`, message: 'is in the future' });
      const { idempotencyKey: _k, capturedAt: _c, ...content } = i;
      try {
        items.push({
          ...content,
          idempotencyKey: i.idempotencyKey,
          capturedAt,
          amountMinor: minorOf(i.amount, i.currency, `items.${n}.amount`),
          fingerprint: fingerprint(content),
        });
      } catch {
        errors.push({ field: `items.${n}.amount`, message: `not a valid ${i.currency} amount` });
      }
    });
    if (errors.length > 0) throw problem(400, 'invalid-request', 'Invalid sync batch', { errors });
    await this.knownBillTypes(items.map((i) => i.billType));
    const lane = laneOf(req).id;
    const answer = await agentMapped(() =>
      this.s.agents.sync.sync(who.terminal, items, (item, paymentId) =>
        this.s.agents.terminalPayments.pay(who, lane, item, paymentId, 'offline'),
      ),
    );
    return {
      batchId: answer.batchId,
      items: answer.items,
      breach:
        answer.breach === null
          ? null
          : {
              amountOver: major(answer.breach.amountOverMinor, who.agent.currency),
              items: answer.breach.items,
            },
    };
  }

  @Post('count-sheets')
  @ApiBody({ schema: schemaOf(countSheetSchema) })
  @ApiOperation({ summary: "Submit the agent's end-of-day cash count from the terminal" })
  async countSheet(@Req() req: FastifyRequest, @Body() body: unknown): Promise<unknown> {
    const who = terminalOf(req);
    const b = parseBody(countSheetSchema, body, 'count sheet');
    const sheet = await agentMapped(() =>
      this.s.agents.countSheets.submit({
        agentId: who.agent.id,
        currency: b.currency,
        counts: b.counts,
        ...(b.corrects !== undefined ? { corrects: b.corrects } : {}),
        ...(b.note !== undefined ? { note: b.note } : {}),
        submittedBy: `terminal:${who.terminal.id}`,
        at: new Date(),
      }),
    );
    return renderSheet(sheet);
  }

  private async knownBillTypes(codes: readonly string[]): Promise<void> {
    for (const code of new Set(codes)) await this.s.billTypes.has(code);
    const known = await this.s.billTypes.snapshot();
    const unknown = [...new Set(codes)].filter((c) => !known.has(c));
    if (unknown.length > 0) {
      throw problem(400, 'invalid-request', 'Unknown bill type', {
        errors: unknown.map((c) => ({ field: 'billType', message: `unknown bill type ${c}` })),
      });
    }
  }
}
