import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { sql } from 'kysely';
import type { AppConfig } from '../config/config';
import { BillTypeCatalog } from '../domain/catalog/bill-types';
import { GatewayNodesRepository } from '../domain/cluster/gateway-nodes.repository';
import { isTransientDatabaseError } from '../domain/db';
import { NodeLease } from '../domain/cluster/node-lease';
import { BillerClient } from '../domain/billers/biller-client';
import { BillerDirectory } from '../domain/billers/biller-directory';
import { BillerAdmin } from '../domain/billers/biller-admin';
import { readWaiting, WAITING_STATES } from '../domain/ops-views/live-traffic';
import { IdempotencyRepository } from '../domain/idempotency/idempotency.repository';
import { Ledger } from '../domain/ledger/ledger';
import { ApiKeyAuthenticator } from '../domain/partners/api-key-authenticator';
import { PaymentsRepository } from '../domain/payments/payments.repository';
import { AgentEngine } from '../domain/posting/agent-engine';
import { CoreBankingClient } from '../domain/posting/core-banking-client';
import { CoreBankingEngine } from '../domain/posting/core-banking-engine';
import { FloatEngine } from '../domain/posting/float-engine';
import { PaymentFinisher } from '../domain/payments/payment-finisher';
import { PaymentIntake } from '../domain/payments/payment-intake';
import { CoreBankingPostingWriter } from '../domain/posting/core-banking-posting-writer';
import { CoreBankingRefunds } from '../domain/posting/core-banking-refunds';
import { FloatPaymentWriter } from '../domain/posting/float-payment-writer';
import { RouteResolver } from '../domain/routing/route-resolver';
import { RoutingAdmin } from '../domain/routing/routing-admin';
import { RoutingRulesReader } from '../domain/routing/routing-rules.repository';
import { DEMO_PARTNERS, seedDemoData } from '../demo/demo-data';
import { seedDemoOpsUsers } from '../demo/demo-ops-users';
import type { KeyValueCache } from '../infrastructure/cache/cache';
import { MemoryCache } from '../infrastructure/cache/memory-cache';
import { RedisCache } from '../infrastructure/cache/redis-cache';
import { openDatabase, type DatabaseHandle } from '../infrastructure/database/database';
import { DatabaseHealth } from '../infrastructure/database/database-health';
import { migrateToLatest } from '../infrastructure/database/migrator';
import { JsonHttpClient } from '../infrastructure/http/http-client';
import { JobRunner } from '../infrastructure/jobs';
import { createLogger, type Logger } from '../infrastructure/logging/logger';
import { Metrics } from '../infrastructure/metrics/metrics';
import { createHttpLanes } from '../lanes/http/http-lanes';
import { resolveLanes } from '../lanes/config-file';
import { createEdgeSecurity } from '../lanes/security/edge/create-edge';
import { systemClock, type Clock } from '../lanes/security/clock';
import { createIso8583Lane } from '../lanes/iso8583/iso8583-lane';
import type { Iso8583TcpServer } from '../lanes/iso8583/iso8583-tcp.server';
import type { LaneDefinition } from '../lanes/lane-config';
import { PartnersRepository } from '../domain/partners/partners.repository';
import { ReversalService } from '../pipeline/reversal.service';
import { EarlyReversals } from '../pipeline/early-reversals';
import { EarlyReversalsRepository } from '../domain/payments/early-reversals.repository';
import { Iso20022Engine } from '../protocols/iso20022/engine';
import { BillPayPipeline } from '../pipeline/bill-pay.pipeline';
import { DurableOutcomes } from '../pipeline/durable-outcome';
import { Housekeeping } from '../pipeline/housekeeping';
import { BillerSimulator, billerSimulatorEndpoint } from '../simulators/biller-simulator';
import { CoreBankingSimulator } from '../simulators/core-banking-simulator';
import { addReversalControl } from '../simulators/biller-reversal-control';
import type { FollowUpServices, GatewayServices } from '../lanes/gateway-services';
import { createBillerReversals, createOutbox, createWebhooks } from './webhooks';
import { createFollowUps } from './follow-ups';
import { prepareSealedSecrets, secretSealerOf } from './secrets';
import { AgentBankingCoreSimulator } from '../simulators/agent-banking-core-simulator';
import { applyBillgateConfig } from './config-declarations';
import { agentBankingCore, createAgentServices } from './agent-services';
import { addBillInquiry } from '../simulators/biller-bill-inquiry';
import { addPostingFile } from '../simulators/biller-posting-file';
import { BillInquiry } from '../pipeline/bill-inquiry';
import { OpsAuditLog } from '../domain/audit/ops-audit-log';
import { seedDemoRecon } from '../demo/demo-recon';
import { createRecon } from './recon';

