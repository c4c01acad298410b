import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AppConfig } from '../config/config';
import { BillTypeCatalog } from '../domain/catalog/bill-types';
import { BillerClient } from '../domain/billers/biller-client';
import { IdempotencyRepository } from '../domain/idempotency/idempotency.repository';
import { Ledger } from '../domain/ledger/ledger';
import { ApiKeyAuthenticator } from '../domain/partners/api-key-authenticator';
import { PaymentsRepository } from '../domain/payments/payments.repository';
import { AgentEngine } from '../domain/posting/agent-engine';
import { CoreBankingClient } from '../domain/posting/core-banking-client';
import { CoreBankingEngine } from '../domain/posting/core-banking-engine';
import { FloatEngine } from '../domain/posting/float-engine';
import { RouteResolver } from '../domain/routing/route-resolver';
import { RoutingRulesReader } from '../domain/routing/routing-rules.repository';
import { seedDemoData } from '../demo/demo-data';
import type { KeyValueCache } from '../infrastructure/cache/cache';
import { MemoryCache } from '../infrastructure/cache/memory-cache';
import { RedisCache } from '../infrastructure/cache/redis-cache';
import { openDatabase, type DatabaseHandle } from '../infrastructure/database/database';
import { migrateToLatest } from '../infrastructure/database/migrator';
import { JsonHttpClient } from '../infrastructure/http/http-client';
import { createLogger, type Logger } from '../infrastructure/logging/logger';
import { Metrics } from '../infrastructure/metrics/metrics';
import { createHttpApp } from '../lanes/http/http-app';
import { BillPayPipeline } from '../pipeline/bill-pay.pipeline';
import { Housekeeping } from '../pipeline/housekeeping';
import { BillerSimulator } from '../simulators/biller-simulator';
import { CoreBankingSimulator } from '../simulators/core-banking-simulator';
import type { GatewayServices } from './services';

export interface Gateway {
  readonly services: GatewayServices;
  readonly http: NestFastifyApplication;
  readonly httpUrl: string;
  readonly simulators: { readonly biller?: BillerSimulator; readonly coreBanking?: CoreBankingSimulator };
  close(): Promise<void>;
}

export interface GatewayOptions {
  readonly logger?: Logger;
  /** Simulator tuning for tests (how long SLOW and TIMEOUT references take). */
  readonly billerSimulator?: ConstructorParameters<typeof BillerSimulator>[0];
}

/** The composition root: builds every service from the configuration and starts the lanes. */
export async function startGateway(config: AppConfig, options: GatewayOptions = {}): Promise<Gateway> {
  const log = options.logger ?? createLogger(config.logLevel);
  const closers: (() => Promise<void>)[] = [];
  const close = async (): Promise<void> => {
    for (const c of closers.reverse()) {
      await c().catch((error: unknown) => log.warn({ err: error }, 'error while closing'));
    }
  };

  try {
    const database: DatabaseHandle = await openDatabase({
      url: config.databaseUrl,
      dataDir: config.dataDir,
      poolSize: config.databasePoolSize,
    });
    closers.push(() => database.close());
    const applied = await migrateToLatest(database.db as never);
    if (applied.length > 0) log.info({ migrations: applied }, 'database migrated');

    const metrics = new Metrics();
    const cache: KeyValueCache =
      config.redisUrl !== undefined
        ? new RedisCache({
            url: config.redisUrl,
            keyPrefix: config.redisKeyPrefix,
            onError: (error) => log.debug({ err: error.message }, 'redis error'),
          })
        : new MemoryCache();
    closers.push(() => cache.close());

    const simulators: { biller?: BillerSimulator; coreBanking?: CoreBankingSimulator } = {};
    let coreBankingUrl = config.coreBankingUrl;
    if (config.simulators) {
      simulators.biller = new BillerSimulator(options.billerSimulator);
      await simulators.biller.start(config.billerSimulatorPort);
      closers.push(() => simulators.biller?.stop() ?? Promise.resolve());
      simulators.coreBanking = new CoreBankingSimulator();
      const cbsUrl = await simulators.coreBanking.start(config.coreBankingSimulatorPort);
      closers.push(() => simulators.coreBanking?.stop() ?? Promise.resolve());
      coreBankingUrl ??= cbsUrl;
    }
    if (config.demoData) {
      const biller = simulators.biller;
      if (biller === undefined) throw new Error('demo data needs the biller simulator (SIMULATORS=true)');
      await seedDemoData(database.db, (id) => biller.endpoint(id.replace(/^sim-/, '')));
    }

    const http = new JsonHttpClient();
    closers.push(() => http.close());
    const ledger = new Ledger();
    const payments = new PaymentsRepository();
    const idempotency = new IdempotencyRepository(config.idempotencyRetentionHours);
    const routes = new RouteResolver(
      new RoutingRulesReader(database.db),
      cache,
      { ttlMs: config.routeCacheTtlMs, negativeTtlMs: config.routeNegativeTtlMs },
      metrics,
      log,
    );
    await routes.start();
    if (cache instanceof RedisCache) cache.onReconnect(() => routes.markSharedRecovered());
    closers.push(() => routes.close());

    const pipeline = new BillPayPipeline({
      db: database.db,
      routes,
      idempotency,
      payments,
      floatEngine: new FloatEngine(ledger),
      agentEngine: new AgentEngine(ledger),
      coreBanking: new CoreBankingEngine(
        ledger,
        new CoreBankingClient(
          http,
          coreBankingUrl ?? 'http://127.0.0.1:1',
          config.coreBankingTimeoutMs,
          metrics,
        ),
      ),
      billers: new BillerClient(http, metrics),
      metrics,
      log,
    });

    const housekeeping = new Housekeeping(
      database.db,
      idempotency,
      payments,
      config.inFlightTimeoutMs,
      metrics,
      log,
    );
    housekeeping.start();
    closers.push(() => Promise.resolve(housekeeping.stop()));

    const services: GatewayServices = {
      config,
      database,
      cache,
      metrics,
      log,
      authenticator: new ApiKeyAuthenticator(database.db),
      billTypes: new BillTypeCatalog(database.db),
      pipeline,
      payments,
      ledger,
      routes,
    };

    const app = await createHttpApp(services);
    closers.push(() => app.close());
    await app.listen({ port: config.http.port, host: config.http.host });
    const address = app.getHttpServer().address();
    const port = typeof address === 'object' && address !== null ? address.port : config.http.port;
    const httpUrl = `http://${config.http.host}:${port}`;

    return { services, http: app, httpUrl, simulators, close };
  } catch (error) {
    await close();
    throw error;
  }
}
