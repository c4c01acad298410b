import 'reflect-metadata';
import { loadConfig, ConfigError } from './config/config';
import { startGateway } from './bootstrap/gateway';
import { describeStartupFailure } from './bootstrap/startup-failure';
import { startupBanner, validDemoCredentials } from './bootstrap/banner';

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
  const demo =
    config.demoData && config.nodeEnv !== 'production' ? await validDemoCredentials(gateway) : undefined;
  process.stdout.write(
    startupBanner(
      config,
      {
        ...gateway,
        databaseKind: gateway.services.database.kind,
        cacheKind: gateway.services.cache.kind,
      },
      demo,
    ),
  );

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
