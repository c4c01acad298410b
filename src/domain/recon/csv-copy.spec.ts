import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DEMO_PARTNER_CSV_LAYOUT } from '../../demo/demo-recon';
import { type CopyBatch, csvCopyBatches } from './csv-copy';

function file(text: string): string {
  const p = path.join(mkdtempSync(path.join(tmpdir(), 'csv-copy-')), 'f.csv');
  writeFileSync(p, text);
  return p;
}

async function all(batches: AsyncIterable<CopyBatch>): Promise<CopyBatch[]> {
  const out: CopyBatch[] = [];
  for await (const b of batches) out.push(b);
  return out;
}

const FILE_ID = '0193b000-0000-7000-8000-00000000f11e';
const HEADER = 'partner_reference,billgate_payment_id,amount,currency,status,value_date\n';

describe('a CSV file read into COPY text for recon_source_rows', () => {
  it('writes each good row as one COPY line, references escaped', async () => {
    const batches = await all(
      csvCopyBatches(
        file(
          `${HEADER}"tab\there",0193B000-0000-7000-8000-000000000001,1250.50,bdt,settled,2026-12-02\nr2,,3,BDT,FAILED,2026-12-02\n`,
        ),
        DEMO_PARTNER_CSV_LAYOUT,
        FILE_ID,
        10,
      ),
    );
    expect(batches.map((b) => b.text).join('')).toBe(
      `${FILE_ID}\t2\t0193b000-0000-7000-8000-000000000001\ttab\\there\t\\N\t125050\tBDT\tOK\t2026-12-02\n` +
        `${FILE_ID}\t3\t\\N\tr2\t\\N\t300\tBDT\tFAIL\t2026-12-02\n`,
    );
    expect(batches.reduce((n, b) => n + b.rows, 0)).toBe(2);
    expect(batches.reduce((n, b) => n + b.problemCount, 0)).toBe(0);
  });

  it('writes nothing once a line is bad, counts every bad line and names at most the cap', async () => {
    const lines = [HEADER.trimEnd(), 'r1,,1.00,BDT,SETTLED,2026-12-02'];
    for (let i = 0; i < 5; i += 1) lines.push(`r${i},,-1,BDT,SETTLED,2026-12-02`);
    lines.push('r9,,2.00,BDT,SETTLED,2026-12-02');
    const batches = await all(
      csvCopyBatches(file(`${lines.join('\n')}\n`), DEMO_PARTNER_CSV_LAYOUT, FILE_ID, 3),
    );
    expect(batches.map((b) => b.text).join('')).toBe('');
    expect(batches.reduce((n, b) => n + b.problemCount, 0)).toBe(5);
    expect(batches.flatMap((b) => b.problems).map((p) => p.line)).toEqual([3, 4, 5]);
    expect(batches.reduce((n, b) => n + b.rows, 0)).toBe(2);
  });
});
