import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { CONFIG_VARIABLES } from '../../src/config/config';
import { loadLaneConfigFile } from '../../src/lanes/config-file';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { call } from '../support/http';
import { MFS, pay, payBody } from '../support/payments';

/**
 * What can be checked of the deployment files on a machine without Docker: the compose file's
 * services, the lane file the nodes read (a gateway starts on it and pays), the Dockerfile's
 * commands (the README's, and its health check run against a gateway), and every metric the alert
 * rules and the Grafana dashboard name is one the gateway serves.
 */
const ROOT = join(__dirname, '../..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** Metric names a PromQL expression uses (ours all start billgate_). */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\bbillgate_[a-z0-9_]+/g)].map((m) => m[0]);
}

/** Names /metrics answers to: each family, and a histogram's _bucket, _sum and _count. */
function servedNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const m of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name, type] = m as unknown as [string, string, string];
    names.add(name);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
    if (type === 'summary') for (const s of ['_sum', '_count']) names.add(name + s);
  }
  return names;
}

let gw: TestGateway;
const saved: Record<string, string | undefined> = {};
beforeAll(async () => {
  // The lane file takes its ports from the environment (${HTTP_PORT:-8080}): any free port here.
  for (const name of ['HTTP_PORT', 'ISO8583_PORT', 'MTLS_PORT']) {
    saved[name] = process.env[name];
    process.env[name] = '0';
  }
  gw = await startTestGateway({ BILLGATE_CONFIG: join(ROOT, 'deploy/billgate.yaml') });
});
afterAll(async () => {
  await gw?.stop();
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

describe('deploy/compose.yaml', () => {
  const compose = parseYaml(read('deploy/compose.yaml'), { merge: true }) as {
    services: Record<string, { command?: string[]; environment?: Record<string, string>; image?: string }>;
  };

  it('has PostgreSQL, Redis, the simulators and two gateway nodes', () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      'gateway-1',
      'gateway-2',
      'postgres',
      'redis',
      'simulators',
    ]);
    expect(compose.services.postgres?.image).toMatch(/^postgres:15/);
    expect(compose.services.redis?.image).toMatch(/^redis:7/);
    expect(compose.services.simulators?.command?.slice(0, 3)).toEqual([
      'node',
      'dist/cli/main.js',
      'simulators',
    ]);
    for (const node of ['gateway-1', 'gateway-2']) {
      expect(compose.services[node]?.environment).toMatchObject({
        DATABASE_URL: expect.stringMatching(/^postgres:\/\/.*@postgres:5432\//),
        REDIS_URL: 'redis://redis:6379',
        BILLER_SIMULATOR_URL: 'http://simulators:8091',
        CORE_BANKING_URL: 'http://simulators:8092',
        BILLGATE_CONFIG: '/etc/billgate/billgate.yaml',
      });
    }
  });

  it('names only configuration variables the gateway reads', () => {
    for (const service of ['gateway-1', 'gateway-2', 'simulators']) {
      for (const name of Object.keys(compose.services[service]?.environment ?? {})) {
        expect(CONFIG_VARIABLES).toContain(name);
      }
    }
  });
});