export interface Gateway {
  readonly services: GatewayServices;
  readonly http: NestFastifyApplication;
  readonly httpUrl: string;
  /** Base URL of each HTTP lane by lane id (https:// for TLS lanes). */
  readonly httpLanes: Readonly<Record<string, string>>;
  readonly lanes: readonly LaneDefinition[];
  /** Bound ports of the ISO 8583 lanes, by lane id. */
  readonly iso8583Ports: Readonly<Record<string, number>>;
  readonly simulators: {
    readonly biller?: BillerSimulator;
    readonly coreBanking?: CoreBankingSimulator;
    readonly agentBankingCore?: AgentBankingCoreSimulator;
  };
  close(): Promise<void>;
}

export interface GatewayOptions {
  readonly logger?: Logger;
  /** Simulator tuning for tests (how long SLOW and TIMEOUT references take). */
  readonly billerSimulator?: ConstructorParameters<typeof BillerSimulator>[0];
  /** Decides credential and token validity (tests pass a ManualClock). */
  readonly clock?: Clock;
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
    // Names this process in gateway_nodes and on every in-flight key it claims; a restarted node is a
    // new node, so what the dead one left is recovered by lease, never mistaken for its own.
    const nodeId = `node-${randomBytes(6).toString('hex')}`;
    // The key-encryption keys first: a missing or malformed one stops the start before anything opens.
    const sealer = secretSealerOf(config, { create: true, log });
    const database: DatabaseHandle = await openDatabase({
      nodeId,
      purpose: 'the billgate gateway',
      url: config.databaseUrl,
      dataDir: config.dataDir,
      poolSize: config.databasePoolSize,
      onConnectionError: (error) =>
        log.warn({ err: error.message }, 'database connection lost; the pool replaces it'),
    });
    closers.push(() => database.close());
    const applied = await untilDatabaseAnswers(() => migrateToLatest(database.db as never), log);
    if (applied.length > 0) log.info({ migrations: applied }, 'database migrated');
    await untilDatabaseAnswers(() => prepareSealedSecrets(database.db, sealer, { nodeId, log }), log);

    const metrics = new Metrics();
    const databaseHealth = new DatabaseHealth({
      probe: () => sql`select 1`.execute(database.db),
      onChange: (up, error) => {
        metrics.databaseUp.set(up ? 1 : 0);
        if (up) log.warn('database reachable again; node ready');
        else log.error({ err: error?.message }, 'database unreachable; node not ready, reconnecting');
      },
    });
    metrics.databaseUp.set(1);
    databaseHealth.start();
    closers.push(() => Promise.resolve(databaseHealth.stop()));

    // Writes after money moved, retried through a database outage; drained before the pool closes.
    const outcomes = new DurableOutcomes({ log, inRequestMs: config.outcomeWaitMs });
    closers.push(() => outcomes.close());

