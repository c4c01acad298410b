import * as fs from 'node:fs';
import * as path from 'node:path';
import type { StatementHeader, StatementLine } from '../../../domain/recon/settlement-statement';
import { camt053Statement, type StatementSource } from './camt053-statement';
import { CamtReader } from './camt-reader';

const GOLDEN = path.join(
  __dirname,
  '..',
  '..',
  '..',
  '..',
  'docs',
  'recon',
  'settlement-statement.camt053.xml',
);

/** A day of demo-mfs: two payments and one reversal on the electricity settlement account. */
const header: StatementHeader = {
  partnerId: 'demo-mfs',
  businessDate: '2026-12-02',
  timeZone: 'Asia/Dhaka',
  from: new Date('2026-12-01T18:00:00.000Z'),
  to: new Date('2026-12-02T18:00:00.000Z'),
  totals: [
    {
      settlementAccount: 'settlement:ELECTRICITY:BDT',
      currency: 'BDT',
      payments: 2,
      reversals: 1,
      debitsMinor: 155050n,
      creditsMinor: 30000n,
      netMinor: 125050n,
    },
  ],
};
const lines: StatementLine[] = [
  [
    '101',
    'payment',
    '0193d2a1-7c4e-7b10-9f2a-3c5d7e9a0b11',
    'mfs-20261202-0001',
    'ELECTRICITY-00000101',
    125050n,
    '04:12:09',
  ],
  [
    '102',
    'payment',
    '0193d2a1-7c4e-7b10-9f2a-3c5d7e9a0b12',
    'mfs-20261202-0002',
    'ELECTRICITY-00000102',
    30000n,
    '05:40:51',
  ],
  [
    '140',
    'reversal',
    '0193d2a1-7c4e-7b10-9f2a-3c5d7e9a0b12',
    'mfs-20261202-0002',
    'ELECTRICITY-00000102',
    30000n,
    '11:02:33',
  ],
].map(([id, kind, paymentId, ref, receipt, amount, time]) => ({
  settlementAccount: 'settlement:ELECTRICITY:BDT',
  journalEntryId: id as string,
  kind: kind as 'payment' | 'reversal',
  paymentId: paymentId as string,
  partnerReference: ref as string,
  billerReceipt: receipt as string,
  billType: 'ELECTRICITY',
  amountMinor: amount as bigint,
  currency: 'BDT',
  direction: kind === 'payment' ? ('DBIT' as const) : ('CRDT' as const),
  bookedAt: new Date(`2026-12-02T${time as string}.000Z`),
}));
const source: StatementSource = {
  header: () => Promise.resolve(header),
  lines: () => ({
    [Symbol.asyncIterator]: () => {
      let i = 0;
      return {
        next: () =>
          Promise.resolve(
            i < lines.length ? { value: lines[i++]!, done: false } : { value: undefined, done: true },
          ),
      };
    },
  }),
};

describe('our settlement statement as camt.053.001.08', () => {
  it('is valid against the XSD, reads back entry for entry, and is the committed sample (docs/recon)', async () => {
    let xml = '';
    for await (const chunk of camt053Statement(
      source,
      'demo-mfs',
      '2026-12-02',
      new Date('2026-12-02T20:00:00.000Z'),
    ))
      xml += chunk;
    const reader = await CamtReader.create();
    try {
      expect(reader.validate(Buffer.from(xml), 'camt.053.001.08')).toEqual([]);
      const parsed = reader.parse(Buffer.from(xml));
      if (!parsed.ok) throw new Error('not parsed');
      expect(
        parsed.document.entries.map((e) => [
          e.amount,
          e.creditDebit,
          e.reversal,
          e.refs.EndToEndId,
          e.refs.InstrId,
        ]),
      ).toEqual([
        ['1250.50', 'DBIT', false, 'mfs-20261202-0001', '0193d2a17c4e7b109f2a3c5d7e9a0b11'],
        ['300.00', 'DBIT', false, 'mfs-20261202-0002', '0193d2a17c4e7b109f2a3c5d7e9a0b12'],
        ['300.00', 'CRDT', true, 'mfs-20261202-0002', '0193d2a17c4e7b109f2a3c5d7e9a0b12'],
      ]);
      expect(xml).toContain(
        '<Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="BDT">1250.50</Amt><CdtDbtInd>DBIT</CdtDbtInd>',
      );
    } finally {
      reader.dispose();
    }
    if (process.env.UPDATE_GOLDEN === '1') fs.writeFileSync(GOLDEN, xml);
    expect(xml).toBe(fs.readFileSync(GOLDEN, 'utf8'));
  });
});
