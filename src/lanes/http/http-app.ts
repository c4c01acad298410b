import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { LoggerService } from '@nestjs/common';
import type { GatewayServices } from '../../bootstrap/services';
import type { Logger } from '../../infrastructure/logging/logger';
import { HttpLaneModule } from './http-lane.module';
import type { LaneDefinition } from '../lane-config';
import { installEdgeGuard } from './edge-guard';
import { ProblemFilter } from './problem.filter';
import { keepRawBody } from './raw-body';

/** Body limits per route: JSON bill payments are small; ISO 20022 batches may be larger. */
const JSON_BODY_LIMIT = 16 * 1024;
const DEFAULT_BODY_LIMIT = 1024 * 1024;

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
  keepRawBody(fastify, '/billers/');
  fastify.addHook('onRoute', (route) => {
    if (route.url.startsWith('/bill/')) route.bodyLimit = JSON_BODY_LIMIT;
  });
  // Routing rules CSV import (POST /ops/routing/rules.csv): the body arrives as a string.
  fastify.addContentTypeParser(
    'text/csv',
    { parseAs: 'string', bodyLimit: DEFAULT_BODY_LIMIT },
    (_req, body, done) => {
      done(null, body);
    },
  );
  // ISO 20022 messages (POST /iso20022/...): the body arrives as raw bytes, capped at the engine's
  // limit; the engine screens and parses it (no parser of Fastify's ever sees the XML).
  fastify.addContentTypeParser(
    ['application/xml', 'text/xml'],
    { parseAs: 'buffer', bodyLimit: services.iso20022.maxBytes },
    (_req, body, done) => {
      done(null, body);
    },
  );
  fastify.addHook('onResponse', (req, reply, done) => {
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
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('billgate')
      .setDescription('Bill-payment edge gateway: REST lane and ops API')
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  await app.init();
  return app;
}
