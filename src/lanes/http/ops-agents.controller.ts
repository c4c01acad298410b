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
import type { Agent, Terminal } from '../../domain/agents/agent';
import type { CountSheet } from '../../domain/agents/count-sheets';
import { problem } from '../../protocols/rest/problem';
import { agentMapped, amountText, major, minorOf, parseBody, reasonText } from './agent-problems';
import { OpsAuthGuard, opsUserOf } from './auth.guard';
import { schemaOf } from './openapi-schemas';

const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,33}$/, '1-34 letters, digits, _ . -');
const currency = z.string().regex(/^[A-Z]{3}$/);
const createSchema = z.strictObject({
  id,
  partnerId: z.string().min(1).max(64),
  region: z.string().trim().min(1).max(64),
  currency,
  cashLimit: amountText,
  varianceThreshold: amountText.optional(),
  reason: reasonText,
});
const reasonSchema = z.strictObject({ reason: reasonText });
const limitsSchema = z
  .strictObject({
    cashLimit: amountText.optional(),
    varianceThreshold: amountText.optional(),
    region: z.string().trim().min(1).max(64).optional(),
    reason: reasonText,
  })
  .refine((b) => b.cashLimit !== undefined || b.varianceThreshold !== undefined || b.region !== undefined, {
    message: 'name at least one of cashLimit, varianceThreshold, region',
  });
const allowanceSchema = z.strictObject({
  maxCount: z.number().int().min(0).max(10_000),
  maxTotal: amountText,
});
const terminalSchema = z.strictObject({
  id,
  label: z.string().trim().min(1).max(100),
  offlineAllowance: allowanceSchema.optional(),
  reason: reasonText,
});
const allowanceChangeSchema = allowanceSchema.extend({ reason: reasonText });
const settlementSchema = z.strictObject({
  amount: amountText,
  currency,
  reference: z.string().regex(/^[\x21-\x7E]{1,64}$/, '1-64 printable characters'),
  source: z.enum(['ops', 'agent-banking-core']).optional(),
  reason: reasonText,
});
export const countSheetSchema = z.strictObject({
  currency,
  counts: z
    .array(
      z.strictObject({
        denomination: z.string().min(1).max(16),
        count: z.number().int().min(0).max(1_000_000),
      }),
    )
    .max(32),
  corrects: z.uuid().optional(),
  note: z.string().max(500).optional(),
});

/** Ops API of the OTC agent network: agents, terminals, limits, settlements, count sheets, breaches. */
@ApiTags('ops: agents')
@ApiBearerAuth()
@Controller('ops/agents')
@UseGuards(OpsAuthGuard)
export class OpsAgentsController {
  constructor(@Inject(GATEWAY_SERVICES) private readonly s: GatewayServices) {}

  private get a() {
    return this.s.agents;
  }

  private async render(agent: Agent): Promise<Record<string, unknown>> {
    const balance = (await this.s.ledger.balanceOf(this.s.database.db, agent.cashAccountId)) ?? 0n;
    return renderAgent(agent, -balance);
  }

  private async agent(agentId: string): Promise<Agent> {
    const agent = await this.a.network.get(agentId);
    if (agent === undefined) throw problem(404, 'agent-not-found', `no agent ${agentId}`);
    return agent;
  }

  @Get()
  @ApiOperation({ summary: 'Agents, optionally of one partner or region' })
  async list(@Query('partnerId') partnerId?: string, @Query('region') region?: string): Promise<unknown> {
    const agents = await this.a.network.list({
      ...(partnerId !== undefined ? { partnerId } : {}),
      ...(region !== undefined ? { region } : {}),
    });
    return { items: await Promise.all(agents.map((x) => this.render(x))) };
  }

  @Post()
  @ApiBody({ schema: schemaOf(createSchema) })
  @ApiOperation({ summary: 'Create an agent of an OTC network partner (with its cash account)' })
  async create(@Req() req: FastifyRequest, @Body() body: unknown): Promise<unknown> {
    const b = parseBody(createSchema, body, 'agent');
    const agent = await agentMapped(() =>
      this.a.network.create(
        {
          id: b.id,
          partnerId: b.partnerId,
          region: b.region,
          currency: b.currency,
          cashLimitMinor: minorOf(b.cashLimit, b.currency, 'cashLimit'),
          ...(b.varianceThreshold !== undefined
            ? { varianceThresholdMinor: minorOf(b.varianceThreshold, b.currency, 'varianceThreshold', true) }
            : {}),
        },
        { actor: opsUserOf(req), reason: b.reason },
      ),
    );
    return this.render(agent);
  }

