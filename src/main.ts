import 'reflect-metadata';
import { loadConfig, ConfigError } from './config/config';
import { startGateway } from './bootstrap/gateway';
import { describeStartupFailure } from './bootstrap/startup-failure';
import { demoApiKey } from './demo/demo-data';
import { DEMO_OPS_USERS } from './demo/demo-ops-users';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`billgate: ${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
  let gateway;
  try {
    gateway = await startGateway(config);
  } catch (error) {
    const message = describeStartupFailure(error, config);
    if (message !== undefined) {
      process.stderr.write(`billgate: ${message}\n`);
      process.exit(75);
    }
    throw error;
  }
  const lines = [
    '',
    'billgate is running',
    `  REST lane        ${gateway.httpUrl}  (POST /bill/pay, OpenAPI at /docs)`,
    ...Object.entries(gateway.httpLanes)
      .filter(([, url]) => url !== gateway.httpUrl)
      .map(([id, url]) => `  HTTP lane        ${url}  (${id})`),
    ...Object.entries(gateway.iso8583Ports).map(
      ([id, port]) => `  ISO 8583 lane    ${config.http.host}:${port}  (${id}, 2-byte length header)`,
    ),
    `  health/metrics   ${gateway.httpUrl}/health/ready  ${gateway.httpUrl}/metrics`,
    `  database         ${gateway.services.database.kind === 'pglite' ? `PGlite in ${config.dataDir}` : 'PostgreSQL'}`,
    `  cache            ${gateway.services.cache.kind}`,
  ];
  if (config.demoData && config.billerSimulatorUrl !== undefined)
    lines.push(`  biller simulator ${config.billerSimulatorUrl}  (BILLER_SIMULATOR_URL)`);
  else if (gateway.simulators.biller !== undefined)
    lines.push(`  biller simulator ${gateway.simulators.biller.url}`);
  if (gateway.simulators.coreBanking !== undefined) {
    lines.push(`  core banking sim ${gateway.simulators.coreBanking.url}`);
  }
  if (config.demoData) {
    lines.push(
      '',
      'Try a payment:',
      `  curl -s -X POST ${gateway.httpUrl}/bill/pay \\`,
      `    -H 'Authorization: Bearer ${demoApiKey('demo-mfs')}' \\`,
      `    -H "Idempotency-Key: $(date +%s%N)" -H 'Content-Type: application/json' \\`,
      `    -d '{"billType":"ELECTRICITY","billReference":"DESCO-1002003","amount":"1250.50","currency":"BDT","payer":{"wallet":"01711000001"},"partnerReference":"demo-0001"}'`,
      '',
      `Ops dashboard: ${gateway.httpUrl}/dashboard  (demo users: ${DEMO_OPS_USERS.map((u) => `${u.username} / ${u.password}`).join(', ')})`,
      '',
    );
  }
  process.stdout.write(lines.join('\n') + '\n');

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    gateway.services.log.info({ signal }, 'shutting down');
    gateway
      .close()
      .then(() => process.exit(0))
      .catch(() => process.exit(1));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(
    `billgate failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
