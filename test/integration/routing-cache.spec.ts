import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startTestGateway, usingRealServers, type TestGateway } from '../support/gateway';
import {
  EPHEMERAL_PORTS,
  addAlternative,
  ops,
  pay,
  paymentRoute,
  ruleFor,
  type RuleBody,
} from './routing-support';

/*
 * The route cache against a real Redis: a Redis of this test's own (so it can be stopped and
 * slowed) when redis-server is installed, and two nodes sharing PostgreSQL and Redis when the real
 * servers are configured (CI's second pass: DATABASE_URL and REDIS_URL).
 */

const redisServer = spawnSync('which', ['redis-server']).stdout?.toString().trim() ?? '';
const haveRedisServer = redisServer !== '';
const haveSharedServers = usingRealServers && process.env.REDIS_URL !== undefined;

if (!haveRedisServer) {
  console.warn('routing-cache: redis-server is not installed; the Redis stop/slow tests are skipped');
}
if (!haveSharedServers) {
  console.warn('routing-cache: DATABASE_URL and REDIS_URL are not both set; the two-node tests are skipped');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

class OwnRedis {
  private child: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'billgate-redis-'));
  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.child = spawn(
      redisServer,
      [
        '--bind',
        '127.0.0.1',
        '--port',
        String(this.port),
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        this.dir,
        '--enable-debug-command',
        'yes',
      ],
      { stdio: 'ignore' },
    );
    for (let i = 0; i < 100; i += 1) {
      if (
        spawnSync('redis-cli', ['-p', String(this.port), 'ping'])
          .stdout?.toString()
          .trim() === 'PONG'
      )
        return;
      await sleep(50);
    }
    throw new Error('redis-server did not start');
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child === undefined || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  /** Blocks the server for ms: commands time out rather than fail to connect. */
  sleepServer(seconds: number): void {
    spawn('redis-cli', ['-p', String(this.port), 'debug', 'sleep', String(seconds)], { stdio: 'ignore' });
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

interface Lookups {
  local: number;
  shared: number;
  sql: number;
  fallback: number;
}

async function lookups(gw: TestGateway): Promise<Lookups> {
  const out: Lookups = { local: 0, shared: 0, sql: 0, fallback: 0 };
  for (const v of (await gw.services.metrics.routeLookups.get()).values) {
    const source = String(v.labels.source);
    if (source === 'local' || source === 'shared' || source === 'sql' || source === 'fallback')
      out[source] = v.value;
  }
  return out;
}

async function until(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 5000,
): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    if (await check()) return performance.now() - started;
    await sleep(10);
  }
  throw new Error(`timed out waiting for ${what}`);
}

(haveRedisServer ? describe : describe.skip)('route cache when Redis stops, slows and comes back', () => {
  let redis: OwnRedis;
  let gw: TestGateway;

  beforeAll(async () => {
    redis = new OwnRedis(await freePort());
    await redis.start();
    gw = await startTestGateway({
      ...EPHEMERAL_PORTS,
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: `bg-${randomBytes(4).toString('hex')}:`,
    });
  });
  afterAll(async () => {
    await gw?.stop();
    await redis?.dispose();
  });

  it('routes from the cache, from SQL while Redis is down (no error seen), and from the cache again after', async () => {
    expect(gw.services.cache.kind).toBe('redis');
    await pay(gw);
    const warm = await lookups(gw);
    for (let i = 0; i < 5; i += 1) expect((await pay(gw)).status).toBe('APPROVED');
    const cached = await lookups(gw);
    expect(cached.local + cached.shared - warm.local - warm.shared).toBe(5);

    await redis.stop();
    // the heartbeat notices within a beat; until then the local copy is still trusted
    await until('the node to notice Redis is down', () => gw.services.routes.degraded, 2000);
    const down = await lookups(gw);
    for (let i = 0; i < 10; i += 1) expect((await pay(gw)).status).toBe('APPROVED');
    const whileDown = await lookups(gw);
    expect(whileDown.fallback - down.fallback).toBe(10);

    // a flip while Redis is down is seen at once (SQL), and not undone by a stale cache later
    const rule = await ruleFor(gw, 'ELECTRICITY', 'demo-mfs');
    const alt = await addAlternative(gw, 'down');
    const flip = await ops<RuleBody>(gw, 'PATCH', `/ops/routing/rules/${rule.id}`, {
      body: {
        billerEndpoint: alt.biller,
        settlementAccount: alt.account,
        reason: 'redis is down, route anyway',
      },
    });
    expect(flip.status).toBe(200);
    const during = await pay(gw);
    expect((await paymentRoute(gw, during.id))?.billerEndpoint).toBe(alt.biller);

    await redis.start();
    const healedIn = await until('the cache to heal', () => !gw.services.routes.degraded);
    const back = await lookups(gw);
    for (let i = 0; i < 5; i += 1) {
      const p = await pay(gw);
      expect(p.status).toBe('APPROVED');
      expect((await paymentRoute(gw, p.id))?.billerEndpoint).toBe(alt.biller);
    }
    const after = await lookups(gw);
    expect(after.local + after.shared - back.local - back.shared).toBeGreaterThanOrEqual(4);
    expect(after.fallback - back.fallback).toBe(0);
    expect(healedIn).toBeLessThan(5000);

    await ops(gw, 'PATCH', `/ops/routing/rules/${rule.id}`, {
      body: {
        billerEndpoint: 'sim-electricity',
        settlementAccount: 'settlement:ELECTRICITY:BDT',
        reason: 'restore',
      },
    });
  });

  it('a slow Redis (commands time out) turns into SQL lookups, and the cache heals when it answers again', async () => {
    await pay(gw);
    const before = await lookups(gw);
    redis.sleepServer(2);
    await until('the node to notice Redis stalls', () => gw.services.routes.degraded, 1500);
    const started = performance.now();
    for (let i = 0; i < 3; i += 1) expect((await pay(gw)).status).toBe('APPROVED');
    expect(performance.now() - started).toBeLessThan(2000);
    const slow = await lookups(gw);
    expect(slow.fallback - before.fallback).toBe(3);
    await until('the cache to heal after the stall', () => !gw.services.routes.degraded, 6000);
    const healed = await lookups(gw);
    await pay(gw);
    await pay(gw);
    const after = await lookups(gw);
    expect(after.fallback - healed.fallback).toBe(0);
    expect(after.local + after.shared + after.sql - healed.local - healed.shared - healed.sql).toBe(2);
  });
});