  @Get(':id')
  @ApiOperation({ summary: "An agent with its limit, unsettled cash and the ledger's cash position" })
  async get(@Param('id') agentId: string): Promise<unknown> {
    return this.render(await this.agent(agentId));
  }

  @Post(':id/suspend')
  @ApiBody({ schema: schemaOf(reasonSchema) })
  @HttpCode(200)
  @ApiOperation({ summary: 'Suspend an agent: its payments are refused until reinstated' })
  async suspend(
    @Req() req: FastifyRequest,
    @Param('id') agentId: string,
    @Body() body: unknown,
  ): Promise<unknown> {
    const b = parseBody(reasonSchema, body, 'suspension');
    return this.render(
      await agentMapped(() => this.a.network.suspend(agentId, { actor: opsUserOf(req), reason: b.reason })),
    );
  }

  @Post(':id/reinstate')
  @ApiBody({ schema: schemaOf(reasonSchema) })
  @HttpCode(200)
  @ApiOperation({ summary: 'Reinstate a suspended agent' })
  async reinstate(
    @Req() req: FastifyRequest,
    @Param('id') agentId: string,
    @Body() body: unknown,
  ): Promise<unknown> {
    const b = parseBody(reasonSchema, body, 'reinstatement');
    return this.render(
      await agentMapped(() => this.a.network.reinstate(agentId, { actor: opsUserOf(req), reason: b.reason })),
    );
  }

  @Put(':id/limits')
  @ApiBody({ schema: schemaOf(limitsSchema) })
  @ApiOperation({ summary: "Change an agent's cash limit, count variance threshold or region" })
  async limits(
    @Req() req: FastifyRequest,
    @Param('id') agentId: string,
    @Body() body: unknown,
  ): Promise<unknown> {
    const b = parseBody(limitsSchema, body, 'limits');
    const agent = await this.agent(agentId);
    const updated = await agentMapped(() =>
      this.a.network.setLimits(
        agentId,
        {
          ...(b.cashLimit !== undefined
            ? { cashLimitMinor: minorOf(b.cashLimit, agent.currency, 'cashLimit') }
            : {}),
          ...(b.varianceThreshold !== undefined
            ? {
                varianceThresholdMinor: minorOf(
                  b.varianceThreshold,
                  agent.currency,
                  'varianceThreshold',
                  true,
                ),
              }
            : {}),
          ...(b.region !== undefined ? { region: b.region } : {}),
        },
        { actor: opsUserOf(req), reason: b.reason },
      ),
    );
    return this.render(updated);
  }

  @Get(':id/terminals')
  @ApiOperation({ summary: "An agent's terminals (keys are never shown again after issue)" })
  async terminals(@Param('id') agentId: string): Promise<unknown> {
    const agent = await this.agent(agentId);
    return {
      items: (await this.a.network.listTerminals(agentId)).map((t) => renderTerminal(t, agent.currency)),
    };
  }

  @Post(':id/terminals')
  @ApiBody({ schema: schemaOf(terminalSchema) })
  @ApiOperation({ summary: 'Issue a terminal with its own device key (shown once) and offline allowance' })
  async issueTerminal(
    @Req() req: FastifyRequest,
    @Param('id') agentId: string,
    @Body() body: unknown,
  ): Promise<unknown> {
    const b = parseBody(terminalSchema, body, 'terminal');
    const agent = await this.agent(agentId);
    const issued = await agentMapped(() =>
      this.a.network.issueTerminal(
        agentId,
        {
          id: b.id,
          label: b.label,
          offlineMaxCount: b.offlineAllowance?.maxCount ?? 0,
          offlineMaxTotalMinor:
            b.offlineAllowance === undefined
              ? 0n
              : minorOf(b.offlineAllowance.maxTotal, agent.currency, 'offlineAllowance.maxTotal', true),
        },
        { actor: opsUserOf(req), reason: b.reason },
      ),
    );
    return { ...renderTerminal(issued.terminal, agent.currency), key: issued.key };
  }

