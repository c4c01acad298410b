import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describeStartupFailure } from '../../src/bootstrap/startup-failure';
import { startGateway } from '../../src/bootstrap/gateway';
import { loadConfig } from '../../src/config/config';
import { demoBillerSecret } from '../../src/demo/demo-biller-secrets';
import type { Db } from '../../src/domain/db';
import { SealedSecrets } from '../../src/domain/secrets/sealed-secrets';
import { createLogger } from '../../src/infrastructure/logging/logger';
import { DEV_KEK_FILE } from '../../src/infrastructure/secrets/key-encryption-keys';
import { createTestDatabase, startTestGateway, type TestGateway } from '../support/gateway';
import { call } from '../support/http';
import { MFS } from '../support/payments';

jest.setTimeout(180_000);

/**
 * Stored secrets sealed at rest (issue 10): token signing keys, partners' webhook secrets and billers'
 * reversal-signing secrets, read straight from the tables; a node with the wrong key-encryption key
 * refuses to start; a KEK rotation keeps every secret readable and `rewrap` moves them to the new key.
 * One database through the whole file, restarted with different keys, as an operator would.
 */

const kek = (kid: string, byte: number): string => `${kid}:${Buffer.alloc(32, byte).toString('base64')}`;
const K1 = kek('k1', 1);
const K2 = kek('k2', 2);

let database: { url: string | undefined; drop: () => Promise<void> };
let dataDir: string;
let gw: TestGateway | undefined;

function start(secretsKek: string): Promise<TestGateway> {
  return startTestGateway({ SECRETS_KEK: secretsKek }, { database: { url: database.url, dataDir } });
}

async function restart(secretsKek: string): Promise<TestGateway> {
  await gw?.stop();
  gw = undefined;
  gw = await start(secretsKek);
  return gw;
}

interface Stored {
  webhook: { id: string; secret: string }[];
  biller: { id: string; biller_id: string; secret: string }[];
  ring: string;
}

/** What an attacker with a copy of the database sees, read with plain SQL. */
async function stored(db: Db): Promise<Stored> {
  const webhook = await sql<{ id: string; secret: string }>`select id, secret from webhook_secrets`.execute(
    db,
  );
  const biller = await sql<{
    id: string;
    biller_id: string;
    secret: string;
  }>`select id, biller_id, secret from biller_secrets`.execute(db);
  const ring = await sql<{ t: string }>`select snapshot::text as t from token_signing_keys`.execute(db);
  return { webhook: webhook.rows, biller: biller.rows, ring: ring.rows.map((r) => r.t).join('\n') };
}

async function newWebhookSecret(g: TestGateway): Promise<string> {
  const res = await call<{ secret: string }>(g.httpUrl, 'POST', '/partner/credentials/webhook-secrets', {
    key: MFS,
    body: {},
  });
  expect(res.status).toBe(201);
  return res.body.secret;
}

async function auditActions(db: Db): Promise<string[]> {
  const { rows } = await sql<{
    action: string;
  }>`select action from ops_audit where action like 'secrets.%' order by seq`.execute(db);
  return rows.map((r) => r.action);
}

