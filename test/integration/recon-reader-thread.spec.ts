import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_PARTNER_CSV_LAYOUT } from '../../src/demo/demo-recon';
import type * as CsvCopy from '../../src/domain/recon/csv-copy';
import { csvCopyBatches, type CopyBatch } from '../../src/domain/recon/csv-copy';

/*
 * A built gateway reads each reconciliation file on a worker thread (dist/.../csv-copy.worker.js);
 * under the TypeScript runner the same code runs on the calling thread. This proves the built path:
 * the worker's batches are the calling thread's, byte for byte, and a malformed file's bad lines come
 * back through it. It needs `npm run build` first (CI builds before it tests).
 */

const BUILT = join(__dirname, '../../dist/domain/recon/csv-copy.js');
const whenBuilt = existsSync(BUILT) ? it : it.skip;

type Reader = typeof CsvCopy;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the compiled module, as a built gateway loads it
const built = (): Reader => require(BUILT) as Reader;

const FILE_ID = '0193b000-0000-7000-8000-00000000f11e';
const HEADER = 'partner_reference,billgate_payment_id,amount,currency,status,value_date';

function file(lines: readonly string[]): string {
  const p = join(mkdtempSync(join(tmpdir(), 'recon-thread-')), 'partner.csv');
  writeFileSync(p, `${lines.join('\n')}\n`);
  return p;
}
async function all(batches: AsyncIterable<CopyBatch>): Promise<CopyBatch[]> {
  const out: CopyBatch[] = [];
  for await (const b of batches) out.push(b);
  return out;
}

describe('a reconciliation file read on a worker thread (built gateway)', () => {
  whenBuilt('gives the same COPY text as the calling thread', async () => {
    const lines = [HEADER];
    for (let i = 0; i < 25_000; i += 1) {
      lines.push(`ref-${i},,${(i % 997) + 1}.${String(i % 100).padStart(2, '0')},BDT,SETTLED,2026-12-02`);
    }
    lines.push('"tab\there",0193B000-0000-7000-8000-000000000001,1250.50,bdt,settled,2026-12-02');
    const path = file(lines);
    const inThread = await all(csvCopyBatches(path, DEMO_PARTNER_CSV_LAYOUT, FILE_ID, 10));
    const onWorker = await all(built().readCsvAsCopy(path, DEMO_PARTNER_CSV_LAYOUT, FILE_ID, 10));
    expect(onWorker.reduce((n, b) => n + b.rows, 0)).toBe(25_001);
    expect(onWorker.map((b) => b.text).join('')).toBe(inThread.map((b) => b.text).join(''));
    expect(onWorker.flatMap((b) => b.problems)).toEqual([]);
  });

  whenBuilt('names the bad lines of a malformed file, and writes nothing of it', async () => {
    const path = file([
      HEADER,
      'r1,,1.00,BDT,SETTLED,2026-12-02',
      'r2,,-1,BDT,SETTLED,2026-12-02',
      'r3,,1.00,XX,SETTLED,2026-12-02',
    ]);
    const onWorker = await all(built().readCsvAsCopy(path, DEMO_PARTNER_CSV_LAYOUT, FILE_ID, 10));
    expect(onWorker.map((b) => b.text).join('')).toBe('');
    expect(onWorker.flatMap((b) => b.problems).map((p) => p.line)).toEqual([3, 4]);
  });

  whenBuilt('a file that cannot be read fails the read', async () => {
    await expect(
      all(built().readCsvAsCopy('/nonexistent/partner.csv', DEMO_PARTNER_CSV_LAYOUT, FILE_ID, 10)),
    ).rejects.toThrow(/ENOENT|no such file/);
  });
});
