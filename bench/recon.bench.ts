/**
 * Three-way reconciliation at scale (issue 12): one business day with N payments in our ledger
 * (default 1,000,000), the partner's settlement file and the biller's posting file of N rows each
 * (CSV, the demo layouts), with about 0.5% of transactions broken (B1, B2, B3, B4, B5, B7 mixed).
 * Timed: both files taken in (streamed, hashed, validated, loaded) and the day's run (match,
 * compare, breaks written). The ledger and the files are made first, untimed. Reported: wall time,
 * CPU time (this process, user + system; on PostgreSQL also the server processes of the scratch
 * database, read from /proc: on a shared machine the steadier figure), peak RSS of this process
 * (the gateway side; on PGlite that includes the database), rows/s, and whether the breaks found
 * are exactly the ones injected.
 *
 *   npm run bench -- recon [--rows 1000000]
 *   DATABASE_URL=postgres://… npm run bench -- recon     # on a scratch database of that server
 */
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { seedDemoData } from '../src/demo/demo-data';
import { seedDemoRecon } from '../src/demo/demo-recon';
import { OpsAuditLog } from '../src/domain/audit/ops-audit-log';
import { uuidv7 } from '../src/domain/ids';
import { Ledger } from '../src/domain/ledger/ledger';
import { dayWindow } from '../src/domain/recon/business-day';
import { Reconciliation } from '../src/domain/recon/reconciliation';
import { openDatabase } from '../src/infrastructure/database/database';
import { migrateToLatest } from '../src/infrastructure/database/migrator';
import { createScratchDatabase } from '../test/support/scratch-database';
import { BackendCpu, loadAverage, selfCpuMs } from './lib/cpu';
import { arg } from './lib/stats';

const ROWS = Number(arg('rows', '1000000'));
const DAY = '2026-11-30';
const TZ = 'Asia/Dhaka';
/** One transaction in this many of each kind is broken: 6 kinds × 1/1200 ≈ 0.5%. */
const EVERY = 1200;

type Kind = 'ok' | 'B1' | 'B2' | 'B3' | 'B4' | 'B5' | 'B7';
function kindOf(i: number): Kind {
  const k = i % EVERY;
  return k === 1
    ? 'B2'
    : k === 2
      ? 'B3'
      : k === 3
        ? 'B4'
        : k === 4
          ? 'B5'
          : k === 5
            ? 'B7'
            : k === 6
              ? 'B1'
              : 'ok';
}

function uuidOf(i: number): string {
  const h = i.toString(16).padStart(12, '0');
  return `0193b000-0000-7000-8000-${h}`;
}

function major(minor: number): string {
  return `${Math.floor(minor / 100)}.${String(minor % 100).padStart(2, '0')}`;
}

