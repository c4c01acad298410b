import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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
  type OnModuleDestroy,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { GATEWAY_SERVICES, type GatewayServices } from '../../gateway-services';
import { DashboardControllerBase } from './dashboard-base';
import { actorOf } from '../../../domain/ops-users/ops-users';
import { readTraffic } from '../../../domain/ops-views/live-traffic';
import {
  paymentAftermath,
  paymentStory,
  paymentsInState,
  searchPayments,
} from '../../../domain/ops-views/payment-story';
import { RoutingError, type RulePatch } from '../../../domain/routing/routing-rule';
import { RoutingReferenceData } from '../../../domain/routing/rule-validator';
import { problem } from '../../../protocols/rest/problem';
import { assertOpsAllowedOnLane } from '../edge-guard';
import { partnerLaneFit } from '../lane-fit-of';
import {
  clearSessionCookie,
  cookieOf,
  REASON_MESSAGE,
  SESSION_COOKIE,
  sendPage,
  sessionOf,
  setSessionCookie,
} from './dashboard-session';
import { LiveFeed } from './live-feed';
import { partnersPage } from './partners-page';
import {
  auditPage,
  paymentStoryPage,
  paymentsPage,
  routingPage,
  signInPage,
  todayFragments,
  todayPage,
} from './pages';

function asset(name: string, type: string): { type: string; body: string } {
  return { type, body: readFileSync(join(__dirname, 'assets', name), 'utf8') };
}

// Read once at start-up: the dashboard's whole front end is these two files (no CDN, no bundle).
const ASSETS: Readonly<Record<string, { type: string; body: string }>> = {
  'dashboard.js': asset('dashboard.js', 'text/javascript; charset=utf-8'),
  'dashboard.css': asset('dashboard.css', 'text/css; charset=utf-8'),
};

