import { ConfigError, loadConfig } from './config';

describe('loadConfig', () => {
  it('defaults to the embedded demo', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      dataDir: './data',
      databaseUrl: undefined,
      demoData: true,
      simulators: true,
      http: { host: '127.0.0.1', port: 8080 },
      mtlsPort: 8443,
      iso8583Port: 8583,
      routeCacheTtlMs: 60000,
    });
  });

  it('turns the demo off when a real database is configured', () => {
    const c = loadConfig({ DATABASE_URL: 'postgres://u@127.0.0.1:5432/db' });
    expect(c.demoData).toBe(false);
    expect(c.simulators).toBe(false);
  });

  it('lists every bad value at once', () => {
    expect(() => loadConfig({ HTTP_PORT: 'http', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x' })).toThrow(
      expect.objectContaining({
        problems: expect.arrayContaining([
          expect.stringMatching(/^HTTP_PORT/),
          expect.stringMatching(/^LOG_LEVEL/),
          expect.stringMatching(/^DATABASE_URL/),
        ]) as unknown,
      }) as Error,
    );
  });

  it('refuses to start in production with demo data or default secrets', () => {
    try {
      loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://u@h/db', DEMO_DATA: 'true' });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems.join('\n');
      expect(problems).toMatch(/DEMO_DATA/);
      expect(problems).toMatch(/WEBHOOK_SIGNING_SECRET/);
      expect(problems).toMatch(/CARD_TOKEN_SECRET/);
      expect(problems).toMatch(/CORE_BANKING_URL/);
    }
  });

  it('starts in production with real secrets and no demo', () => {
    const c = loadConfig({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://u@h/db',
      REDIS_URL: 'redis://h:6379',
      WEBHOOK_SIGNING_SECRET: 'a-real-secret-of-some-length',
      CARD_TOKEN_SECRET: 'another-real-secret-value',
      CORE_BANKING_URL: 'https://cbs.bank.internal',
    });
    expect(c.demoData).toBe(false);
  });
});