  @Post(':id/terminals/:terminalId/revoke')
  @ApiBody({ schema: schemaOf(reasonSchema) })
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke one terminal; the agent and its other terminals go on' })
  async revokeTerminal(
    @Req() req: FastifyRequest,
    @Param('id') agentId: string,
    @Param('terminalId') terminalId: string,
    @Body() body: unknown,
  ): Promise<unknown> {
    const b = parseBody(reasonSchema, body, 'revocation');
    const agent = await this.agent(agentId);
    const t = await agentMapped(() =>
      this.a.network.revokeTerminal(agentId, terminalId, { actor: opsUserOf(req), reason: b.reason }),
    );
    return renderTerminal(t, agent.currency);
  }

  @Put(':id/terminals/:terminalId/offline-allowance')
  @ApiBody({ schema: schemaOf(allowanceChangeSchema) })
  @ApiOperation({ summary: "Set a terminal's offline allowance (count and total)" })
  async allowance(
    @Req() req: FastifyRequest,
    @Param('id') agentId: string,
    @Param('terminalId') terminalId: string,
    @Body() body: unknown,
  ): Promise<unknown> {
    const b = parseBody(allowanceChangeSchema, body, 'offline allowance');
    const agent = await this.agent(agentId);
    const t = await agentMapped(() =>
      this.a.network.setOfflineAllowance(
        agentId,
        terminalId,
        { maxCount: b.maxCount, maxTotalMinor: minorOf(b.maxTotal, agent.currency, 'maxTotal', true) },
        { actor: opsUserOf(req), reason: b.reason },
      ),
    );
    return renderTerminal(t, agent.currency);
  }

  @Post(':id/settlements')
  @ApiBody({ schema: schemaOf(settlementSchema) })
  @ApiOperation({
    summary: 'Record cash the agent handed the bank: journal agent cash → bank cash, limit freed',
  })
  async settle(
    @Req() req: FastifyRequest,
    @Param('id') agentId: string,
    @Body() body: unknown,
  ): Promise<unknown> {
    const b = parseBody(settlementSchema, body, 'settlement');
    const { settlement, replayed } = await agentMapped(() =>
      this.a.settlements.settle(
        {
          agentId,
          amountMinor: minorOf(b.amount, b.currency, 'amount'),
          currency: b.currency,
          reference: b.reference,
          source: b.source ?? 'ops',
        },
        { actor: opsUserOf(req), reason: b.reason },
      ),
    );
    return {
      id: settlement.id,
      agentId: settlement.agentId,
      amount: major(settlement.amountMinor, settlement.currency),
      currency: settlement.currency,
      reference: settlement.reference,
      source: settlement.source,
      journalEntryId: settlement.journalEntryId,
      unsettledAfter: major(settlement.unsettledAfterMinor, settlement.currency),
      replayed,
      createdAt: settlement.createdAt.toISOString(),
    };
  }

  @Get(':id/settlements')
  @ApiOperation({ summary: "An agent's settlements, newest first" })
  async settlements(@Param('id') agentId: string): Promise<unknown> {
    const items = await this.a.settlements.list(agentId);
    return {
      items: items.map((x) => ({
        id: x.id,
        amount: major(x.amountMinor, x.currency),
        currency: x.currency,
        reference: x.reference,
        source: x.source,
        actor: x.actor,
        reason: x.reason,
        journalEntryId: x.journalEntryId,
        createdAt: x.createdAt.toISOString(),
      })),
    };
  }

  @Post(':id/count-sheets')
  @ApiBody({ schema: schemaOf(countSheetSchema) })
  @ApiOperation({ summary: 'Submit a cash count sheet (by denomination); the system totals and compares it' })
  async countSheet(
    @Req() req: FastifyRequest,
    @Param('id') agentId: string,
    @Body() body: unknown,
  ): Promise<unknown> {
    const b = parseBody(countSheetSchema, body, 'count sheet');
    const sheet = await agentMapped(() =>
      this.a.countSheets.submit({
        agentId,
        currency: b.currency,
        counts: b.counts,
        ...(b.corrects !== undefined ? { corrects: b.corrects } : {}),
        ...(b.note !== undefined ? { note: b.note } : {}),
        submittedBy: opsUserOf(req),
        at: new Date(),
      }),
    );
    return renderSheet(sheet);
  }