const signInSchema = z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(256) });
/** A select left on "(unchanged)" sends an empty string: no change to that field. */
const optionalText = z.preprocess(
  (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
  z.string().trim().min(1).max(200).optional(),
);
const enabledField = z.preprocess(
  (v) => (v === '' ? undefined : v),
  z.enum(['true', 'false']).or(z.boolean()).optional(),
);
const patchFields = {
  enabled: enabledField,
  billerEndpoint: optionalText,
  settlementAccount: optionalText,
};
const namesAChange = (b: { enabled?: unknown; billerEndpoint?: unknown; settlementAccount?: unknown }) =>
  b.enabled !== undefined || b.billerEndpoint !== undefined || b.settlementAccount !== undefined;
const NAME_A_CHANGE = {
  message: 'name a change: enabled, billerEndpoint or settlementAccount',
  path: ['change'],
};
const changeSchema = z
  .object({
    ...patchFields,
    reason: z.string().trim().min(3, 'is required: say why the routing table changes').max(500),
    expectedVersion: z.coerce.number().int().positive().optional(),
    effectiveAt: z.string().optional(),
  })
  .refine(namesAChange, NAME_A_CHANGE);
const dryRunSchema = z.object({ id: z.string().min(1), ...patchFields }).refine(namesAChange, NAME_A_CHANGE);
const cancelSchema = z.object({ reason: z.string().trim().min(3, REASON_MESSAGE).max(500) });

function patchOf(b: {
  enabled?: 'true' | 'false' | boolean | undefined;
  billerEndpoint?: string | undefined;
  settlementAccount?: string | undefined;
}): RulePatch {
  return {
    ...(b.enabled !== undefined ? { enabled: asBool(b.enabled) } : {}),
    ...(b.billerEndpoint !== undefined ? { billerEndpoint: b.billerEndpoint } : {}),
    ...(b.settlementAccount !== undefined ? { settlementAccount: b.settlementAccount } : {}),
  };
}

function routingProblem(error: RoutingError) {
  const status =
    error.kind === 'not-found' || error.kind === 'schedule-not-found'
      ? 404
      : error.kind === 'validation'
        ? 400
        : 409;
  return problem(status, `routing-${error.kind}`, error.message, {
    ...(error.details.errors !== undefined ? { errors: error.details.errors } : {}),
  });
}

function fieldErrors(error: z.ZodError): { field: string; message: string }[] {
  return error.issues.map((i) => ({ field: i.path.join('.') || 'body', message: i.message }));
}

function asBool(v: 'true' | 'false' | boolean): boolean {
  return v === true || v === 'true';
}

/**
 * The ops dashboard: server-rendered pages for people, signed in as themselves (session cookie),
 * every state change carrying the session's CSRF token and attributed to its user in the audit
 * chain. Served on the lanes that serve the ops API (never on the public mutual-TLS lane).
 */
@ApiExcludeController()
@Controller('dashboard')
export class DashboardController extends DashboardControllerBase implements OnModuleDestroy {
  private readonly feed: LiveFeed;

  constructor(@Inject(GATEWAY_SERVICES) s: GatewayServices) {
    super(s);
    this.feed = new LiveFeed(
      s.database.db,
      () => s.edge.clock.now(),
      s.log,
      (snapshot) => `event: traffic\ndata: ${JSON.stringify({ fragments: todayFragments(snapshot) })}\n\n`,
    );
  }

  onModuleDestroy(): void {
    this.feed.close();
  }

  private page(reply: FastifyReply, body: string, status = 200): void {
    sendPage(reply, body, status);
  }

  @Get('assets/:file')
  asset(@Param('file') file: string, @Res() reply: FastifyReply): void {
    const asset = ASSETS[file];
    if (asset === undefined) throw problem(404, 'not-found', 'No such dashboard asset');
    void reply
      .headers({ 'x-content-type-options': 'nosniff', 'cache-control': 'no-cache' })
      .type(asset.type)
      .send(asset.body);
  }

  @Get('sign-in')
  signIn(@Req() req: FastifyRequest, @Res() reply: FastifyReply): void {
    assertOpsAllowedOnLane(req);
    this.page(reply, signInPage());
  }

  @Post('session')
  @HttpCode(200)
  async createSession(
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
    @Body() body: unknown,
  ): Promise<void> {
    assertOpsAllowedOnLane(req);
    const parsed = signInSchema.safeParse(body);
    if (!parsed.success) {
      throw problem(400, 'invalid-request', 'Send your username and password', {
        errors: fieldErrors(parsed.error),
      });
    }
    const signedIn = await this.users.signIn(this.db, parsed.data.username, parsed.data.password);
    if (signedIn === undefined) {
      this.s.log.warn({ username: parsed.data.username.slice(0, 64) }, 'dashboard sign-in refused');
      throw problem(401, 'sign-in-refused', 'Unknown user, wrong password or disabled account');
    }
    setSessionCookie(req, reply, signedIn.token, signedIn.session.expiresAt);
    this.s.log.info({ opsUser: signedIn.session.user.username }, 'dashboard sign-in');
    void reply.send({ user: signedIn.session.user, csrfToken: signedIn.session.csrfToken });
  }

  @Post('sign-out')
  @HttpCode(200)
  async signOut(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.operator(req, 'any-role');
    const token = cookieOf(req, SESSION_COOKIE);
    if (token !== undefined) await this.users.signOut(this.db, token);
    clearSessionCookie(req, reply);
    void reply.send({ signedOut: true });
  }

  @Get()
  async today(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const session = await this.viewer(req, reply);
    if (session === undefined) return;
    // While the live feed runs its snapshot is current to the poll; otherwise one read of its own.
    const snapshot = this.feed.latest() ?? (await readTraffic(this.db, this.s.edge.clock.now()));
    this.page(reply, todayPage(session, snapshot));
  }

  /** Server-sent events: the Today page's live fragments, re-rendered on every poll. */
  @Get('live')
  async live(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    assertOpsAllowedOnLane(req);
    const session = await sessionOf(this.users, this.db, req);
    if (session === undefined) throw problem(401, 'unauthenticated', 'Sign in to the dashboard first');
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 3000\n\n');
    const unsubscribe = this.feed.subscribe((message) => res.write(message));
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    heartbeat.unref();
    res.on('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
    });
  }

  @Get('routing')
  async routing(
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
    @Query('q') q?: string,
  ): Promise<void> {
    const session = await this.viewer(req, reply);
    if (session === undefined) return;
    const [rules, scheduled, reference] = await Promise.all([
      this.s.routing.list(),
      this.s.routing.listScheduled('pending'),
      RoutingReferenceData.load(this.db),
    ]);
    this.page(
      reply,
      routingPage(session, rules, scheduled, typeof q === 'string' ? q.slice(0, 200) : '', reference),
    );
  }

  @Get('routing/audit')
  async audit(
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
    @Query('ruleId') ruleId?: string,
  ): Promise<void> {
    const session = await this.viewer(req, reply);
    if (session === undefined) return;
    const rule = typeof ruleId === 'string' && ruleId.length <= 64 ? ruleId : undefined;
    const [listed, verdict] = await Promise.all([
      this.s.routing.listAudit({ limit: 500, ...(rule !== undefined ? { ruleId: rule } : {}) }),
      this.s.routing.verifyAudit(),
    ]);
    this.page(reply, auditPage(session, listed.items, verdict, rule));
  }

  @Post('api/routing/rules/:id')
  @HttpCode(200)
  async change(@Req() req: FastifyRequest, @Param('id') id: string, @Body() body: unknown): Promise<unknown> {
    const session = await this.operator(req);
    const parsed = changeSchema.safeParse(body);
    if (!parsed.success) {
      throw problem(400, 'invalid-request', 'The change is not complete', {
        errors: fieldErrors(parsed.error),
      });
    }
    const b = parsed.data;
    let effectiveAt: Date | undefined;
    if (b.effectiveAt !== undefined && b.effectiveAt.trim() !== '') {
      // datetime-local has no zone; the page says UTC.
      effectiveAt = new Date(
        /[zZ]|[+-]\d\d:?\d\d$/.test(b.effectiveAt) ? b.effectiveAt : `${b.effectiveAt}Z`,
      );
      if (Number.isNaN(effectiveAt.getTime()) || effectiveAt.getTime() <= this.s.edge.clock.now().getTime()) {
        throw problem(400, 'invalid-request', 'The change is not complete', {
          errors: [{ field: 'effectiveAt', message: 'must be a time in the future (UTC)' }],
        });
      }
    }
    try {
      const outcome = await this.s.routing.update(
        id,
        patchOf(b),
        { actor: actorOf(session.user), reason: b.reason },
        {
          ...(b.expectedVersion !== undefined ? { expectedVersion: b.expectedVersion } : {}),
          ...(effectiveAt !== undefined ? { effectiveAt } : {}),
        },
      );
      return outcome.kind === 'scheduled'
        ? { scheduled: outcome.scheduled.id, effectiveAt: outcome.scheduled.effectiveAt }
        : { applied: true, rule: outcome.rule };
    } catch (error) {
      if (error instanceof RoutingError) throw routingProblem(error);
      throw error;
    }
  }

  @Post('api/routing/dry-run')
  @HttpCode(200)
  async dryRun(@Req() req: FastifyRequest, @Body() body: unknown): Promise<unknown> {
    await this.operator(req, 'any-role');
    const parsed = dryRunSchema.safeParse(body);
    if (!parsed.success) {
      throw problem(400, 'invalid-request', 'The dry run needs a rule and a change', {
        errors: fieldErrors(parsed.error),
      });
    }
    try {
      return await this.s.routing.dryRun(
        { action: 'update', id: parsed.data.id, patch: patchOf(parsed.data) },
        7,
        this.s.edge.clock.now(),
        200,
      );
    } catch (error) {
      if (error instanceof RoutingError) throw routingProblem(error);
      throw error;
    }
  }

  @Post('api/routing/scheduled/:id/cancel')
  @HttpCode(200)
  async cancelScheduled(
    @Req() req: FastifyRequest,
    @Param('id') id: string,
    @Body() body: unknown,
  ): Promise<unknown> {
    const session = await this.operator(req);
    const parsed = cancelSchema.safeParse(body);
    if (!parsed.success) {
      throw problem(400, 'invalid-request', 'The cancellation needs a reason', {
        errors: fieldErrors(parsed.error),
      });
    }
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) {
      throw problem(404, 'routing-schedule-not-found', 'No such pending scheduled change');
    }
    try {
      const cancelled = await this.s.routing.cancelScheduled(id, {
        actor: actorOf(session.user),
        reason: parsed.data.reason,
      });
      return { cancelled: cancelled.id, state: cancelled.state };
    } catch (error) {
      if (error instanceof RoutingError) throw routingProblem(error);
      throw error;
    }
  }

  @Get('payments')
  async payments(
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
    @Query('q') q?: string,
    @Query('state') state?: string,
  ): Promise<void> {
    const session = await this.viewer(req, reply);
    if (session === undefined) return;
    const text = typeof q === 'string' ? q.slice(0, 200) : '';
    const wanted = typeof state === 'string' && /^[A-Z_]{3,32}$/.test(state) ? state : undefined;
    const found =
      wanted === undefined ? await searchPayments(this.db, text) : await paymentsInState(this.db, wanted);
    this.page(reply, paymentsPage(session, found, text, wanted));
  }

  @Get('payments/:id')
  async payment(
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
    @Param('id') id: string,
  ): Promise<void> {
    const session = await this.viewer(req, reply);
    if (session === undefined) return;
    const story = await paymentStory(this.db, id);
    if (story === undefined) {
      this.page(reply, paymentsPage(session, [], id, undefined), 404);
      return;
    }
    const [routeAudit, aftermath] = await Promise.all([
      story.payment.route === null
        ? []
        : this.s.routing.listAudit({ ruleId: story.payment.route.ruleId, limit: 50 }).then((l) => l.items),
      paymentAftermath(this.db, story.payment, this.s.webhooks.deliveries),
    ]);
    this.page(reply, paymentStoryPage(session, story, routeAudit, aftermath));
  }

  @Get('partners')
  async partners(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const session = await this.viewer(req, reply);
    if (session === undefined) return;
    const now = this.s.edge.clock.now();
    const onboarding = this.s.edge.onboarding;
    const [records, credentials, health] = await Promise.all([
      onboarding.list(now),
      this.s.edge.credentialStore.list(),
      this.s.webhooks.deliveries.health(this.db, now),
    ]);
    const partners = await Promise.all(
      records.map(async (p) => ({
        ...p,
        lanes: this.s.edge.lanes.assignmentsOf(p.id),
        next: await onboarding.nextGates(p.id, now),
        subscriptions: await this.s.webhooks.subscriptions.list(this.db, p.id),
        laneFit: await partnerLaneFit(this.s, p.id),
      })),
    );
    this.page(reply, partnersPage(session, partners, credentials, health, now));
  }
}
