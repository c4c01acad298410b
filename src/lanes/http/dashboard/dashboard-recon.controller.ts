import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { z } from 'zod';
import { GATEWAY_SERVICES, type GatewayServices } from '../../gateway-services';
import { DashboardControllerBase } from './dashboard-base';
import { OpsAuditLog } from '../../../domain/audit/ops-audit-log';
import { actorOf } from '../../../domain/ops-users/ops-users';
import { paymentsInState } from '../../../domain/ops-views/payment-story';
import { BREAK_CODES, BREAK_OWNERS, BREAK_STATES } from '../../../domain/recon/break-codes';
import { businessDayOf } from '../../../domain/recon/business-day';
import { isCalendarDate } from '../../../domain/recon/csv-reader';
import { problem } from '../../../protocols/rest/problem';
import { parseBody } from '../agent-problems';
import { breaksCsv } from '../recon-views';
import {
  previewView,
  resolutionOf,
  resolvePreviewSchema,
  resolveSchema,
  workflowMapped,
} from '../ops-recon.controller';
import { attentionPage } from './attention-page';
import { breakPage, breaksPage, type BreakFilters } from './breaks-page';
import { REASON_MESSAGE, sendPage } from './dashboard-session';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A form field left empty is sent as an empty string: it means "not given". */
const given = (v: unknown): string | undefined =>
  typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;

const assignForm = z.object({
  assignee: z.string().trim().max(100).optional(),
  reason: z.string().trim().min(3, REASON_MESSAGE).max(500),
});
const commentForm = z.object({ text: z.string().trim().min(1, 'is required').max(4000) });
const decisionForm = z.object({
  outcome: z.enum(['APPROVED', 'DECLINED', 'REVERSED', 'PENDING']),
  reason: z.string().trim().min(3, REASON_MESSAGE).max(500),
  billerReceipt: z.string().trim().max(64).optional(),
  settlementReference: z.string().trim().max(64).optional(),
});

/** The resolve form as the page sends it, in the shape of the ops API's resolve body. */
function resolveBody(body: unknown): Record<string, unknown> {
  const f = (body ?? {}) as Record<string, unknown>;
  const adjustment = Object.fromEntries(
    (['amount', 'debitAccount', 'creditAccount'] as const).flatMap((k) => {
      const v = given(f[k]);
      return v === undefined ? [] : [[k, v]];
    }),
  );
  const expected = given(f.expectedJournal);
  return {
    resolution: f.resolution,
    reason: f.reason,
    ...(Object.keys(adjustment).length > 0 ? { adjustment } : {}),
    ...(expected !== undefined ? { expectedJournal: expected } : {}),
  };
}

const DECISION_STATUS: Record<string, number> = {
  NOT_FOUND: 404,
  NOT_PARKED: 409,
  OUTCOME_NOT_ALLOWED: 422,
  NOT_POSTED: 409,
  MISSING: 422,
};

/**
 * The dashboard's reconciliation breaks and needs-attention pages, and the operator's work on them.
 * Every write goes through the same domain service the ops API calls (the break workflow, the ops
 * decisions), so it is audited the same way, attributed to the signed-in user.
 */
@ApiExcludeController()
@Controller('dashboard')
export class DashboardReconController extends DashboardControllerBase {
  private readonly audit = new OpsAuditLog();

  constructor(@Inject(GATEWAY_SERVICES) s: GatewayServices) {
    super(s);
  }

  private get recon() {
    return this.s.recon.recon;
  }

