import { ConfigError, loadConfig, loadSimulatorsConfig } from './config';

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
      expect(problems).toMatch(/SECRETS_KEK: a key-encryption key \(or SECRETS_KEK_FILE\) is required/);
    }
  });

  it('takes the key-encryption key from SECRETS_KEK or SECRETS_KEK_FILE, not both', () => {
    expect(loadConfig({ SECRETS_KEK: 'k1:abc' }).secretsKek).toEqual({ value: 'k1:abc', file: undefined });
    expect(loadConfig({ SECRETS_KEK_FILE: '/run/kek' }).secretsKek).toEqual({
      value: undefined,
      file: '/run/kek',
    });
    expect(() => loadConfig({ SECRETS_KEK: 'k1:abc', SECRETS_KEK_FILE: '/run/kek' })).toThrow(
      /SECRETS_KEK_FILE: set SECRETS_KEK or SECRETS_KEK_FILE, not both/,
    );
  });

  it('starts in production with real secrets and no demo', () => {
    const c = loadConfig({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://u@h/db',
      REDIS_URL: 'redis://h:6379',
      WEBHOOK_SIGNING_SECRET: 'a-real-secret-of-some-length',
      CARD_TOKEN_SECRET: 'another-real-secret-value',
      CORE_BANKING_URL: 'https://cbs.bank.internal',
      SECRETS_KEK_FILE: '/run/secrets/billgate-kek',
    });
    expect(c.demoData).toBe(false);
  });

  it('keeps the in-process simulators by default, with no external biller simulator', () => {
    expect(loadConfig({})).toMatchObject({ simulators: true, billerSimulatorUrl: undefined });
  });

  it('points the demo at an external biller simulator (BILLER_SIMULATOR_URL) and starts none in-process', () => {
    const c = loadConfig({
      BILLER_SIMULATOR_URL: 'http://127.0.0.1:9091',
      CORE_BANKING_URL: 'http://127.0.0.1:9092',
    });
    expect(c).toMatchObject({
      demoData: true,
      simulators: false,
      billerSimulatorUrl: 'http://127.0.0.1:9091',
      coreBankingUrl: 'http://127.0.0.1:9092',
    });
    // Explicit SIMULATORS wins over that default.
    expect(loadConfig({ BILLER_SIMULATOR_URL: 'http://127.0.0.1:9091', SIMULATORS: 'true' }).simulators).toBe(
      true,
    );
  });

  it('refuses a BILLER_SIMULATOR_URL that is not an http(s) URL', () => {
    for (const value of ['not a url', 'ftp://127.0.0.1/x']) {
      expect(() => loadConfig({ BILLER_SIMULATOR_URL: value })).toThrow(/BILLER_SIMULATOR_URL/);
    }
  });

  it('refuses demo data with no biller simulator at all', () => {
    expect(() => loadConfig({ DEMO_DATA: 'true', SIMULATORS: 'false' })).toThrow(
      /DEMO_DATA: demo data needs a biller simulator/,
    );
    expect(loadConfig({ DEMO_DATA: 'false', SIMULATORS: 'false' }).demoData).toBe(false);
  });

  it('refuses demo data and BILLER_SIMULATOR_URL in production', () => {
    try {
      loadConfig({
        NODE_ENV: 'production',
        DATABASE_URL: 'postgres://u@h/db',
        WEBHOOK_SIGNING_SECRET: 'a-real-secret-of-some-length',
        CARD_TOKEN_SECRET: 'another-real-secret-value',
        CORE_BANKING_URL: 'https://cbs.bank.internal',
        DEMO_DATA: 'true',
        SIMULATORS: 'false',
        BILLER_SIMULATOR_URL: 'http://127.0.0.1:9091',
      });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems;
      expect(problems).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^DEMO_DATA/),
          expect.stringMatching(/^BILLER_SIMULATOR_URL/),
        ]),
      );
    }
  });
});

describe('loadSimulatorsConfig', () => {
  it("reads the simulators' ports, defaults included", () => {
    expect(loadSimulatorsConfig({})).toEqual({ billerSimulatorPort: 8091, coreBankingSimulatorPort: 8092 });
    expect(loadSimulatorsConfig({ BILLER_SIMULATOR_PORT: '0', CORE_BANKING_SIMULATOR_PORT: '9002' })).toEqual(
      {
        billerSimulatorPort: 0,
        coreBankingSimulatorPort: 9002,
      },
    );
  });

  it('ignores what only the gateway needs, and refuses a bad port', () => {
    expect(() =>
      loadSimulatorsConfig({ DATABASE_URL: 'mysql://x', BILLER_SIMULATOR_PORT: '8091' }),
    ).not.toThrow();
    expect(() => loadSimulatorsConfig({ CORE_BANKING_SIMULATOR_PORT: '70000' })).toThrow(
      /CORE_BANKING_SIMULATOR_PORT/,
    );
  });

  it('refuses to run in production', () => {
    expect(() => loadSimulatorsConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => loadSimulatorsConfig({ NODE_ENV: 'production' })).toThrow(
      /refused when NODE_ENV=production/,
    );
  });
});