(haveSharedServers ? describe : describe.skip)('two nodes sharing PostgreSQL and Redis', () => {
  let a: TestGateway;
  let b: TestGateway;

  beforeAll(async () => {
    const prefix = `bg2-${randomBytes(4).toString('hex')}:`;
    a = await startTestGateway({ ...EPHEMERAL_PORTS, REDIS_KEY_PREFIX: prefix });
    b = await startTestGateway(
      { ...EPHEMERAL_PORTS, REDIS_KEY_PREFIX: prefix },
      { database: { url: a.config.databaseUrl } },
    );
  });
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
  });

  it('a flip on one node is visible on the other within a second', async () => {
    const rule = await ruleFor(a, 'ELECTRICITY', 'demo-mfs');
    const alt = await addAlternative(a, 'two-nodes');
    // both nodes hold the route in their local copies
    for (let i = 0; i < 3; i += 1) {
      await pay(a);
      await pay(b);
    }
    const key = { billType: 'ELECTRICITY', payerType: 'mfs-user' as const, partnerId: 'demo-mfs' };
    expect((await b.services.routes.resolve(key))?.version).toBe(rule.version);

    let stop = false;
    const seen: { at: number; id: string }[] = [];
    const streamOnB = (async () => {
      while (!stop) {
        const at = performance.now();
        seen.push({ at, id: (await pay(b)).id });
      }
    })();
    await sleep(200);
    const flip = await ops<RuleBody>(a, 'PATCH', `/ops/routing/rules/${rule.id}`, {
      body: { billerEndpoint: alt.biller, settlementAccount: alt.account, reason: 'partner outage, node A' },
    });
    const committedAt = performance.now();
    expect(flip.status).toBe(200);
    const visibleAfter = await until(
      'the flip on node B',
      async () => (await b.services.routes.resolve(key))?.version === rule.version + 1,
      1000,
    );
    await sleep(1200);
    stop = true;
    await streamOnB;
    expect(visibleAfter).toBeLessThan(1000);
    // every payment node B began more than a second after the commit went the new way
    const late = seen.filter((s) => s.at > committedAt + 1000);
    expect(late.length).toBeGreaterThan(0);
    for (const s of late) {
      expect(await paymentRoute(b, s.id)).toMatchObject({
        version: rule.version + 1,
        billerEndpoint: alt.biller,
      });
    }
    expect(b.services.metrics.routeInvalidations.get).toBeDefined();
    const received = (await b.services.metrics.routeInvalidations.get()).values.find(
      (v) => v.labels.direction === 'received',
    );
    expect(received?.value ?? 0).toBeGreaterThan(0);
  });

  it('a scheduled change run by both nodes at once is applied exactly once', async () => {
    const rule = await ruleFor(a, 'GAS', 'demo-mfs');
    const effectiveAt = new Date(Date.now() + 3_600_000);
    const res = await ops<{ scheduled: { id: string } }>(a, 'PATCH', `/ops/routing/rules/${rule.id}`, {
      body: { enabled: false, reason: 'maintenance', effectiveAt: effectiveAt.toISOString() },
    });
    expect(res.status).toBe(202);
    const later = new Date(effectiveAt.getTime() + 1);
    const runs = await Promise.all([
      a.services.routing.applyDueChanges(later),
      b.services.routing.applyDueChanges(later),
      a.services.routing.applyDueChanges(later),
      b.services.routing.applyDueChanges(later),
    ]);
    expect(runs.flatMap((r) => r.applied).map((s) => s.id)).toEqual([res.body.scheduled.id]);
    expect(runs.flatMap((r) => r.failed)).toEqual([]);
    const after = await ops<RuleBody>(b, 'GET', `/ops/routing/rules/${rule.id}`);
    expect(after.body).toMatchObject({ enabled: false, version: rule.version + 1 });
    await until(
      'node B to see the scheduled flip',
      async () => (await pay(b, 'GAS')).reasonCode === 'NO_ROUTE',
      1000,
    );
    expect((await ops(a, 'GET', '/ops/audit/verify')).body).toMatchObject({ intact: true });
  });

  it('concurrent ops writes from both nodes keep the audit chain gap-free', async () => {
    const rules = await ops<{ items: RuleBody[] }>(a, 'GET', '/ops/routing/rules?billType=WATER');
    await Promise.all(
      rules.body.items.flatMap((r, i) => [
        ops(i % 2 === 0 ? a : b, 'PATCH', `/ops/routing/rules/${r.id}`, {
          body: { enabled: !r.enabled, reason: 'drill' },
        }),
        ops(i % 2 === 0 ? b : a, 'PATCH', `/ops/routing/rules/${r.id}`, {
          body: { enabled: r.enabled, reason: 'drill back' },
        }),
      ]),
    );
    expect((await ops(b, 'GET', '/ops/audit/verify')).body).toMatchObject({ intact: true });
  });
});
