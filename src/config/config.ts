import { z } from 'zod';
import { parseRetrySchedule, STANDARD_RETRY_SCHEDULE_MS } from '../domain/webhooks/retry-schedule';

/** Secrets that ship with the embedded demo. Production refuses to start while any of them is in use. */
export const DEFAULT_SECRETS = {
  webhookSigningSecret: 'dev-webhook-secret-not-for-production',
  cardTokenSecret: 'dev-card-token-secret-not-for-production',
} as const;

const port = z.coerce.number().int().min(0).max(65535);
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** The stable configuration names of DESIGN.md, plus a few tuning knobs that default sensibly. */
const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(20),
  /** Most payments one group-commit statement writes; 1 writes each payment on its own. */
  DB_GROUP_COMMIT_MAX: z.coerce.number().int().min(1).max(1000).default(256),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  REDIS_KEY_PREFIX: z.string().default('billgate:'),
  HTTP_PORT: port.default(8080),
  HTTP_HOST: z.string().default('127.0.0.1'),
  MTLS_PORT: port.default(8443),
  ISO8583_PORT: port.default(8583),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  BILLGATE_CONFIG: z.string().optional(),
  /** TLS material of the lanes without their own files: the development PKI, relative to the cwd. */
  CERTS_DIR: z.string().min(1).default('certs/dev'),
  DEMO_DATA: bool.optional(),
  SIMULATORS: bool.optional(),
  BILLER_SIMULATOR_PORT: port.default(8091),
  CORE_BANKING_SIMULATOR_PORT: port.default(8092),
  /** Where `billgate simulators` keeps the simulated billers' book across its restarts (memory when unset). */
  BILLER_SIMULATOR_STATE_DIR: z.string().min(1).optional(),
  /** A biller simulator running as its own process (`billgate simulators`): the demo billers' base URL. */
  BILLER_SIMULATOR_URL: z.url({ protocol: /^https?$/ }).optional(),
  CORE_BANKING_URL: z.url().optional(),
  CORE_BANKING_TIMEOUT_MS: z.coerce.number().int().min(50).max(60000).default(5000),
  /** The agent banking core (agents' system of record); the in-process simulator when unset. */
  AGENT_BANKING_CORE_URL: z.url().optional(),
  AGENT_BANKING_CORE_TIMEOUT_MS: z.coerce.number().int().min(50).max(60000).default(3000),
  ROUTE_CACHE_TTL_MS: z.coerce.number().int().min(0).default(60000),
  ROUTE_NEGATIVE_TTL_MS: z.coerce.number().int().min(0).default(5000),
  IDEMPOTENCY_RETENTION_HOURS: z.coerce.number().int().min(72).default(72),
  IN_FLIGHT_TIMEOUT_MS: z.coerce.number().int().min(1000).default(120000),
  /** A node's lease on its in-flight requests, renewed every NODE_HEARTBEAT_MS (issue 10). */
  NODE_LEASE_MS: z.coerce.number().int().min(1000).max(300000).default(10000),
  NODE_HEARTBEAT_MS: z.coerce.number().int().min(100).default(2500),
  HOUSEKEEPING_INTERVAL_MS: z.coerce.number().int().min(100).default(2000),
  /** How long a request whose money has moved waits out a database outage before answering 500. */
  OUTCOME_WAIT_MS: z.coerce.number().int().min(0).max(60000).default(5000),
  WEBHOOK_SIGNING_SECRET: z.string().min(16).default(DEFAULT_SECRETS.webhookSigningSecret),
  CARD_TOKEN_SECRET: z.string().min(16).default(DEFAULT_SECRETS.cardTokenSecret),
  /** Waits after each failed webhook delivery, e.g. `1s,2s,4s`; the Standard Webhooks schedule by default. */
  WEBHOOK_RETRY_SCHEDULE: z.string().optional(),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60000).default(15000),
  WEBHOOK_POLL_MS: z.coerce.number().int().min(10).max(60000).default(250),
  /** Waits between status inquiries on a PENDING payment, e.g. `10s,30s,1m`; the last one repeats. */
  RESOLUTION_RETRY_SCHEDULE: z.string().default('10s,30s,1m,2m,5m,10m,30m,1h'),
  /** Inquiries on a PENDING payment before it is parked for ops (NEEDS_ATTENTION). */
  RESOLUTION_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(10000).default(48),
  /** How long "no such debit" from core banking may still mean "not yet". */
  CORE_BANKING_STATUS_WINDOW_MS: z.coerce.number().int().min(0).max(86400000).default(120000),
  /** Waits between attempts to forward a reversal to a biller or the agent banking core; the last repeats. */
  FOLLOW_UP_RETRY_SCHEDULE: z.string().default('5s,30s,2m,10m,30m,1h'),
  /** Attempts to forward a reversal before the payment is parked for ops. */
  FOLLOW_UP_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(10000).default(72),
  /** How often each node looks for due follow-ups (resolutions, reversals to forward). */
  JOB_POLL_MS: z.coerce.number().int().min(10).max(60000).default(1000),
  /** Reconciliation (issue 12): the business day's time zone, the watched inbox, the nightly cycle. */
  RECON_TIME_ZONE: z
    .string()
    .default('Asia/Dhaka')
    .refine((tz) => {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, 'an IANA time zone such as Asia/Dhaka'),
  RECON_INBOX_DIR: z.string().min(1).optional(),
  RECON_CYCLE: bool.default(true),
  RECON_CYCLE_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(30000),
});

