import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createScratchDatabase } from './scratch-database';
import { loadConfig, type AppConfig } from '../../src/config/config';
import { startGateway, type Gateway, type GatewayOptions } from '../../src/bootstrap/gateway';
import { createLogger } from '../../src/infrastructure/logging/logger';

/**
 * Starts a whole gateway for a test file: on a fresh PGlite directory by default, or, when
 * DATABASE_URL is set (CI's second pass), on a fresh database created on that real PostgreSQL
 * server, with REDIS_URL's Redis under a key prefix of its own.
 */
export interface TestGateway extends Gateway {
  readonly config: AppConfig;
  /** Stops the gateway and drops what the test created. */
  stop(): Promise<void>;
}

export const usingRealServers = process.env.DATABASE_URL !== undefined;

/**
 * The key-encryption key of test gateways: one for all, so gateways of one spec that share a database
 * (two nodes) open each other's sealed secrets, as production nodes do with one SECRETS_KEK. A spec
 * passing SECRETS_KEK or SECRETS_KEK_FILE uses its own.
 */
export const TEST_SECRETS_KEK = `test-kek:${Buffer.alloc(32, 7).toString('base64')}`;

export async function createTestDatabase(): Promise<{ url: string | undefined; drop: () => Promise<void> }> {
  const adminUrl = process.env.DATABASE_URL;
  if (adminUrl === undefined) return { url: undefined, drop: () => Promise.resolve() };
  return createScratchDatabase(adminUrl, 'billgate_test');
}

export async function startTestGateway(
  env: Record<string, string> = {},
  options: GatewayOptions & { database?: { url: string | undefined; dataDir?: string } } = {},
): Promise<TestGateway> {
  const ownDatabase = options.database === undefined ? await createTestDatabase() : undefined;
  const databaseUrl = options.database?.url ?? ownDatabase?.url;
  const dataDir = options.database?.dataDir ?? mkdtempSync(join(tmpdir(), 'billgate-test-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    HTTP_PORT: '0',
    ISO8583_PORT: '0',
    CERTS_DIR: join(dataDir, 'certs'),
    MTLS_PORT: '0',
    BILLER_SIMULATOR_PORT: '0',
    CORE_BANKING_SIMULATOR_PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...(env.SECRETS_KEK_FILE === undefined ? { SECRETS_KEK: TEST_SECRETS_KEK } : {}),
    DEMO_DATA: 'true',
    SIMULATORS: 'true',
    ...(databaseUrl !== undefined ? { DATABASE_URL: databaseUrl } : {}),
    ...(process.env.REDIS_URL !== undefined
      ? {
          REDIS_URL: process.env.REDIS_URL,
          REDIS_KEY_PREFIX: `billgate-test-${randomBytes(4).toString('hex')}:`,
        }
      : {}),
    ...env,
  });
  const gateway = await startGateway(config, {
    logger: createLogger(config.logLevel),
    billerSimulator: { slowMs: 200, hangMs: 5_000 },
    ...options,
  });
  return {
    ...gateway,
    config,
    stop: async () => {
      await gateway.close();
      await ownDatabase?.drop();
      if (options.database?.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Another node of the same bank as `first`: the same database and the same outside parties (one
 * biller, one core banking, one agent banking core), as in production. A node with simulators of its
 * own would be a second biller that never saw the first node's payments.
 */
export function startAnotherNode(first: TestGateway, env: Record<string, string> = {}): Promise<TestGateway> {
  const sim = first.simulators;
  return startTestGateway(
    {
      ...(sim.biller !== undefined ? { BILLER_SIMULATOR_URL: sim.biller.url } : {}),
      ...(sim.coreBanking !== undefined ? { CORE_BANKING_URL: sim.coreBanking.url } : {}),
      ...(sim.agentBankingCore !== undefined ? { AGENT_BANKING_CORE_URL: sim.agentBankingCore.url } : {}),
      ...env,
    },
    { database: { url: first.config.databaseUrl } },
  );
}
