import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReconInbox } from '../../src/domain/recon/recon-inbox';
import { createLogger } from '../../src/infrastructure/logging/logger';
import { openTestDatabase } from '../support/database';
import { partnerCsv, reconOf, seedReconDemo } from './recon-fixtures';

describe('reconciliation inbox (a watched directory)', () => {
  let h: Awaited<ReturnType<typeof openTestDatabase>>;
  beforeAll(async () => {
    h = await openTestDatabase();
    await seedReconDemo(h.db);
  });
  afterAll(async () => h?.dispose());

  it('takes well-named files once, moves them to done/ or refused/ with every bad line, and leaves other names alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'recon-inbox-'));
    const inbox = new ReconInbox(dir, reconOf(h.db).intake, createLogger('silent'));
    const good = partnerCsv([{ ref: 'r-1', amount: 1000n, date: '2026-12-05' }]);
    writeFileSync(join(dir, 'partner_demo-mfs_2026-12-05.csv'), good);
    writeFileSync(join(dir, 'partner_demo-mfs_2026-12-06.csv'), good.replace('10.00', '10.001'));
    writeFileSync(join(dir, 'notes.txt'), 'not a reconciliation file');
    writeFileSync(join(dir, 'partner_demo-mfs_2026-12-07.csv'), ''); // not even a header

    const swept = await inbox.sweep();
    expect(swept.sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { name: 'partner_demo-mfs_2026-12-05.csv', outcome: 'stored' },
      { name: 'partner_demo-mfs_2026-12-06.csv', outcome: 'refused' },
      { name: 'partner_demo-mfs_2026-12-07.csv', outcome: 'refused' },
    ]);
    expect(existsSync(join(dir, 'done', 'partner_demo-mfs_2026-12-05.csv'))).toBe(true);
    expect(
      readFileSync(join(dir, 'refused', 'partner_demo-mfs_2026-12-06.csv.problems.txt'), 'utf8'),
    ).toContain('line 2: amount: "10.001" has more than 2 decimals');
    expect(existsSync(join(dir, 'notes.txt'))).toBe(true);
    expect(await inbox.sweep()).toEqual([]);
    // Delivered again (a partner's retry): the same bytes are the file already stored.
    writeFileSync(join(dir, 'partner_demo-mfs_2026-12-05.csv'), good);
    expect(await inbox.sweep()).toEqual([{ name: 'partner_demo-mfs_2026-12-05.csv', outcome: 'duplicate' }]);
    const files = await h.db.selectFrom('recon_files').select(['received_via', 'file_name']).execute();
    expect(files).toEqual([
      { received_via: 'watched-directory', file_name: 'partner_demo-mfs_2026-12-05.csv' },
    ]);
  });
});