    const lease = new NodeLease(database.db, new GatewayNodesRepository(), nodeId, {
      leaseMs: config.nodeLeaseMs,
      heartbeatMs: config.nodeHeartbeatMs,
      host: hostname(),
      pid: process.pid,
      onLapsed: (error) => {
        metrics.nodeLeaseHeld.set(0);
        log.error(
          { err: error?.message, nodeId },
          'node lease lapsed: other nodes may answer its in-flight keys',
        );
      },
      onRegained: () => {
        metrics.nodeLeaseHeld.set(1);
        log.warn({ nodeId }, 'node lease held again');
      },
    });
    await lease.start();
    metrics.nodeLeaseHeld.set(1);
    closers.push(() => lease.stop());
    const cache: KeyValueCache =
      config.redisUrl !== undefined
        ? new RedisCache({
            url: config.redisUrl,
            keyPrefix: config.redisKeyPrefix,
            onError: (error) => log.debug({ err: error.message }, 'redis error'),
          })
        : new MemoryCache();
    closers.push(() => cache.close());

    const simulators: {
      biller?: BillerSimulator;
      coreBanking?: CoreBankingSimulator;
      agentBankingCore?: AgentBankingCoreSimulator;
    } = {};
    let coreBankingUrl = config.coreBankingUrl;
    let agentBankingCoreUrl = config.agentBankingCoreUrl;
    if (config.simulators) {
      // The in-process biller keeps its book beside the embedded database, so a restarted demo still
      // knows what it was paid (status inquiries, posting files).
      simulators.biller = new BillerSimulator({
        stateDir: join(config.dataDir, 'biller-simulator'),
        ...options.billerSimulator,
      });
      addReversalControl(simulators.biller);
      addBillInquiry(simulators.biller);
      addPostingFile(simulators.biller);
      await simulators.biller.start(config.billerSimulatorPort);
      closers.push(() => simulators.biller?.stop() ?? Promise.resolve());
      simulators.coreBanking = new CoreBankingSimulator();
      const cbsUrl = await simulators.coreBanking.start(config.coreBankingSimulatorPort);
      closers.push(() => simulators.coreBanking?.stop() ?? Promise.resolve());
      coreBankingUrl ??= cbsUrl;
      if (agentBankingCoreUrl === undefined) {
        const agentCore = new AgentBankingCoreSimulator();
        simulators.agentBankingCore = agentCore;
        agentBankingCoreUrl = await agentCore.start(0);
        closers.push(() => agentCore.stop());
      }
    }
    if (config.demoData) {
      // An external simulator (BILLER_SIMULATOR_URL, `billgate simulators`) wins over the in-process one.
      const billerUrl = config.billerSimulatorUrl ?? simulators.biller?.url;
      if (billerUrl === undefined) {
        throw new Error('demo data needs the biller simulator (SIMULATORS=true or BILLER_SIMULATOR_URL)');
      }
      await seedDemoData(database.db, (id) => billerSimulatorEndpoint(billerUrl, id.replace(/^sim-/, '')));
      await seedDemoOpsUsers(database.db);
      await seedDemoRecon(
        database.db,
        DEMO_PARTNERS.map((p) => p.id),
        billerUrl,
      );
      if (coreBankingUrl === undefined) {
        log.warn('demo data without a core banking system: set CORE_BANKING_URL or SIMULATORS=true');
      }
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
    const routing = new RoutingAdmin(database.db, routes, metrics, log);
    // Scheduled work done once per cluster per period (recurring jobs, src/infrastructure/jobs):
    // scheduled routing changes and the housekeeping sweep; started once both are registered.
    const recurring = new JobRunner(database.db, log, { owner: `${nodeId}-recurring` });
    routing.scheduleOn(recurring);

    const billers = new BillerClient(http, metrics);
    const billerDirectory = new BillerDirectory(database.db);
    await billerDirectory.start(cache);
    const engines = {
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
    };
    // Bound once the follow-ups exist (they need the refunds): a refused refund parks its payment for ops.
    const refunds = new CoreBankingRefunds(
      (order) => engines.coreBanking.refund(order),
      async (tx, paymentId, detail) => {
        await followUps.decisions.parkInTx(tx, paymentId, `core banking refused the refund: ${detail}`);
      },
    );
    const outbox = createOutbox();
    const agentCore = agentBankingCore(http, agentBankingCoreUrl, config.agentBankingCoreTimeoutMs, metrics);
    const followUps: FollowUpServices = createFollowUps({
      db: database.db,
      config,
      engines,
      payments,
      idempotency,
      ledger,
      refunds,
      billers,
      billerDirectory,
      agentCore,
      events: outbox.outbox,
      metrics,
      log,
    });
    const batchObserver = (writer: string) => (size: number) => metrics.batchSize.observe({ writer }, size);
    // Group commit (see MicroBatcher): two runs at once keep the pool busy while the next batch fills.
    const batchFailed = (writer: string) => (_size: number, outcome: 'split' | 'failed') =>
      metrics.batchFailures.inc({ writer, outcome });
    const groupCommit = (writer: string) => ({
      maxBatch: config.groupCommitMax,
      maxInFlight: 2,
      observe: batchObserver(writer),
      failed: batchFailed(writer),
    });
    // The float writer hands these options on to its batchers as they are (MicroBatcherOptions).
    const floatWriterOptions = {
      maxBatch: config.groupCommitMax,
      observe: batchObserver('float'),
      failed: batchFailed('float'),
    };
    const earlyReversals = new EarlyReversals({
      db: database.db,
      idempotency,
      payments,
      earlyReversals: new EarlyReversalsRepository(),
      log,
    });
    const pipeline = new BillPayPipeline({
      db: database.db,
      routes,
      idempotency,
      payments,
      ...engines,
      billers,
      billerDirectory,
      ledger,
      floatWriter: new FloatPaymentWriter(database.db, floatWriterOptions),
      finisher: new PaymentFinisher(database.db, payments, undefined, groupCommit('finish')),
      intake: new PaymentIntake(database.db, payments, groupCommit('intake')),
      coreBankingPostings: new CoreBankingPostingWriter(database.db, groupCommit('core-banking')),
      agentCore,
      metrics,
      log,
      earlyReversals,
      outcomes,
      followUps: followUps.followUps,
      undo: followUps.undo,
    });
    const reversals = new ReversalService({
      db: database.db,
      events: outbox.outbox,
      idempotency,
      payments,
      billers,
      billerDirectory,
      metrics,
      log,
      earlyReversals,
      undo: followUps.undo,
      followUps: followUps.followUps,
      decisions: followUps.decisions,
    });
    const partners = new PartnersRepository(database.db);
    // Compiles every ISO 20022 XSD once (~0.35 s); shared by the HTTP lane for the gateway's life.
    const iso20022 = await Iso20022Engine.create();
    closers.push(() => Promise.resolve(iso20022.dispose()));

    const housekeeping = new Housekeeping(
      database.db,
      idempotency,
      payments,
      config.inFlightTimeoutMs,
      metrics,
      log,
      refunds,
      lease,
      followUps.followUps,
    );
    housekeeping.scheduleOn(recurring, config.housekeepingIntervalMs);
    recurring.start(Math.min(config.housekeepingIntervalMs, config.followUps.pollMs));
    closers.push(() => recurring.stop());

    const clock = options.clock ?? systemClock;
    const authenticator = new ApiKeyAuthenticator(database.db, 5_000, () => clock.now().getTime());
    const lanes = resolveLanes(config);
    const edgeSetup = await createEdgeSecurity({
      db: database.db,
      sealer,
      config,
      lanes,
      clock,
      metrics,
      log,
      forgetApiKeys: () => authenticator.forget(),
    });
    closers.push(() => Promise.resolve(edgeSetup.close()));
    const billTypes = new BillTypeCatalog(database.db);
    const billerAdmin = new BillerAdmin(database.db, { directory: billerDirectory, routes, billTypes }, log);
    // The file's partners, schedules and billers, through the audited paths ops use (idempotent).
    await applyBillgateConfig(config.configFile, {
      db: database.db,
      onboarding: edgeSetup.edge.onboarding,
      billers: billerAdmin,
      now: clock.now(),
      log,
    });
    const webhooks = createWebhooks(
      {
        db: database.db,
        config,
        metrics,
        log,
        secretsOf: (partnerId) => edgeSetup.edge.credentials.webhookSigningSecrets(partnerId),
      },
      outbox,
    );
    closers.push(() => webhooks.close());
    const billerReversals = await createBillerReversals({
      db: database.db,
      sealer,
      config,
      payments,
      undo: followUps.undo,
      outbox: outbox.outbox,
      log,
    });

    // Payments waiting for a final state, read from the database on each scrape (cluster-wide).
    metrics.onScrape('waiting', async () => {
      const waiting = await readWaiting(database.db, new Date());
      for (const state of WAITING_STATES) {
        const w = waiting.find((x) => x.state === state);
        metrics.paymentsWaiting.set({ state }, w?.count ?? 0);
        metrics.paymentsWaitingOldestAge.set({ state }, w?.oldestAgeSeconds ?? 0);
      }
    });
    const recon = await createRecon({
      db: database.db,
      ledger,
      audit: new OpsAuditLog(),
      metrics,
      log,
      timeZone: config.recon.timeZone,
      ...(config.recon.cycle ? { cycle: { intervalMs: config.recon.cycleIntervalMs, owner: nodeId } } : {}),
      ...(config.recon.inboxDir !== undefined ? { inboxDir: config.recon.inboxDir } : {}),
    });
    closers.push(() => recon.close());

    const services: GatewayServices = {
      config,
      database,
      sealer,
      databaseHealth,
      cache,
      metrics,
      log,
      authenticator,
      billTypes,
      pipeline,
      payments,
      ledger,
      routes,
      routing,
      reversals,
      iso20022,
      edge: edgeSetup.edge,
      webhooks,
      billerReversals,
      agents: createAgentServices(database.db, ledger, pipeline),
      billInquiry: new BillInquiry(routes, billerDirectory, billers),
      followUps,
      billers: billerAdmin,
      recon,
    };

    const httpLaneApps = await createHttpLanes(services, lanes, edgeSetup.laneTls);
    closers.push(() => httpLaneApps.close());
    const app = httpLaneApps.primary;
    const iso8583Servers = new Map<string, Iso8583TcpServer>();
    for (const lane of lanes.filter((l) => l.protocol === 'iso8583')) {
      const server = createIso8583Lane(lane, {
        pipeline,
        reversals,
        partners,
        billTypes: services.billTypes,
        cardTokenSecret: config.cardTokenSecret,
        metrics,
        log,
        tls: edgeSetup.laneTls.get(lane.id),
        checkCertificate: (cert) => edgeSetup.edge.checkClientCertificate(lane.id, cert),
      });
      app.connectMicroservice({ strategy: server });
      iso8583Servers.set(lane.id, server);
    }
    await app.startAllMicroservices();
    const listeners = await httpLaneApps.listen(config.http);
    const httpLanes = Object.fromEntries(listeners.map((l) => [l.laneId, l.url]));
    const httpUrl = listeners[0]?.url ?? `http://${config.http.host}:${config.http.port}`;

    webhooks.worker.start();
    followUps.runner.start(config.followUps.pollMs);
    closers.push(() => followUps.runner.stop());
    const iso8583Ports = Object.fromEntries([...iso8583Servers].map(([id, s]) => [id, s.port]));
    return { services, http: app, httpUrl, httpLanes, lanes, iso8583Ports, simulators, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * A node started while its database is away (restarting, failing over) waits for it with backoff
 * instead of exiting, for up to a minute; a supervisor restarting a node in a loop would only add
 * connection storms to the outage.
 */
async function untilDatabaseAnswers<T>(work: () => Promise<T>, log: Logger, withinMs = 60_000): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const cause = error instanceof Error && error.cause !== undefined ? error.cause : error;
      if (!isTransientDatabaseError(cause) || Date.now() > deadline) throw error;
      const delay = Math.min(4_000, 250 * 2 ** attempt);
      log.warn(
        { err: error instanceof Error ? error.message : String(error), retryInMs: delay },
        'database not reachable at start-up; waiting',
      );
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