  @Get(':id/count-sheets')
  @ApiOperation({ summary: "An agent's count sheets with their variances, newest first" })
  async countSheets(@Param('id') agentId: string): Promise<unknown> {
    const sheets = await this.a.countSheets.list(agentId);
    return {
      items: sheets.map((x) => ({
        ...renderSheet(x),
        varianceState:
          x.variance === null
            ? null
            : {
                supersededBy: x.variance.supersededBy,
                clearedAt: x.variance.clearedAt?.toISOString() ?? null,
                clearedBy: x.variance.clearedBy,
              },
      })),
    };
  }

  @Post(':id/count-sheets/:sheetId/clear')
  @ApiBody({ schema: schemaOf(reasonSchema) })
  @HttpCode(200)
  @ApiOperation({ summary: "Clear a sheet's variance; an agent suspended for it alone is reinstated" })
  async clear(
    @Req() req: FastifyRequest,
    @Param('id') agentId: string,
    @Param('sheetId') sheetId: string,
    @Body() body: unknown,
  ): Promise<unknown> {
    const b = parseBody(reasonSchema, body, 'clearance');
    const r = await agentMapped(() =>
      this.a.countSheets.clearVariance(agentId, sheetId, { actor: opsUserOf(req), reason: b.reason }),
    );
    return {
      sheetId,
      cleared: true,
      reinstated: r.reinstated,
      agent: await this.render(await this.agent(agentId)),
    };
  }

  @Get(':id/limit-breaches')
  @ApiOperation({ summary: 'Limit breaches found only at sync: per batch, the amount over and the items' })
  async breaches(@Param('id') agentId: string): Promise<unknown> {
    const agent = await this.agent(agentId);
    const flags = await this.a.sync.breaches(agentId);
    return {
      items: flags.map((f) => ({
        batchId: f.batchId,
        agentId: f.agentId,
        terminalId: f.terminalId,
        currency: f.currency,
        amountOver: major(f.amountOverMinor, agent.currency),
        flaggedAt: f.flaggedAt.toISOString(),
        items: f.items.map((i) => ({
          paymentId: i.paymentId,
          idempotencyKey: i.idempotencyKey,
          amount: major(i.amountMinor, agent.currency),
          overBy: major(i.overByMinor, agent.currency),
        })),
      })),
    };
  }
}

export function renderAgent(a: Agent, ledgerPositionMinor: bigint): Record<string, unknown> {
  return {
    id: a.id,
    partnerId: a.partnerId,
    region: a.region,
    status: a.status,
    suspensionReason: a.suspensionReason,
    currency: a.currency,
    cashLimit: major(a.cashLimitMinor, a.currency),
    unsettledCash: major(a.unsettledMinor, a.currency),
    availableToCollect: major(
      a.cashLimitMinor > a.unsettledMinor ? a.cashLimitMinor - a.unsettledMinor : 0n,
      a.currency,
    ),
    ledgerCashPosition: major(ledgerPositionMinor, a.currency),
    varianceThreshold: major(a.varianceThresholdMinor, a.currency),
    cashAccountId: a.cashAccountId,
    createdAt: a.createdAt.toISOString(),
  };
}

function renderTerminal(t: Terminal, currency: string): Record<string, unknown> {
  return {
    id: t.id,
    agentId: t.agentId,
    label: t.label,
    status: t.status,
    keyHint: t.keyHint,
    revokedAt: t.revokedAt?.toISOString() ?? null,
    offlineAllowance: { maxCount: t.offlineMaxCount, maxTotal: major(t.offlineMaxTotalMinor, currency) },
    createdAt: t.createdAt.toISOString(),
  };
}

export function renderSheet(x: CountSheet): Record<string, unknown> {
  return {
    id: x.id,
    agentId: x.agentId,
    businessDate: x.businessDate,
    currency: x.currency,
    counts: x.counts.map((c) => ({
      denomination: c.denomination,
      count: c.count,
      value: major(c.valueMinor, x.currency),
    })),
    counted: major(x.countedMinor, x.currency),
    ledgerPosition: major(x.ledgerPositionMinor, x.currency),
    variance: major(x.varianceMinor, x.currency),
    corrects: x.corrects,
    suspended: x.suspended,
    submittedBy: x.submittedBy,
    createdAt: x.createdAt.toISOString(),
  };
}