  /** The day's breaks as CSV for a signed-in user (the ops API's export needs the ops key). */
  @Get('breaks.csv')
  async breaksCsv(
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
    @Query('businessDate') businessDate: unknown,
  ): Promise<void> {
    const session = await this.viewer(req, reply);
    if (session === undefined) return;
    const day = given(businessDate);
    if (day === undefined || !isCalendarDate(day)) {
      await reply.code(400).type('text/plain; charset=utf-8').send('businessDate: a date as YYYY-MM-DD');
      return;
    }
    const lines = breaksCsv(this.db, this.recon.breaks, day, this.s.edge.clock.now());
    await reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="breaks-${day}.csv"`)
      .header('cache-control', 'no-store')
      .send(Readable.from(lines));
  }

  @Get('breaks')
  async breaks(
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
    @Query() query: Record<string, unknown>,
  ): Promise<void> {
    const session = await this.viewer(req, reply);
    if (session === undefined) return;
    const now = this.s.edge.clock.now();
    const pick = <T extends string>(v: unknown, allowed: readonly T[]): T | undefined =>
      typeof v === 'string' && (allowed as readonly string[]).includes(v) ? (v as T) : undefined;
    const date = given(query.businessDate);
    const age = given(query.minAgeHours);
    const partner = given(query.partnerId);
    const filters: BreakFilters = {
      businessDate:
        date !== undefined && isCalendarDate(date) ? date : businessDayOf(now, this.recon.timeZone),
      code: pick(query.code, Object.keys(BREAK_CODES) as (keyof typeof BREAK_CODES)[]),
      owner: pick(query.owner, BREAK_OWNERS),
      partnerId: partner !== undefined && partner.length <= 64 ? partner : undefined,
      state: pick(query.state, BREAK_STATES),
      minAgeHours: age !== undefined && /^\d{1,5}$/.test(age) ? Number(age) : undefined,
    };
    const breaks = this.recon.breaks;
    const [day, shown] = await Promise.all([
      breaks.list(this.db, { businessDate: filters.businessDate, limit: 5000 }, now),
      breaks.list(
        this.db,
        {
          businessDate: filters.businessDate,
          limit: 1000,
          ...(filters.code !== undefined ? { code: filters.code as keyof typeof BREAK_CODES } : {}),
          ...(filters.owner !== undefined ? { owner: filters.owner as (typeof BREAK_OWNERS)[number] } : {}),
          ...(filters.partnerId !== undefined ? { partnerId: filters.partnerId } : {}),
          ...(filters.state !== undefined ? { state: filters.state as (typeof BREAK_STATES)[number] } : {}),
          ...(filters.minAgeHours !== undefined ? { minAgeSeconds: filters.minAgeHours * 3600 } : {}),
        },
        now,
      ),
    ]);
    // Oldest first: the break nearest its SLA on top.
    const byAge = [...shown].sort((a, b) => a.raisedAt.getTime() - b.raisedAt.getTime());
    sendPage(reply, breaksPage(session, filters, day, byAge, now));
  }

  @Get('breaks/:id')
  async break(
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
    @Param('id') id: string,
  ): Promise<void> {
    const session = await this.viewer(req, reply);
    if (session === undefined) return;
    const found = UUID.test(id) ? await this.recon.workflow.get(id) : undefined;
    if (found === undefined) {
      const now = this.s.edge.clock.now();
      sendPage(
        reply,
        breaksPage(session, { businessDate: businessDayOf(now, this.recon.timeZone) }, [], [], now),
        404,
      );
      return;
    }
    const audit = await this.audit.recent(this.db, { subjectType: 'recon-break', subjectId: id });
    sendPage(reply, breakPage(session, found.break, found.events, audit, this.s.edge.clock.now()));
  }

  @Post('api/recon/breaks/:id/assign')
  @HttpCode(200)
  async assign(@Req() req: FastifyRequest, @Param('id') id: string, @Body() body: unknown): Promise<unknown> {
    const session = await this.operator(req);
    const b = parseBody(assignForm, body ?? {}, 'assignment');
    const done = await this.recon.workflow
      .assign(this.known(id), given(b.assignee) ?? null, actorOf(session.user), b.reason)
      .catch(workflowMapped);
    return { breakId: done.id, assignee: done.assignee };
  }

  @Post('api/recon/breaks/:id/comments')
  @HttpCode(200)
  async comment(
    @Req() req: FastifyRequest,
    @Param('id') id: string,
    @Body() body: unknown,
  ): Promise<unknown> {
    const session = await this.operator(req);
    const b = parseBody(commentForm, body ?? {}, 'comment');
    const done = await this.recon.workflow
      .comment(this.known(id), b.text, actorOf(session.user))
      .catch(workflowMapped);
    return { breakId: done.id };
  }

  /** What the resolution would post, shown before the operator confirms it. Writes nothing. */
  @Post('api/recon/breaks/:id/resolve/preview')
  @HttpCode(200)
  async preview(
    @Req() req: FastifyRequest,
    @Param('id') id: string,
    @Body() body: unknown,
  ): Promise<unknown> {
    await this.operator(req);
    const form = resolveBody(body);
    delete form.expectedJournal;
    const b = parseBody(resolvePreviewSchema, form, 'resolution');
    const shown = await this.recon.workflow
      .preview(this.known(id), await resolutionOf(this.s, id, b))
      .catch(workflowMapped);
    return previewView(shown, b.resolution);
  }

  /** Resolves with the journal the operator was shown (expectedJournal), or is refused. */
  @Post('api/recon/breaks/:id/resolve')
  @HttpCode(200)
  async resolve(
    @Req() req: FastifyRequest,
    @Param('id') id: string,
    @Body() body: unknown,
  ): Promise<unknown> {
    const session = await this.operator(req);
    const b = parseBody(resolveSchema, resolveBody(body), 'resolution');
    if (b.expectedJournal === undefined) {
      throw problem(400, 'invalid-request', 'Preview the resolution first', {
        errors: [{ field: 'expectedJournal', message: 'confirm the adjusting journal the preview showed' }],
      });
    }
    const done = await this.recon.workflow
      .resolve(this.known(id), await resolutionOf(this.s, id, b), actorOf(session.user))
      .catch(workflowMapped);
    return { breakId: done.id, state: done.state, journalEntryId: done.journalEntryId };
  }

  private known(id: string): string {
    if (!UUID.test(id)) throw problem(404, 'recon-not-found', `no break ${id.slice(0, 64)}`);
    return id;
  }

  @Get('attention')
  async attention(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const session = await this.viewer(req, reply);
    if (session === undefined) return;
    const [parked, pending, decisions] = await Promise.all([
      paymentsInState(this.db, 'NEEDS_ATTENTION'),
      paymentsInState(this.db, 'PENDING'),
      this.audit.recent(this.db, { subjectType: 'payment' }, 20),
    ]);
    const ofDecisions = decisions.filter((d) => d.action === 'payment.decision');
    sendPage(reply, attentionPage(session, parked, pending, ofDecisions, this.s.edge.clock.now()));
  }

  @Post('api/payments/:id/decision')
  @HttpCode(200)
  async decide(@Req() req: FastifyRequest, @Param('id') id: string, @Body() body: unknown): Promise<unknown> {
    const session = await this.operator(req);
    const b = parseBody(decisionForm, body ?? {}, 'decision');
    if (!UUID.test(id)) throw problem(404, 'payment-not-found', 'No such payment');
    const receipt = given(b.billerReceipt);
    const settlement = given(b.settlementReference);
    const result = await this.s.followUps.opsDecisions.decide({
      paymentId: id,
      outcome: b.outcome,
      reason: b.reason,
      actor: actorOf(session.user),
      ...(receipt !== undefined ? { billerReceipt: receipt } : {}),
      ...(settlement !== undefined ? { settlementReference: settlement } : {}),
    });
    if (result.kind === 'refused') {
      throw problem(
        DECISION_STATUS[result.code] ?? 409,
        `decision-${result.code.toLowerCase().replaceAll('_', '-')}`,
        'Decision refused',
        { detail: result.detail },
      );
    }
    return { paymentId: id, state: result.payment.state, reasonCode: result.payment.reasonCode };
  }
}
