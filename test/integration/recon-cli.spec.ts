import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runReconCommand } from '../../src/cli/recon.command';
import { openDatabase } from '../../src/infrastructure/database/database';
import { migrateToLatest } from '../../src/infrastructure/database/migrator';
import { createTestDatabase } from '../support/gateway';
import { billerCsv, insertPayment, partnerCsv, seedReconDemo, tempFile } from './recon-fixtures';

const DAY = '2026-12-03';

describe('billgate recon run', () => {
  it('loads the partner and biller files, runs the day with a progress bar and prints its breaks; a bad file exits 65', async () => {
    const created = await createTestDatabase();
    const dataDir = mkdtempSync(join(tmpdir(), 'billgate-recon-cli-'));
    const env = {
      ...(created.url !== undefined ? { DATABASE_URL: created.url } : {}),
      DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
    };
    const setup = await openDatabase({ url: created.url, dataDir, poolSize: 2 });
    await migrateToLatest(setup.db as never);
    await seedReconDemo(setup.db);
    const a = await insertPayment(setup.db, { date: DAY });
    const b = await insertPayment(setup.db, { date: DAY });
    await setup.close();
    try {
      const progress: string[] = [];
      const io = { env, stderr: (t: string) => progress.push(t), tty: false };
      const partnerFile = tempFile(
        'p.csv',
        partnerCsv([{ ref: a.partnerReference, amount: a.amountMinor, date: DAY }]),
      );
      const billerFile = tempFile(
        'b.csv',
        billerCsv([a, b].map((p) => ({ receipt: p.receipt!, id: p.id, amount: p.amountMinor, date: DAY }))),
      );
      const ok = await runReconCommand(
        [
          'run',
          '--date',
          DAY,
          '--partner-file',
          partnerFile,
          '--partner',
          'demo-mfs',
          '--biller-file',
          billerFile,
          '--biller',
          'sim-electricity',
        ],
        io,
      );
      expect(ok.code).toBe(0);
      expect(ok.output).toMatch(/partner file .*p\.csv: stored .*, 1 rows, sha256 [0-9a-f]{64}/);
      expect(ok.output).toMatch(/biller file .*b\.csv: stored .*, 2 rows/);
      expect(ok.output).toMatch(
        new RegExp(`run \\S+ done for ${DAY} \\(partner demo-mfs\\) in \\d+\\.\\d s`),
      );
      expect(ok.output).toContain('ledger payments 2, partner rows 1, biller rows 2, matched 3');
      expect(ok.output).toContain('breaks standing 1 (raised 1, cleared 0) B7=1');
      expect(progress.join('')).toMatch(/\[#+\]\s+100% done 3\/3 rows/);

      const bad = tempFile(
        'bad.csv',
        'partner_reference,billgate_payment_id,amount,currency,status,value_date\nx,,1.2.3,BDT,SETTLED,2026-12-03\n',
      );
      const refused = await runReconCommand(
        ['run', '--date', DAY, '--partner-file', bad, '--partner', 'demo-mfs'],
        io,
      );
      expect(refused.code).toBe(65);
      expect(refused.output).toContain('refused whole, 1 bad line(s)');
      expect(refused.output).toContain('line 2: amount: "1.2.3"');
    } finally {
      await created.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
