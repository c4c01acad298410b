import { mkdtempSync, readFileSync, rmSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BillerBook } from './biller-book';

const bill = (paymentId: string, book: BillerBook) => ({
  paymentId,
  billerId: 'DESCO',
  receipt: book.nextReceipt('desco'),
  billReference: 'ACC-1001',
  amountMinor: '125050',
  currency: 'BDT',
  paidAt: new Date('2026-12-01T18:30:00Z'),
});

describe('the biller simulator book', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'biller-book-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps what the biller was paid and reversed across a restart, receipts still unique', () => {
    const first = new BillerBook(dir);
    first.recordPaid(bill('p-1', first));
    first.recordPaid(bill('p-2', first));
    first.markReversed('p-1', new Date('2026-12-02T03:00:00Z'), 'customer complaint');

    const again = new BillerBook(dir);
    expect(again.find('p-1')).toMatchObject({
      receipt: 'DESCO-00000001',
      reversed: true,
      reversedAt: new Date('2026-12-02T03:00:00Z'),
      reversalReason: 'customer complaint',
    });
    expect(again.find('p-2')).toMatchObject({
      receipt: 'DESCO-00000002',
      reversed: false,
      amountMinor: '125050',
    });
    expect(again.nextReceipt('desco')).toBe('DESCO-00000003');
  });

  it('records a reversal once and ignores a torn last line', () => {
    const book = new BillerBook(dir);
    book.recordPaid(bill('p-1', book));
    book.markReversed('p-1', new Date('2026-12-02T03:00:00Z'));
    book.markReversed('p-1', new Date('2026-12-02T04:00:00Z'));
    appendFileSync(join(dir, 'biller-book.jsonl'), '{"type":"paid","paymentId":"p-9"');
    expect(readFileSync(join(dir, 'biller-book.jsonl'), 'utf8').split('\n').filter(Boolean)).toHaveLength(3);
    const again = new BillerBook(dir);
    expect(again.find('p-1')?.reversedAt).toEqual(new Date('2026-12-02T03:00:00Z'));
    expect(again.find('p-9')).toBeUndefined();
    expect(again.size).toBe(1);
  });

  it('lives in memory without a state directory', () => {
    const book = new BillerBook();
    book.recordPaid(bill('p-1', book));
    expect(book.all().map((b) => b.paymentId)).toEqual(['p-1']);
  });
});
