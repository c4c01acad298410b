import { sql } from 'kysely';
import { OpsAuditLog } from '../../src/domain/audit/ops-audit-log';
import { uuidv7 } from '../../src/domain/ids';
import { Ledger } from '../../src/domain/ledger/ledger';
import { wallClock } from '../../src/domain/recon/business-day';
import { ReconCycle } from '../../src/domain/recon/recon-cycle';
import { Reconciliation } from '../../src/domain/recon/reconciliation';
import { openDatabase, type DatabaseHandle } from '../../src/infrastructure/database/database';
import { migrateToLatest } from '../../src/infrastructure/database/migrator';
import { createLogger } from '../../src/infrastructure/logging/logger';
import { CamtReader } from '../../src/protocols/iso20022/camt/camt-reader';
import { addPostingFile } from '../../src/simulators/biller-posting-file';
import { BillerSimulator } from '../../src/simulators/biller-simulator';
import { createTestDatabase, usingRealServers } from '../support/gateway';
import { seedDemoData } from '../../src/demo/demo-data';
import { seedDemoRecon } from '../../src/demo/demo-recon';
import { insertPayment, partnerCsv, TZ, tempFile } from './recon-fixtures';

/*
 * Two nodes on one PostgreSQL reach the night's match time together: each ticks its cycle and runs
 * its job runner at once. The advisory lock lets one plan, the jobs' dedupe keys make each step one
 * job, and the leases give each job to one runner: every step runs once. PGlite is one process's
 * database, so this runs on the real server only (DATABASE_URL, CI's second pass).
 */
const onRealServers = usingRealServers ? describe : describe.skip;
if (!usingRealServers) console.warn('recon-cycle: DATABASE_URL is not set; skipped');

const DAY = '2026-12-04';

onRealServers('the nightly reconciliation cycle on two nodes', () => {
  let drop: () => Promise<void>;
  const handles: DatabaseHandle[] = [];
  const sim = new BillerSimulator({ now: () => wallClock(DAY, '11:00', TZ) });
  addPostingFile(sim);
  let camt: CamtReader;

  beforeAll(async () => {
    const database = await createTestDatabase();
    drop = database.drop;
    for (const node of ['a', 'b']) {
      handles.push(
        await openDatabase({
          url: database.url,
          dataDir: '/nonexistent',
          poolSize: 5,
          nodeId: `node-${node}`,
        }),
      );
    }
    await migrateToLatest(handles[0]!.db as never);
    await sim.start(0);
    await seedDemoData(handles[0]!.db, (id) => `${sim.url}/billers/${id.replace(/^sim-/, '')}`);
    await seedDemoRecon(handles[0]!.db, ['demo-mfs', 'demo-bank'], sim.url);
    camt = await CamtReader.create();
  });
  afterAll(async () => {
    camt?.dispose();
    await sim.stop();
    for (const h of handles) await h.close();
    await drop?.();
  });

  it('plans and runs each step of the night once, whichever node gets there first', async () => {
    const db = handles[0]!.db;
    const paid = await insertPayment(db, { date: DAY });
    await fetch(`${sim.url}/billers/electricity/payments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        paymentId: paid.id,
        billReference: 'DESCO-1',
        amountMinor: '125050',
        currency: 'BDT',
      }),
    });
    const now = () => wallClock('2026-12-05', '01:05', TZ); // T+1, after the 00:30 fetch and the 01:00 match
    const nodes = handles.map((h, i) => {
      const recon = new Reconciliation({
        db: h.db,
        ledger: new Ledger(),
        audit: new OpsAuditLog(),
        camtReader: (layout) => camt.readerFor(layout),
        timeZone: TZ,
        newId: uuidv7,
        now,
      });
      return { recon, cycle: new ReconCycle(recon, createLogger('silent'), now, `node-${i}`) };
    });
    await nodes[0]!.recon.intake.ingest({
      path: tempFile('p.csv', partnerCsv([{ ref: 'not-ours', amount: 100n, date: DAY }])),
      source: 'partner',
      sourceId: 'demo-mfs',
      businessDate: DAY,
      receivedVia: 'partner-upload',
      receivedBy: 'spec',
    });

    const planned = await Promise.all(nodes.map((n) => n.cycle.tick()));
    const keys = planned.flatMap((p) => p ?? []).sort();
    expect(keys.filter((k) => k.includes(DAY)).sort()).toEqual(
      [
        `recon:fetch:sim-electricity:${DAY}`,
        `recon:fetch:sim-gas:${DAY}`,
        `recon:fetch:sim-water:${DAY}`,
        `recon:run:${DAY}:all`,
        `recon:run:${DAY}:demo-bank`,
        `recon:run:${DAY}:demo-mfs`,
      ].sort(),
    );
    // A second round (either node, any later tick) plans nothing again.
    expect(
      (await Promise.all(nodes.map((n) => n.cycle.tick())))
        .flatMap((p) => p ?? [])
        .filter((k) => k.includes(DAY)),
    ).toEqual([]);

    await Promise.all(nodes.map((n) => n.cycle.runner.drain(20)));
    const { rows: jobs } = await sql<{
      dedupe_key: string;
      state: string;
      attempts: number;
      lease_owner: string | null;
    }>`
      select dedupe_key, state, attempts, lease_owner from jobs where dedupe_key like ${`recon:%:${DAY}%`} order by dedupe_key`.execute(
      db,
    );
    expect(jobs.map((j) => [j.dedupe_key, j.state])).toEqual([
      [`recon:fetch:sim-electricity:${DAY}`, 'done'],
      [`recon:fetch:sim-gas:${DAY}`, 'done'],
      [`recon:fetch:sim-water:${DAY}`, 'done'],
      [`recon:run:${DAY}:all`, 'done'],
      [`recon:run:${DAY}:demo-bank`, 'done'],
      [`recon:run:${DAY}:demo-mfs`, 'done'],
    ]);
    const runs = await db
      .selectFrom('recon_runs')
      .select(['partner_id', 'trigger', 'state'])
      .where('business_date', '=', DAY)
      .execute();
    expect(runs.map((r) => `${r.partner_id ?? 'all'}:${r.trigger}:${r.state}`).sort()).toEqual([
      'all:schedule:done',
      'demo-bank:schedule:done',
      'demo-mfs:schedule:done',
    ]);
    const billerFiles = await db
      .selectFrom('recon_files')
      .select(['source_id', 'received_via', 'row_count'])
      .where('source', '=', 'biller')
      .where('business_date', '=', DAY)
      .orderBy('source_id')
      .execute();
    // One file per biller, each fetched once; the quiet billers' header-only files are files of their own.
    expect(billerFiles).toEqual([
      { source_id: 'sim-electricity', received_via: 'scheduled-fetch', row_count: 1 },
      { source_id: 'sim-gas', received_via: 'scheduled-fetch', row_count: 0 },
      { source_id: 'sim-water', received_via: 'scheduled-fetch', row_count: 0 },
    ]);
    const breaks = await db
      .selectFrom('recon_breaks')
      .select(['code', 'break_key'])
      .where('business_date', '=', DAY)
      .execute();
    expect(breaks.map((b) => b.code).sort()).toEqual(['B1', 'B7']);
  });
});