beforeAll(async () => {
  database = await createTestDatabase();
  dataDir = mkdtempSync(join(tmpdir(), 'billgate-secrets-'));
});
afterAll(async () => {
  await gw?.stop();
  await database.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

let firstSecret = '';

it('stores no secret in plaintext: the tables hold sealed values only, which still sign and verify', async () => {
  const g = await restart(K1);
  firstSecret = await newWebhookSecret(g);
  const jwks = (await call<{ keys: { x: string }[] }>(g.httpUrl, 'GET', '/.well-known/jwks.json')).body;
  const rows = await stored(g.services.database.db);

  expect(rows.webhook.length).toBeGreaterThan(0);
  for (const r of rows.webhook) expect(r.secret).toMatch(/^sealed:v1:k1:[A-Za-z0-9_-]+$/);
  expect(JSON.stringify(rows.webhook)).not.toContain(firstSecret);
  expect(JSON.stringify(rows.webhook)).not.toContain(firstSecret.slice('whsec_'.length));

  expect(rows.biller.length).toBeGreaterThan(0);
  for (const r of rows.biller) {
    expect(r.secret).toMatch(/^sealed:v1:k1:/);
    expect(r.secret).not.toContain(demoBillerSecret(r.biller_id));
  }

  expect(rows.ring).toMatch(/^\{"sealed": "sealed:v1:k1:[A-Za-z0-9_-]+"\}$/);
  expect(rows.ring).not.toMatch(/privateJwk|"d"|P-256/);
  for (const k of jwks.keys) expect(rows.ring).not.toContain(k.x);

  // What the sealed values open to is what the gateway uses.
  expect(await g.services.edge.credentials.webhookSigningSecrets('demo-mfs')).toContain(firstSecret);
  // The database itself refuses a plaintext write.
  await expect(
    sql`update webhook_secrets set secret = 'whsec_plaintext'`.execute(g.services.database.db),
  ).rejects.toThrow(/webhook_secrets_sealed/);
});

it('refuses to start with the wrong KEK, saying which key is missing or different', async () => {
  await gw?.stop();
  gw = undefined;

  const unknownKid = await start(kek('k9', 9)).then(
    () => undefined,
    (e: unknown) => e,
  );
  const differentKey = await start(kek('k1', 7)).then(
    () => undefined,
    (e: unknown) => e,
  );
  const config = loadConfig({});
  expect(describeStartupFailure(unknownKid, config)).toMatch(
    /^refusing to start: \d+ of \d+ stored secrets do not open with this node's key-encryption keys: .* is sealed under key-encryption key 'k1', which SECRETS_KEK does not hold \(it holds 'k9'\)/,
  );
  expect(describeStartupFailure(differentKey, config)).toMatch(
    /^refusing to start: .* does not open under key-encryption key 'k1' from SECRETS_KEK: that is a different key with the same id/,
  );
  // Nothing was re-sealed under the wrong key on the way.
  gw = await start(K1);
  for (const r of (await stored(gw.services.database.db)).webhook) expect(r.secret).toMatch(/^sealed:v1:k1:/);
});

it('rotates the KEK without downtime: old secrets stay readable, new ones use the new key, rewrap moves the rest', async () => {
  // Step 1-2 of the rotation: the new key listed first (active), the old one still listed.
  const g = await restart(`${K2},${K1}`);
  expect(await g.services.edge.credentials.webhookSigningSecrets('demo-mfs')).toContain(firstSecret);
  const second = await newWebhookSecret(g);
  const secrets = new SealedSecrets(g.services.database.db, g.services.sealer);
  const mixed = await secrets.status();
  expect(mixed.webhookSecrets.byKid).toEqual({ k1: expect.any(Number) as number, k2: 1 });
  expect(mixed.billerSecrets.byKid.k1).toBeGreaterThan(0);

  // Step 3, while the gateway serves: re-seal everything under k2, audited.
  const result = await secrets.rewrap('spec', 'KEK rotation k1 -> k2');
  expect(result.resealed).toBeGreaterThan(0);
  for (const c of Object.values(await secrets.status())) {
    expect(Object.keys(c.byKid).every((kid) => kid === 'k2')).toBe(true);
    expect(c.plaintext).toBe(0);
  }
  expect(await auditActions(g.services.database.db)).toContain('secrets.rewrap');
  const paid = await call(g.httpUrl, 'GET', '/.well-known/jwks.json');
  expect(paid.status).toBe(200);

  // Step 4: the old key removed; every secret still opens to the same value.
  const after = await restart(K2);
  const now = await after.services.edge.credentials.webhookSigningSecrets('demo-mfs');
  expect(now).toEqual(expect.arrayContaining([firstSecret, second]));
  const ring = await call<{ keys: unknown[] }>(after.httpUrl, 'GET', '/.well-known/jwks.json');
  expect(ring.body.keys).toEqual((paid.body as { keys: unknown[] }).keys);
});

it('seals rows written in plaintext by an earlier version on the next start, with an audit entry', async () => {
  const g = gw!;
  const db = g.services.database.db;
  // As a database from before sealing: plaintext rows, the constraints not yet there.
  const opened = await g.services.edge.credentials.webhookSigningSecrets('demo-mfs');
  const ringBefore = await call<{ keys: unknown[] }>(g.httpUrl, 'GET', '/.well-known/jwks.json');
  await sql`alter table webhook_secrets drop constraint webhook_secrets_sealed`.execute(db);
  const rows = await sql<{ id: string; secret: string }>`select id, secret from webhook_secrets`.execute(db);
  for (const r of rows.rows) {
    const plain = g.services.sealer.open(r.secret, `webhook_secrets.secret:${r.id}`);
    await sql`update webhook_secrets set secret = ${plain} where id = ${r.id}`.execute(db);
  }
  await sql`alter table webhook_secrets add constraint webhook_secrets_sealed check (secret like 'sealed:%') not valid`.execute(
    db,
  );
  expect((await stored(db)).webhook.some((r) => r.secret.startsWith('whsec_'))).toBe(true);

  const next = await restart(K2);
  const sealed = await stored(next.services.database.db);
  for (const r of sealed.webhook) expect(r.secret).toMatch(/^sealed:v1:k2:/);
  expect(await next.services.edge.credentials.webhookSigningSecrets('demo-mfs')).toEqual(opened);
  expect((await call(next.httpUrl, 'GET', '/.well-known/jwks.json')).body).toEqual(ringBefore.body);
  expect(await auditActions(next.services.database.db)).toContain('secrets.seal-plaintext');
});

it('`billgate secrets status` lists the kids in use and never a secret', async () => {
  await gw?.stop();
  gw = undefined;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    SECRETS_KEK: K2,
    ...(database.url !== undefined ? { DATABASE_URL: database.url } : {}),
  };
  const out = await runCli(['secrets', 'status'], env);
  expect(out.code).toBe(0);
  expect(out.stdout).toMatch(/active KEK: k2/);
  expect(out.stdout).toMatch(/webhook_secrets\s+\d+ under k2/);
  expect(out.stdout).toMatch(
    /every stored secret is sealed under the active KEK k2: any other KEK can be removed/,
  );
  expect(out.stdout).not.toMatch(/whsec_/);
});

it('the embedded default generates a development KEK into DATA_DIR and keeps using it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'billgate-devkek-'));
  const own = await createTestDatabase();
  const config = loadConfig({
    NODE_ENV: 'development',
    DATA_DIR: dir,
    CERTS_DIR: join(dir, 'certs'),
    HTTP_PORT: '0',
    ISO8583_PORT: '0',
    MTLS_PORT: '0',
    BILLER_SIMULATOR_PORT: '0',
    CORE_BANKING_SIMULATOR_PORT: '0',
    LOG_LEVEL: 'silent',
    ...(own.url !== undefined ? { DATABASE_URL: own.url, DEMO_DATA: 'true', SIMULATORS: 'true' } : {}),
  });
  try {
    const first = await startGateway(config, { logger: createLogger('silent') });
    const kid = first.services.sealer.activeKid;
    await first.close();
    expect(kid).toMatch(/^dev-[0-9a-f]{8}$/);
    expect(statSync(join(dir, DEV_KEK_FILE)).mode & 0o777).toBe(0o600);
    const second = await startGateway(config, { logger: createLogger('silent') });
    expect(second.services.sealer.activeKid).toBe(kid);
    const ring = await sql<{ t: string }>`select snapshot::text as t from token_signing_keys`.execute(
      second.services.database.db,
    );
    expect(ring.rows[0]?.t).toContain(`sealed:v1:${kid}:`);
    await second.close();
  } finally {
    await own.drop();
    rmSync(dir, { recursive: true, force: true });
  }
});

it('NODE_ENV=production without a KEK does not start, and says what to set', async () => {
  const out = await runCli(
    [],
    {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://billgate@127.0.0.1:1/billgate',
      WEBHOOK_SIGNING_SECRET: 'a-production-webhook-secret',
      CARD_TOKEN_SECRET: 'a-production-card-token-secret',
      CORE_BANKING_URL: 'https://cbs.bank.internal',
    },
    'src/main.ts',
  );
  expect(out.code).toBe(78);
  expect(out.stderr).toMatch(
    /SECRETS_KEK: a key-encryption key \(or SECRETS_KEK_FILE\) is required when NODE_ENV=production/,
  );
});

function runCli(
  args: string[],
  env: Record<string, string>,
  entry = 'src/cli/main.ts',
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['test/support/ts-child.cjs', entry, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
