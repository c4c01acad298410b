import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DEMO_BILLER_POSTING_LAYOUT, DEMO_PARTNER_CSV_LAYOUT } from '../../demo/demo-recon';
import { csvLayoutSchema, type ReadItem } from './layout';
import { CsvSourceReader } from './csv-reader';
import { csvRecords } from './csv-records';

const DOCS = path.join(__dirname, '..', '..', '..', 'docs', 'recon');

async function all(batches: AsyncIterable<readonly ReadItem[]>): Promise<ReadItem[]> {
  const out: ReadItem[] = [];
  for await (const b of batches) out.push(...b);
  return out;
}

function file(text: string): string {
  const p = path.join(mkdtempSync(path.join(tmpdir(), 'csv-')), 'f.csv');
  writeFileSync(p, text);
  return p;
}

describe('settlement and posting files as CSV', () => {
  it('reads the committed sample files (docs/recon) with the demo layouts', async () => {
    const partner = await all(
      new CsvSourceReader(DEMO_PARTNER_CSV_LAYOUT).read(path.join(DOCS, 'partner-settlement.csv')),
    );
    expect(partner).toHaveLength(5);
    expect(partner[0]).toEqual({
      row: {
        line: 2,
        paymentId: '0193d2a1-7c4e-7b10-9f2a-3c5d7e9a0b11',
        partnerReference: 'mfs-20261202-0001',
        billerReceipt: null,
        amountMinor: 125050n,
        currency: 'BDT',
        status: 'OK',
        valueDate: '2026-12-02',
      },
    });
    expect(partner.map((i) => ('row' in i ? i.row.status : i.problem.message))).toEqual([
      'OK',
      'OK',
      'OK',
      'FAIL',
      'REVERSED',
    ]);
    const biller = await all(
      new CsvSourceReader(DEMO_BILLER_POSTING_LAYOUT).read(path.join(DOCS, 'biller-posting.csv')),
    );
    expect(
      biller.map((i) => ('row' in i ? [i.row.billerReceipt, i.row.amountMinor, i.row.status] : i.problem)),
    ).toEqual([
      ['ELECTRICITY-00000101', 125050n, 'OK'],
      ['ELECTRICITY-00000102', 30000n, 'OK'],
      ['ELECTRICITY-00000103', 273512n, 'OK'],
      ['ELECTRICITY-00000105', 45000n, 'REVERSED'],
    ]);
  });

  it('takes any layout as data: no header, positions, semicolons, decimal commas, minor units, other date formats', async () => {
    const layout = csvLayoutSchema.parse({
      format: 'csv',
      delimiter: ';',
      header: false,
      columns: { partnerReference: 2, amount: 3, valueDate: 1 },
      amountFormat: 'decimal',
      decimalSeparator: ',',
      dateFormat: 'DD/MM/YYYY',
      currency: 'BDT',
      status: 'OK',
    });
    const items = await all(
      new CsvSourceReader(layout).read(file('02/12/2026;"ref; with ""quote""";1250,50\r\n31/02/2026;r2;3\n')),
    );
    expect(items).toEqual([
      {
        row: expect.objectContaining({
          line: 1,
          partnerReference: 'ref; with "quote"',
          amountMinor: 125050n,
          valueDate: '2026-12-02',
        }),
      },
      { problem: { line: 2, message: 'valueDate: "31/02/2026" is not a DD/MM/YYYY date' } },
    ]);
    const minor = csvLayoutSchema.parse({
      ...DEMO_PARTNER_CSV_LAYOUT,
      amountFormat: 'minor',
      dateFormat: 'YYYYMMDD',
    });
    const rows = await all(
      new CsvSourceReader(minor).read(
        file(
          'partner_reference,billgate_payment_id,amount,currency,status,value_date\nr1,,125050,BDT,SETTLED,20261202\n',
        ),
      ),
    );
    expect(rows).toEqual([
      { row: expect.objectContaining({ amountMinor: 125050n, valueDate: '2026-12-02' }) },
    ]);
  });

  it('names a header without the layout columns, and a broken quote with its line', async () => {
    expect(
      await all(new CsvSourceReader(DEMO_PARTNER_CSV_LAYOUT).read(file('ref,amount\nx,1.00\n'))),
    ).toEqual([
      {
        problem: {
          line: 1,
          message: expect.stringContaining(
            'no column "partner_reference" for partnerReference in the header',
          ),
        },
      },
    ]);
    const broken = file(
      'partner_reference,billgate_payment_id,amount,currency,status,value_date\n"r1,,1.00,BDT,SETTLED,2026-12-02\n',
    );
    expect(await all(new CsvSourceReader(DEMO_PARTNER_CSV_LAYOUT).read(broken))).toEqual([
      { problem: { line: 2, message: 'unreadable CSV: a quoted field is never closed' } },
    ]);
  });

  it('splits records across chunk boundaries and keeps quoted line breaks in one record', async () => {
    const many = Array.from({ length: 30_000 }, (_, i) => `r${i},"a\nb",${i}`).join('\n');
    let n = 0;
    let last: string[] = [];
    for await (const batch of csvRecords(file(many), ',')) {
      n += batch.length;
      last = batch.at(-1)!.fields;
    }
    expect(n).toBe(30_000);
    expect(last).toEqual(['r29999', 'a\nb', '29999']);
  });

  it('refuses a layout that cannot work, saying why', () => {
    const r = csvLayoutSchema.safeParse({
      format: 'csv',
      header: false,
      columns: { amount: 'amt', valueDate: 2 },
    });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.message)).toEqual(
      expect.arrayContaining([
        'name at least one match key column: paymentId, partnerReference or billerReceipt',
        'a currency column or a fixed currency',
        'a status column or a fixed status',
        'without a header, columns are 1-based positions (got "amt")',
      ]),
    );
  });
});
