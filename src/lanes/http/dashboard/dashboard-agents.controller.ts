import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { GATEWAY_SERVICES, type GatewayServices } from '../../gateway-services';
import { DashboardControllerBase } from './dashboard-base';
import { OpsAuditLog } from '../../../domain/audit/ops-audit-log';
import { actorOf } from '../../../domain/ops-users/ops-users';
import { agentDetail, agentNetworkList } from '../../../domain/ops-views/agent-network-view';
import { problem } from '../../../protocols/rest/problem';
import { agentMapped } from '../agent-problems';
import { agentPage, agentsPage } from './agents-page';
import { REASON_MESSAGE, sendPage } from './dashboard-session';

const reasonSchema = z.object({ reason: z.string().trim().min(3, REASON_MESSAGE).max(500) });

function reasonOf(body: unknown): string {
  const parsed = reasonSchema.safeParse(body ?? {});
  if (!parsed.success) {
    throw problem(400, 'invalid-request', 'The change is not complete', {
      errors: parsed.error.issues.map((i) => ({ field: i.path.join('.') || 'body', message: i.message })),
    });
  }
  return parsed.data.reason;
}

/**
 * The dashboard's agent network pages and the operator's actions on an agent. Reads and writes go
 * through the agent network's own services (the same the ops API calls), so a suspension from here
 * is the ops API's suspension: audited in the same transaction, attributed to the signed-in user.
 */
@ApiExcludeController()
@Controller('dashboard')
export class DashboardAgentsController extends DashboardControllerBase {
  private readonly audit = new OpsAuditLog();

  constructor(@Inject(GATEWAY_SERVICES) s: GatewayServices) {
    super(s);
  }

  @Get('agents')
  async list(
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
    @Query('q') q?: string,
    @Query('suspended') suspended?: string,
  ): Promise<void> {
    const session = await this.viewer(req, reply);
    if (session === undefined) return;
    const rows = await agentNetworkList(this.db, this.s.agents.network);
    const text = typeof q === 'string' ? q.slice(0, 100) : '';
    sendPage(reply, agentsPage(session, rows, text, suspended === '1', this.s.edge.clock.now()));
  }

  @Get('agents/:id')
  async detail(
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
    @Param('id') id: string,
  ): Promise<void> {
    const session = await this.viewer(req, reply);
    if (session === undefined) return;
    const a = this.s.agents;
    const detail = await agentDetail(
      {
        db: this.db,
        network: a.network,
        countSheets: a.countSheets,
        sync: a.sync,
        settlements: a.settlements,
        ledger: this.s.ledger,
        audit: this.audit,
      },
      id.slice(0, 64),
    );
    if (detail === undefined) {
      const rows = await agentNetworkList(this.db, a.network);
      sendPage(reply, agentsPage(session, rows, id.slice(0, 64), false, this.s.edge.clock.now()), 404);
      return;
    }
    sendPage(reply, agentPage(session, detail, this.s.edge.clock.now()));
  }

  @Post('api/agents/:id/suspend')
  @HttpCode(200)
  async suspend(
    @Req() req: FastifyRequest,
    @Param('id') id: string,
    @Body() body: unknown,
  ): Promise<unknown> {
    const session = await this.operator(req);
    const reason = reasonOf(body);
    const agent = await agentMapped(() =>
      this.s.agents.network.suspend(id, { actor: actorOf(session.user), reason }),
    );
    return { agentId: agent.id, status: agent.status };
  }

  @Post('api/agents/:id/reinstate')
  @HttpCode(200)
  async reinstate(
    @Req() req: FastifyRequest,
    @Param('id') id: string,
    @Body() body: unknown,
  ): Promise<unknown> {
    const session = await this.operator(req);
    const reason = reasonOf(body);
    const agent = await agentMapped(() =>
      this.s.agents.network.reinstate(id, { actor: actorOf(session.user), reason }),
    );
    return { agentId: agent.id, status: agent.status };
  }

  @Post('api/agents/:id/count-sheets/:sheetId/clear')
  @HttpCode(200)
  async clear(
    @Req() req: FastifyRequest,
    @Param('id') id: string,
    @Param('sheetId') sheetId: string,
    @Body() body: unknown,
  ): Promise<unknown> {
    const session = await this.operator(req);
    const reason = reasonOf(body);
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(sheetId)) {
      throw problem(404, 'variance-not-found', `no count sheet ${sheetId.slice(0, 64)}`);
    }
    const r = await agentMapped(() =>
      this.s.agents.countSheets.clearVariance(id, sheetId, { actor: actorOf(session.user), reason }),
    );
    return { sheetId, cleared: true, reinstated: r.reinstated };
  }
}