async function writeLines(
  path: string,
  header: string,
  line: (i: number) => string | undefined,
): Promise<void> {
  const out = createWriteStream(path);
  out.write(`${header}\n`);
  let chunk = '';
  for (let i = 0; i < ROWS; i += 1) {
    const l = line(i);
    if (l !== undefined) chunk += `${l}\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
}

async function main(): Promise<void> {
  const adminUrl = process.env.DATABASE_URL;
  const scratch =
    adminUrl === undefined ? undefined : await createScratchDatabase(adminUrl, 'billgate_bench_recon');
  const dir = mkdtempSync(join(tmpdir(), 'billgate-bench-recon-'));
  const engine = scratch === undefined ? 'PGlite (embedded)' : 'PostgreSQL';
  const handle = await openDatabase({ url: scratch?.url, dataDir: dir, poolSize: 8 });
  try {
    const db = handle.db;
    await migrateToLatest(db as never);
    await seedDemoData(db, (id) => `http://127.0.0.1:1/billers/${id}`);
    await seedDemoRecon(db, ['demo-mfs'], 'http://127.0.0.1:1');

    const t0 = Date.now();
    const { start } = dayWindow(DAY, TZ);
    // Our ledger side: N payments of the day, generated in the database (untimed set-up).
    await sql`
      insert into payments (id, partner_id, lane, protocol, payer_type, bill_type, bill_reference, amount, currency,
        payer_kind, payer_id, partner_reference, idempotency_key, status, reason_code, biller_receipt,
        biller_endpoint, settlement_account, origin, received_at, created_at, updated_at)
      select ('0193b000-0000-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, 'demo-mfs', 'bench', 'rest', 'mfs-user',
        'ELECTRICITY', 'DESCO-' || i, 10000 + (i % 500000), 'BDT', 'wallet', '01711000001', 'ref-' || i, 'k-' || i,
        'APPROVED', 'APPROVED', 'ELECTRICITY-' || i, 'sim-electricity', 'settlement:ELECTRICITY:BDT', '{}',
        ${start}::timestamptz + (i % 86000) * interval '1 second', now(), now()
      from generate_series(0, ${ROWS - 1}) as i
      where i % ${EVERY} <> 6`.execute(db);
    await sql`analyze payments`.execute(db);
    const ledgerSeconds = (Date.now() - t0) / 1000;

    const partnerPath = join(dir, 'partner.csv');
    const billerPath = join(dir, 'biller.csv');
    const amount = (i: number) => 10000 + (i % 500000);
    await writeLines(
      partnerPath,
      'partner_reference,billgate_payment_id,amount,currency,status,value_date',
      (i) => {
        const k = kindOf(i);
        if (k === 'B7') return undefined;
        if (k === 'B1') return `stranger-${i},,${major(amount(i))},BDT,SETTLED,${DAY}`;
        return `ref-${i},,${major(k === 'B3' ? amount(i) + 100 : amount(i))},BDT,SETTLED,${DAY}`;
      },
    );
    await writeLines(
      billerPath,
      'receipt,payment_id,bill_reference,amount,currency,status,posted_on',
      (i) => {
        const k = kindOf(i);
        if (k === 'B2' || k === 'B1') return undefined;
        return `ELECTRICITY-${i},${uuidOf(i)},DESCO-${i},${major(amount(i))},BDT,${k === 'B4' ? 'FAILED' : 'PAID'},${k === 'B5' ? '2026-12-01' : DAY}`;
      },
    );
    const expected: Record<string, number> = {};
    for (let i = 0; i < ROWS; i += 1) {
      const k = kindOf(i);
      if (k !== 'ok') expected[k] = (expected[k] ?? 0) + 1;
    }

    const recon = new Reconciliation({
      db,
      ledger: new Ledger(),
      audit: new OpsAuditLog(),
      camtReader: () => {
        throw new Error('CSV only');
      },
      timeZone: TZ,
      newId: uuidv7,
    });
    const backend =
      scratch === undefined || adminUrl === undefined
        ? undefined
        : await BackendCpu.open(adminUrl, scratch.url);
    await backend?.start();
    const loadBefore = loadAverage();
    const cpu0 = selfCpuMs();
    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
    const rssBefore = process.memoryUsage().rss;
    const begin = Date.now();
    const [p, b] = await Promise.all([
      recon.intake.ingest({
        path: partnerPath,
        source: 'partner',
        sourceId: 'demo-mfs',
        businessDate: DAY,
        receivedVia: 'cli',
        receivedBy: 'bench',
      }),
      recon.intake.ingest({
        path: billerPath,
        source: 'biller',
        sourceId: 'sim-electricity',
        businessDate: DAY,
        receivedVia: 'cli',
        receivedBy: 'bench',
      }),
    ]);
    const loaded = Date.now();
    const cpuLoaded = selfCpuMs();
    const backendLoaded = (await backend?.used()) ?? 0;
    const phases: string[] = [];
    let mark = Date.now();
    const run = await recon.runner.run({ businessDate: DAY, trigger: 'cli', actor: 'bench' }, (pr) => {
      const at = Date.now();
      phases.push(`${pr.phase} ${pr.done}/${pr.total} +${((at - mark) / 1000).toFixed(2)} s`);
      mark = at;
    });
    phases.push(`done +${((Date.now() - mark) / 1000).toFixed(2)} s`);
    const end = Date.now();
    const cpuEnd = selfCpuMs();
    const backendEnd = (await backend?.used()) ?? 0;
    await backend?.close();
    const loadAfter = loadAverage();
    clearInterval(sampler);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    if (p.outcome !== 'stored' || b.outcome !== 'stored')
      throw new Error(`files not stored: ${p.outcome} ${b.outcome}`);
    const byCode = (run.counts as { breaks: { byCode: Record<string, number> } }).breaks.byCode;
    const exact = Object.keys({ ...expected, ...byCode }).every((k) => expected[k] === byCode[k]);
    const wall = (end - begin) / 1000;
    const mib = (n: number) => (n / 1024 / 1024).toFixed(0);
    console.log(`reconciliation of one day, ${engine}, ${ROWS.toLocaleString('en-US')} rows per source`);
    console.log(`  ledger set-up (untimed): ${ledgerSeconds.toFixed(1)} s`);
    console.log(
      `  files: partner ${p.file.rowCount.toLocaleString('en-US')} rows, biller ${b.file.rowCount.toLocaleString('en-US')} rows`,
    );
    const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    const cpu = (self: number, server: number) =>
      backend === undefined
        ? `CPU ${s(self)} (this process, with the database)`
        : `CPU ${s(self + server)} (this process ${s(self)}, PostgreSQL backends ${s(server)})`;
    console.log(
      `  load (both files, streamed):  ${s(loaded - begin)} wall; ${cpu(cpuLoaded - cpu0, backendLoaded)}`,
    );
    console.log(
      `  match + compare + breaks:     ${s(end - loaded)} wall; ${cpu(cpuEnd - cpuLoaded, backendEnd - backendLoaded)}`,
    );
    console.log(`  run steps: ${phases.join(' | ')}`);
    console.log(
      `  total wall:                   ${wall.toFixed(2)} s  (${Math.round((2 * ROWS) / wall).toLocaleString('en-US')} source rows/s)`,
    );
    console.log(`  total CPU:                    ${cpu(cpuEnd - cpu0, backendEnd)}`);
    console.log(`  load average: ${loadBefore} before, ${loadAfter} after (2 cores)`);
    console.log(`  peak RSS of this process:     ${mib(peakRss)} MiB (${mib(rssBefore)} MiB before loading)`);
    console.log(
      `  breaks: ${JSON.stringify(byCode)} (${Object.values(byCode).reduce((a, n) => a + n, 0)}; injected ${JSON.stringify(expected)}) ${exact ? 'exactly as injected' : 'DIFFERENT FROM INJECTED'}`,
    );
    console.log(`  budget (15 s, 1 GiB): ${wall <= 15 && peakRss <= 1024 * 1024 * 1024 ? 'met' : 'NOT met'}`);
    if (!exact) process.exitCode = 1;
  } finally {
    await handle.close();
    // --keep leaves the scratch database for EXPLAIN ANALYZE (its URL is printed).
    if (process.argv.includes('--keep')) console.log(`  kept ${scratch?.url ?? dir}`);
    else await scratch?.drop();
    if (!process.argv.includes('--keep')) rmSync(dir, { recursive: true, force: true });
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