describe('deploy/billgate.yaml (the nodes’ lanes)', () => {
  it('is a valid lane file with the three demo lanes open to private networks', () => {
    const lanes = loadLaneConfigFile(join(ROOT, 'deploy/billgate.yaml'), { HTTP_PORT: '8080' });
    expect(lanes.map((l) => [l.id, l.kind, l.protocol, l.tls, l.listener.host])).toEqual([
      ['http-plain', 'mpls', 'http', 'off', '0.0.0.0'],
      ['iso8583-demo', 'mpls', 'iso8583', 'off', '0.0.0.0'],
      ['public-mtls', 'public-mtls', 'http', 'mutual', '0.0.0.0'],
    ]);
    expect(lanes[0]?.opsCidrs).toContain('172.16.0.0/12');
  });

  it('a gateway started on it takes a payment and serves the ops API', async () => {
    expect((await pay(gw.httpLanes['http-plain'] ?? '', payBody(), { key: MFS })).body).toMatchObject({
      status: 'APPROVED',
    });
    expect(
      (await call(gw.httpLanes['http-plain'] ?? '', 'GET', '/ops/billers', { key: 'demo-key-ops' })).status,
    ).toBe(200);
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const readme = read('README.md');
  const section = readme.slice(readme.indexOf('\n## Deploying it\n'));

  it('builds in one stage and runs as the non-root node user in another, with a readiness health check', () => {
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/^FROM node:20-\S+ AS build$/m);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\\\n.*\/health\/ready/m);
    expect(dockerfile).toMatch(/^ENV NODE_ENV=production/m);
  });

  it("runs the README's commands", () => {
    expect(section.length).toBeGreaterThan(100);
    const runs = [...dockerfile.matchAll(/^RUN (.+)$/gm)].map((m) => m[1] as string);
    const cmd = JSON.parse(/^CMD (\[.+\])$/m.exec(dockerfile)?.[1] ?? '[]') as string[];
    const compose = parseYaml(read('deploy/compose.yaml')) as {
      services: { simulators: { command: string[] } };
    };
    for (const line of [
      ...runs.filter((r) => r.startsWith('npm')),
      cmd.join(' '),
      compose.services.simulators.command.join(' '),
    ]) {
      expect(section).toContain(line);
    }
  });

  it('its health check answers healthy against a ready gateway and unhealthy without one', async () => {
    const check = JSON.parse(/CMD (\["node", "-e", .+\])$/m.exec(dockerfile)?.[1] ?? '[]') as string[];
    expect(check[0]).toBe('node');
    const port = new URL(gw.httpLanes['http-plain'] ?? '').port;
    // Asynchronously: the gateway answering it runs in this process.
    const run = (p: string) =>
      new Promise<number | null>((resolve) =>
        spawn(process.execPath, check.slice(1), { env: { PATH: process.env.PATH, HTTP_PORT: p } }).on(
          'close',
          resolve,
        ),
      );
    expect(await run(port)).toBe(0);
    expect(await run('9')).toBe(1);
  });
});

describe('alert rules and dashboard name metrics the gateway serves', () => {
  it('every billgate_ metric in the rules and the Grafana dashboard is in /metrics', async () => {
    const exposition = (await call(gw.httpUrl, 'GET', '/metrics')).text;
    const served = servedNames(exposition);

    const rules = parseYaml(read('deploy/prometheus/billgate-alerts.yml')) as {
      groups: { rules: { alert: string; expr: string }[] }[];
    };
    const ruleExprs = rules.groups.flatMap((g) => g.rules.map((r) => r.expr));
    const dashboard = JSON.parse(read('deploy/grafana/billgate-dashboard.json')) as {
      panels: { targets: { expr: string }[] }[];
    };
    const panelExprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));

    const named = new Set([...ruleExprs, ...panelExprs].flatMap(metricNames));
    expect(named.size).toBeGreaterThan(20);
    expect([...named].filter((n) => !served.has(n))).toEqual([]);
    // The alerts the issue asks for are there.
    const alerts = rules.groups.flatMap((g) => g.rules.map((r) => r.alert));
    expect(alerts).toEqual(
      expect.arrayContaining([
        'BillgatePaymentPendingTooLong',
        'BillgateRefundsOwed',
        'BillgateEdgeRefusalsHigh',
        'BillgateDbBatchesFailing',
        'BillgateCredentialsEnding',
      ]),
    );
  });

  it('names Node’s own metrics once under billgate_ (no process_process_)', async () => {
    const exposition = (await call(gw.httpUrl, 'GET', '/metrics')).text;
    expect(exposition).toMatch(/^billgate_process_cpu_seconds_total \d/m);
    expect(exposition).toMatch(/^billgate_nodejs_eventloop_lag_p99_seconds \d/m);
    expect(exposition).not.toContain('process_process_');
    expect(exposition).toMatch(/^billgate_payments_waiting\{state="PENDING"\} 0$/m);
  });
});
