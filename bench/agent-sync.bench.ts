/**
 * `POST /agent/sync` with a batch of offline payments (issue 13): one terminal's batch of N items
 * (default 500) against a gateway on loopback, the first sync (each item posted through the pipeline,
 * in capture order) and the same batch sent again (every item answered as a duplicate), beside the
 * same N payments sent online one at a time (`POST /agent/pay`), as ratios measured in one run.
 *
 *   npm run bench -- agent-sync [--items 500] [--rounds 3]
 *   DATABASE_URL=postgres://… npm run bench -- agent-sync     # on a scratch database of that server
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway } from '../src/bootstrap/gateway';
import { loadConfig } from '../src/config/config';
import { createLogger } from '../src/infrastructure/logging/logger';
import { createScratchDatabase } from '../test/support/scratch-database';
import { arg } from './lib/stats';

const ITEMS = Number(arg('items', '500'));
const ROUNDS = Number(arg('rounds', '3'));

async function post(
  url: string,
  key: string,
  body: unknown,
  idem?: string,
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${key}`,
      'content-type': 'application/json',
      ...(idem !== undefined ? { 'idempotency-key': idem } : {}),
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

function item(i: number, t0: number): Record<string, string> {
  return {
    idempotencyKey: randomUUID(),
    capturedAt: new Date(t0 + i).toISOString(),
    billType: 'ELECTRICITY',
    billReference: `DESCO-${100000 + i}`,
    amount: '125.50',
    currency: 'BDT',
    partnerReference: `bench-${i}`,
  };
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'billgate-agent-sync-bench-'));
  const admin = process.env.DATABASE_URL;
  const scratch = admin === undefined ? undefined : await createScratchDatabase(admin, 'billgate_bench');
  const config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    HTTP_PORT: '0',
    ISO8583_PORT: '0',
    MTLS_PORT: '0',
    CERTS_DIR: join(dataDir, 'certs'),
    BILLER_SIMULATOR_PORT: '0',
    CORE_BANKING_SIMULATOR_PORT: '0',
    LOG_LEVEL: 'silent',
    DEMO_DATA: 'true',
    SIMULATORS: 'true',
    ...(scratch !== undefined ? { DATABASE_URL: scratch.url } : {}),
  });
  const gw = await startGateway(config, { logger: createLogger('silent') });
  try {
    const base = gw.httpUrl;
    const ops = 'demo-key-ops';
    await post(`${base}/ops/agents`, ops, {
      id: 'AG-BENCH',
      partnerId: 'demo-agents',
      region: 'Dhaka',
      currency: 'BDT',
      cashLimit: '100000000.00',
      reason: 'benchmark',
    });
    const t = await post(`${base}/ops/agents/AG-BENCH/terminals`, ops, {
      id: 'AG-BENCH-T1',
      label: 'bench',
      offlineAllowance: { maxCount: 10_000, maxTotal: '10000000.00' },
      reason: 'benchmark',
    });
    const key = String((t.body as { key: string }).key);
    console.log(`agent sync, ${ITEMS} items per batch, ${ROUNDS} rounds, ${gw.services.database.kind}`);
    for (let r = 0; r < ROUNDS; r += 1) {
      const batch = Array.from({ length: ITEMS }, (_, i) => item(i, Date.now() - 3_600_000));
      let t0 = process.hrtime.bigint();
      const first = await post(`${base}/agent/sync`, key, { items: batch });
      const firstMs = Number(process.hrtime.bigint() - t0) / 1e6;
      const approved = ((first.body as { items: { outcome: string }[] }).items ?? []).filter(
        (i) => i.outcome === 'approved',
      ).length;
      t0 = process.hrtime.bigint();
      const again = await post(`${base}/agent/sync`, key, { items: batch });
      const againMs = Number(process.hrtime.bigint() - t0) / 1e6;
      const dup = ((again.body as { items: { outcome: string }[] }).items ?? []).filter(
        (i) => i.outcome === 'duplicate',
      ).length;
      t0 = process.hrtime.bigint();
      for (let i = 0; i < ITEMS; i += 1) {
        const { idempotencyKey, capturedAt: _c, ...body } = item(i, 0);
        await post(`${base}/agent/pay`, key, body, idempotencyKey);
      }
      const onlineMs = Number(process.hrtime.bigint() - t0) / 1e6;
      console.log(
        `round ${r + 1}: sync ${firstMs.toFixed(0)} ms (${approved} approved, ${((ITEMS * 1000) / firstMs).toFixed(0)} items/s)` +
          ` | resend ${againMs.toFixed(0)} ms (${dup} duplicates, ${(firstMs / againMs).toFixed(1)}× faster)` +
          ` | ${ITEMS} online pays one at a time ${onlineMs.toFixed(0)} ms (sync ${(onlineMs / firstMs).toFixed(2)}× faster)`,
      );
    }
  } finally {
    await gw.close();
    await scratch?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