export type Env = z.input<typeof envSchema>;

/** Every environment variable the gateway reads; the README's configuration table is checked against it. */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(envSchema.shape);

/**
 * The setting that chose a port, so a start-up failure on it can say what to change. Ports of lanes
 * described in BILLGATE_CONFIG are not known here.
 */
export function portSetting(config: AppConfig, port: number): string | undefined {
  const settings: [string, number][] = [
    ['HTTP_PORT', config.http.port],
    ['MTLS_PORT', config.mtlsPort],
    ['ISO8583_PORT', config.iso8583Port],
    ['BILLER_SIMULATOR_PORT', config.billerSimulatorPort],
    ['CORE_BANKING_SIMULATOR_PORT', config.coreBankingSimulatorPort],
  ];
  return settings.find(([, p]) => p === port && p !== 0)?.[0];
}

export interface AppConfig {
  readonly nodeEnv: 'development' | 'test' | 'production';
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  readonly databasePoolSize: number;
  readonly groupCommitMax: number;
  readonly redisUrl: string | undefined;
  readonly redisKeyPrefix: string;
  readonly http: { readonly host: string; readonly port: number };
  readonly mtlsPort: number;
  readonly iso8583Port: number;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly configFile: string | undefined;
  readonly certsDir: string;
  /** Seed demo partners, billers, routes and accounts (embedded default only). */
  readonly demoData: boolean;
  /** Start the biller and core-banking simulators on loopback. */
  readonly simulators: boolean;
  readonly billerSimulatorPort: number;
  readonly coreBankingSimulatorPort: number;
  /**
   * Base URL of a biller simulator in its own process (`billgate simulators`): the demo billers point
   * there instead of at the in-process simulator. Setting it turns SIMULATORS off unless set explicitly.
   */
  readonly billerSimulatorUrl: string | undefined;
  /** Where the core banking system listens; the simulator's address when simulators run. */
  readonly coreBankingUrl: string | undefined;
  readonly coreBankingTimeoutMs: number;
  readonly agentBankingCoreUrl: string | undefined;
  readonly agentBankingCoreTimeoutMs: number;
  readonly routeCacheTtlMs: number;
  readonly routeNegativeTtlMs: number;
  readonly idempotencyRetentionHours: number;
  readonly inFlightTimeoutMs: number;
  readonly nodeLeaseMs: number;
  readonly nodeHeartbeatMs: number;
  /** Between housekeeping sweeps (dead nodes' in-flight keys, owed refunds, expired keys). */
  readonly housekeepingIntervalMs: number;
  readonly outcomeWaitMs: number;
  readonly webhookSigningSecret: string;
  /** Keys the HMAC that turns a card number into a card token; full card numbers are never stored. */
  readonly cardTokenSecret: string;
  readonly webhooks: {
    /** Waits after each failed delivery, in ms. */
    readonly retryScheduleMs: readonly number[];
    readonly timeoutMs: number;
    readonly pollMs: number;
  };
  /** How PENDING payments are resolved and reversals forwarded (src/pipeline/resolution). */
  readonly followUps: {
    readonly resolutionScheduleMs: readonly number[];
    readonly resolutionMaxAttempts: number;
    readonly coreBankingStatusWindowMs: number;
    readonly retryScheduleMs: readonly number[];
    readonly maxAttempts: number;
    readonly pollMs: number;
  };
  readonly recon: {
    /** The time zone business days are counted in (Asia/Dhaka by default). */
    readonly timeZone: string;
    /** A directory watched for partner and biller files (none when unset). */
    readonly inboxDir: string | undefined;
    /** Whether this node takes part in the nightly cycle (one node of the cluster runs each step). */
    readonly cycle: boolean;
    readonly cycleIntervalMs: number;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads and validates the environment once, at start-up. A bad value stops the process with every
 * problem listed, rather than surfacing later as an odd runtime failure.
 */
export function loadConfig(env: NodeJS.ProcessEnv | Env = process.env): AppConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  const embedded = e.DATABASE_URL === undefined;
  const demoData = e.DEMO_DATA ?? (!production && embedded);
  // An external biller simulator (BILLER_SIMULATOR_URL) replaces the in-process ones by default.
  const simulators = e.SIMULATORS ?? (demoData && e.BILLER_SIMULATOR_URL === undefined);

  const problems: string[] = [];
  if (production) {
    if (demoData) problems.push('DEMO_DATA: demo data is refused when NODE_ENV=production');
    if (simulators) problems.push('SIMULATORS: simulators are refused when NODE_ENV=production');
    if (e.BILLER_SIMULATOR_URL !== undefined) {
      problems.push('BILLER_SIMULATOR_URL: simulators are refused when NODE_ENV=production');
    }
    if (e.WEBHOOK_SIGNING_SECRET === DEFAULT_SECRETS.webhookSigningSecret) {
      problems.push(
        'WEBHOOK_SIGNING_SECRET: the default development secret is refused when NODE_ENV=production',
      );
    }
    if (e.CARD_TOKEN_SECRET === DEFAULT_SECRETS.cardTokenSecret) {
      problems.push('CARD_TOKEN_SECRET: the default development secret is refused when NODE_ENV=production');
    }
    if (e.CORE_BANKING_URL === undefined)
      problems.push('CORE_BANKING_URL: required when NODE_ENV=production');
  }
  if (e.NODE_HEARTBEAT_MS * 2 > e.NODE_LEASE_MS) {
    problems.push(
      'NODE_HEARTBEAT_MS: at most half of NODE_LEASE_MS, so one late heartbeat does not lose the lease',
    );
  }
  if (!production && demoData && !simulators && e.BILLER_SIMULATOR_URL === undefined) {
    problems.push(
      'DEMO_DATA: demo data needs a biller simulator: SIMULATORS=true, or BILLER_SIMULATOR_URL (billgate simulators)',
    );
  }
  let retryScheduleMs: readonly number[] = STANDARD_RETRY_SCHEDULE_MS;
  if (e.WEBHOOK_RETRY_SCHEDULE !== undefined) {
    try {
      retryScheduleMs = parseRetrySchedule(e.WEBHOOK_RETRY_SCHEDULE);
    } catch (error) {
      problems.push(`WEBHOOK_RETRY_SCHEDULE: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const schedule = (name: string, text: string): readonly number[] => {
    try {
      return parseRetrySchedule(text);
    } catch (error) {
      problems.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
      return [];
    }
  };
  const resolutionScheduleMs = schedule('RESOLUTION_RETRY_SCHEDULE', e.RESOLUTION_RETRY_SCHEDULE);
  const followUpScheduleMs = schedule('FOLLOW_UP_RETRY_SCHEDULE', e.FOLLOW_UP_RETRY_SCHEDULE);
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    nodeEnv: e.NODE_ENV,
    dataDir: e.DATA_DIR,
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    groupCommitMax: e.DB_GROUP_COMMIT_MAX,
    redisUrl: e.REDIS_URL,
    redisKeyPrefix: e.REDIS_KEY_PREFIX,
    http: { host: e.HTTP_HOST, port: e.HTTP_PORT },
    mtlsPort: e.MTLS_PORT,
    iso8583Port: e.ISO8583_PORT,
    logLevel: e.LOG_LEVEL,
    configFile: e.BILLGATE_CONFIG,
    certsDir: e.CERTS_DIR,
    demoData,
    simulators,
    billerSimulatorPort: e.BILLER_SIMULATOR_PORT,
    coreBankingSimulatorPort: e.CORE_BANKING_SIMULATOR_PORT,
    billerSimulatorUrl: e.BILLER_SIMULATOR_URL,
    coreBankingUrl: e.CORE_BANKING_URL,
    coreBankingTimeoutMs: e.CORE_BANKING_TIMEOUT_MS,
    agentBankingCoreUrl: e.AGENT_BANKING_CORE_URL,
    agentBankingCoreTimeoutMs: e.AGENT_BANKING_CORE_TIMEOUT_MS,
    routeCacheTtlMs: e.ROUTE_CACHE_TTL_MS,
    routeNegativeTtlMs: e.ROUTE_NEGATIVE_TTL_MS,
    idempotencyRetentionHours: e.IDEMPOTENCY_RETENTION_HOURS,
    inFlightTimeoutMs: e.IN_FLIGHT_TIMEOUT_MS,
    nodeLeaseMs: e.NODE_LEASE_MS,
    nodeHeartbeatMs: e.NODE_HEARTBEAT_MS,
    housekeepingIntervalMs: e.HOUSEKEEPING_INTERVAL_MS,
    outcomeWaitMs: e.OUTCOME_WAIT_MS,
    webhookSigningSecret: e.WEBHOOK_SIGNING_SECRET,
    cardTokenSecret: e.CARD_TOKEN_SECRET,
    webhooks: { retryScheduleMs, timeoutMs: e.WEBHOOK_TIMEOUT_MS, pollMs: e.WEBHOOK_POLL_MS },
    followUps: {
      resolutionScheduleMs,
      resolutionMaxAttempts: e.RESOLUTION_MAX_ATTEMPTS,
      coreBankingStatusWindowMs: e.CORE_BANKING_STATUS_WINDOW_MS,
      retryScheduleMs: followUpScheduleMs,
      maxAttempts: e.FOLLOW_UP_MAX_ATTEMPTS,
      pollMs: e.JOB_POLL_MS,
    },
    recon: {
      timeZone: e.RECON_TIME_ZONE,
      inboxDir: e.RECON_INBOX_DIR,
      cycle: e.RECON_CYCLE,
      cycleIntervalMs: e.RECON_CYCLE_INTERVAL_MS,
    },
  };
}

/** What `billgate simulators` needs: the simulators' ports, and never in production. */
export interface SimulatorsConfig {
  readonly billerSimulatorPort: number;
  readonly coreBankingSimulatorPort: number;
  readonly billerSimulatorStateDir: string | undefined;
}

const simulatorsEnvSchema = envSchema.pick({
  NODE_ENV: true,
  BILLER_SIMULATOR_PORT: true,
  CORE_BANKING_SIMULATOR_PORT: true,
  BILLER_SIMULATOR_STATE_DIR: true,
});

/**
 * Reads the configuration of the stand-alone simulators (`billgate simulators`): only the names they
 * use, so the gateway's own requirements do not apply. Refused when NODE_ENV=production, like the
 * in-process simulators.
 */
export function loadSimulatorsConfig(env: NodeJS.ProcessEnv | Env = process.env): SimulatorsConfig {
  const parsed = simulatorsEnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  if (parsed.data.NODE_ENV === 'production') {
    throw new ConfigError(['NODE_ENV: simulators are refused when NODE_ENV=production']);
  }
  return {
    billerSimulatorPort: parsed.data.BILLER_SIMULATOR_PORT,
    coreBankingSimulatorPort: parsed.data.CORE_BANKING_SIMULATOR_PORT,
    billerSimulatorStateDir: parsed.data.BILLER_SIMULATOR_STATE_DIR,
  };
}
