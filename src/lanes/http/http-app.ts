import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { buildOpenApiDocument } from './openapi';
import type { LoggerService } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayServices } from '../gateway-services';
import type { Logger } from '../../infrastructure/logging/logger';
import { HttpLaneModule } from './http-lane.module';
import type { LaneDefinition } from '../lane-config';
import { installEdgeGuard } from './edge-guard';
import { installDashboardGuard } from './dashboard/dashboard-guard';
import { ProblemFilter, sendProblem } from './problem.filter';
import { problem } from '../../protocols/rest/problem';
import { keepRawBody } from './raw-body';
import { spoolReconUploads } from './recon-upload';

/** Body limits per route: JSON bill payments are small; ISO 20022 batches may be larger. */
const JSON_BODY_LIMIT = 16 * 1024;
const DEFAULT_BODY_LIMIT = 1024 * 1024;

/**
 * ISO 20022 endpoints take XML only. Refused before any body parser runs: otherwise Fastify's JSON
 * parser answers an unparsable application/json body 400 before the controller could say 415.
 */
const XML_MEDIA_TYPES = new Set(['application/xml', 'text/xml']);
function xmlOnly(req: FastifyRequest, reply: FastifyReply, _payload: unknown, done: (e: null) => void): void {
  const mediaType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (req.method === 'POST' && !XML_MEDIA_TYPES.has(mediaType)) {
    void sendProblem(
      reply,
      problem(415, 'unsupported-media-type', 'Unsupported content type', {
        detail: 'send the ISO 20022 message as application/xml',
      }).problem,
    );
    return;
  }
  done(null);
}

function hooksOf<T>(hooks: T | readonly T[] | undefined): T[] {
  if (hooks === undefined) return [];
  return Array.isArray(hooks) ? [...(hooks as readonly T[])] : [hooks as T];
}

class PinoNestLogger implements LoggerService {
  constructor(private readonly pino: Logger) {}
  log(message: unknown): void {
    this.pino.debug({ nest: true }, String(message));
  }
  error(message: unknown, trace?: string): void {
    this.pino.error({ nest: true, trace }, String(message));
  }
  warn(message: unknown): void {
    this.pino.warn({ nest: true }, String(message));
  }
  debug(message: unknown): void {
    this.pino.debug({ nest: true }, String(message));
  }
  verbose(message: unknown): void {
    this.pino.trace({ nest: true }, String(message));
  }
}

/**
 * Every ops write — the ops API and the dashboard's — leaves one log line: who, what, on which
 * subject, why, and how it ended, besides any audit chain the change writes: the log is what an
 * on-call engineer greps. Bodies are not logged (they may carry certificates or keys), only their reason.
 */
function logOpsWrite(services: GatewayServices, req: FastifyRequest, reply: FastifyReply): void {
  const body = req.body as { reason?: unknown } | null | undefined;
  const reason =
    typeof body === 'object' && body !== null && typeof body.reason === 'string' ? body.reason : null;
  services.log.info(
    {
      opsWrite: true,
      actor: req.opsActor ?? (req.principal?.type === 'ops' ? req.principal.user : null),
      method: req.method,
      route: req.routeOptions.url ?? req.url,
      params: req.params,
      reason,
      status: reply.statusCode,
    },
    'ops write',
  );
}

/** TLS of a lane's listener: server TLS, or mutual with the partners' CA (requestCert + reject). */
export interface LaneTls {
  readonly key: string;
  readonly cert: string;
  readonly ca?: string;
  readonly requestCert?: boolean;
  readonly rejectUnauthorized?: boolean;
}

/**
 * One Nest app per HTTP lane, all serving the same routes over the same services; each has its own
 * listener, TLS mode and edge guard. Without a lane: the unguarded listener of a gateway with no
 * lanes configured.
 */
export async function createHttpApp(
  services: GatewayServices,
  lane?: LaneDefinition,
  tls?: LaneTls,
): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: DEFAULT_BODY_LIMIT,
    logger: false,
    trustProxy: false,
    ...(tls !== undefined ? { https: { ...tls } } : {}),
  });
  const fastify = adapter.getInstance();
  if (lane !== undefined) installEdgeGuard(fastify, services, lane);
  installDashboardGuard(fastify, services, lane);
  // Limits live on the routes, not the parsers, so a refusal can state the limit that applied.
  keepRawBody(fastify, '/billers/');
  // Reconciliation files (POST /ops/recon/files, /partner/recon/files) stream to disk, never to memory.
  spoolReconUploads(fastify, async (authorization, route) => {
    const key = /^Bearer ([\x21-\x7E]{1,512})$/.exec(authorization ?? '')?.[1];
    if (key === undefined) return false;
    const principal = await services.authenticator.authenticate(key);
    return principal?.type === (route === 'ops' ? 'ops' : 'partner');
  });
  fastify.addHook('onRoute', (route) => {
    if (route.url.startsWith('/bill/')) route.bodyLimit = JSON_BODY_LIMIT;
    else if (route.url.startsWith('/iso20022/')) {
      route.bodyLimit = services.iso20022.maxBytes;
      route.preParsing = [...hooksOf(route.preParsing), xmlOnly];
    }
  });
  // Routing rules CSV import (POST /ops/routing/rules.csv): the body arrives as a string.
  fastify.addContentTypeParser('text/csv', { parseAs: 'string' }, (_req, body, done) => {
    done(null, body);
  });
  // ISO 20022 messages (POST /iso20022/...): the body arrives as raw bytes, capped at the engine's
  // limit; the engine screens and parses it (no parser of Fastify's ever sees the XML).
  fastify.addContentTypeParser(['application/xml', 'text/xml'], { parseAs: 'buffer' }, (_req, body, done) => {
    done(null, body);
  });
  fastify.addHook('onResponse', (req, reply, done) => {
    if (
      req.method !== 'GET' &&
      req.method !== 'HEAD' &&
      (req.url.startsWith('/ops/') || req.url.startsWith('/dashboard/api/'))
    )
      logOpsWrite(services, req, reply);
    services.metrics.httpRequests.inc({
      method: req.method,
      route: req.routeOptions.url ?? 'unmatched',
      code: String(reply.statusCode),
    });
    done();
  });

  const app = await NestFactory.create<NestFastifyApplication>(HttpLaneModule.forRoot(services), adapter, {
    logger: new PinoNestLogger(services.log),
    abortOnError: false,
  });
  app.useGlobalFilters(new ProblemFilter(services.log));
  const document = buildOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  await app.init();
  return app;
}
