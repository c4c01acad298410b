import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { camtLayoutSchema, type ReadItem } from '../../../domain/recon/layout';
import { CamtReader, camtSchemaDir } from './camt-reader';

const SAMPLES = path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'iso20022', 'samples');
const sample = (f: string): Buffer => fs.readFileSync(path.join(SAMPLES, f));

async function all(batches: AsyncIterable<readonly ReadItem[]>): Promise<ReadItem[]> {
  const out: ReadItem[] = [];
  for await (const batch of batches) out.push(...batch);
  return out;
}

describe('camt.053 / camt.054 reader on the real public samples', () => {
  let reader: CamtReader;
  beforeAll(async () => {
    reader = await CamtReader.create();
  });
  afterAll(() => reader.dispose());

  it.each([
    ['cbpr-ballerina/cbpr_c.105.1.1_camt.053_BtoA.xml', 'camt.053.001.08', 2],
    ['cbpr-ballerina/cbpr_p.2.5.1_camt.053_BtoDbtr.xml', 'camt.053.001.12', 1],
    ['iso20022js-banks/goldman_sachs__camt_053_uk_v2_1.xml', 'camt.053.001.02', 6],
    ['moov/camt.053_P_CH2909000000250094239_1110092698_0_2020112503071366.xml', 'camt.053.001.04', 5],
    ['cbpr-ballerina/cbpr_c.54.3.1_camt.054_BtoA.xml', 'camt.054.001.12', 1],
    ['cbpr-ballerina/cbpr_c.56.4.1_camt.054_DtoE.xml', 'camt.054.001.12', 1],
    ['moov/postfinance_camt.054.001.04_credit.xml', 'camt.054.001.04', 1],
    ['moov/postfinance_camt.054.001.04_returns.xml', 'camt.054.001.04', 1],
    ['moov/fi_camt.054.001.02_sample.xml', 'camt.054.001.02', 11],
    ['fednow-moov/AccountDebitCreditNotification_Scenario1_Step5_camt.054.xml', 'camt.054.001.08', 1],
  ])('%s validates against %s and yields %i booked entries', (file, type, entries) => {
    const parsed = reader.parse(sample(file));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.document.messageType).toBe(type);
    expect(parsed.document.entries).toHaveLength(entries);
  });

  it('reads the CBPR+ camt.053 entry by entry: amount, indicator, value date and every reference', () => {
    const parsed = reader.parse(sample('cbpr-ballerina/cbpr_c.105.1.1_camt.053_BtoA.xml'));
    if (!parsed.ok) throw new Error('not parsed');
    expect(parsed.document.entries[0]).toMatchObject({
      line: 85,
      amount: '2450',
      currency: 'GBP',
      creditDebit: 'DBIT',
      reversal: false,
      valueDate: '2022-10-20',
      refs: {
        AcctSvcrRef: 'ABKREF-125646',
        EndToEndId: 'pacs008EndToEndId-001',
        InstrId: 'pacs008bzmsgid-1',
        UETR: '7a562c67-ca16-48ba-b074-65581be6f001',
      },
    });
  });

  it('turns statement entries into reconciliation rows with the layout naming the keys', async () => {
    const file = path.join(SAMPLES, 'iso20022js-banks/goldman_sachs__camt_053_uk_v2_1.xml');
    const layout = camtLayoutSchema.parse({
      format: 'camt.053',
      references: { partnerReference: 'TxId', billerReceipt: 'AcctSvcrRef' },
    });
    const items = await all(reader.readerFor(layout).read(file));
    expect(items).toHaveLength(6);
    expect(items[0]).toEqual({
      row: {
        line: 189,
        paymentId: null,
        partnerReference: 'SPB2327886082710',
        billerReceipt: 'SPB2327886082710',
        amountMinor: 10000n,
        currency: 'GBP',
        status: 'OK',
        valueDate: '2023-10-09',
      },
    });
  });

  it('reads a reversal entry (RvslInd) of a camt.054 as REVERSED, and a notification without ValDt at its creation date', async () => {
    const layout = camtLayoutSchema.parse({ format: 'camt.054' });
    const [returned] = await all(
      reader.readerFor(layout).read(path.join(SAMPLES, 'moov/postfinance_camt.054.001.04_returns.xml')),
    );
    expect(returned).toMatchObject({
      row: {
        status: 'REVERSED',
        amountMinor: 50000n,
        currency: 'CHF',
        partnerReference: 'EndToEndId-001-03-04',
      },
    });
    const [fednow] = await all(
      reader
        .readerFor(layout)
        .read(path.join(SAMPLES, 'fednow-moov/AccountDebitCreditNotification_Scenario1_Step5_camt.054.xml')),
    );
    expect(fednow).toMatchObject({
      row: { amountMinor: 5174n, currency: 'USD', valueDate: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) },
    });
  });

  it('refuses a statement that fails its XSD, naming the line, and one of another message type', async () => {
    const text = sample('cbpr-ballerina/cbpr_c.105.1.1_camt.053_BtoA.xml')
      .toString('utf8')
      .replace('<camt:CdtDbtInd>DBIT</camt:CdtDbtInd>', '<camt:CdtDbtInd>SIDEWAYS</camt:CdtDbtInd>');
    const parsed = reader.parse(Buffer.from(text));
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.problems[0]?.message).toMatch(/camt\.053\.001\.08: .*SIDEWAYS/);
    expect(parsed.problems[0]?.line).toBeGreaterThan(60);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'camt-'));
    const notification = path.join(dir, 'n.xml');
    fs.copyFileSync(path.join(SAMPLES, 'moov/postfinance_camt.054.001.04_credit.xml'), notification);
    const items = await all(
      reader.readerFor(camtLayoutSchema.parse({ format: 'camt.053' })).read(notification),
    );
    expect(items).toEqual([
      { problem: { line: 1, message: 'the layout expects a camt.053, the file is a camt.054.001.04' } },
    ]);
  });

  it("reads the committed sample of a partner's camt.053 settlement file (docs/recon) with the demo bank's layout", async () => {
    const layout = camtLayoutSchema.parse({
      format: 'camt.053',
      references: { partnerReference: 'EndToEndId', paymentId: 'InstrId' },
    });
    const items = await all(
      reader
        .readerFor(layout)
        .read(
          path.join(__dirname, '..', '..', '..', '..', 'docs', 'recon', 'partner-settlement.camt053.xml'),
        ),
    );
    expect(
      items.map((i) =>
        'row' in i ? [i.row.partnerReference, i.row.paymentId, i.row.amountMinor] : i.problem,
      ),
    ).toEqual([
      ['bank-20261202-0001', '0193d2a1-7c4e-7b10-9f2a-3c5d7e9a0b21', 125050n],
      ['bank-20261202-0002', null, 30000n],
    ]);
  });

  it('refuses a DOCTYPE before any parser sees it', () => {
    const parsed = reader.parse(
      Buffer.from('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><Document/>'),
    );
    expect(parsed).toEqual({
      ok: false,
      problems: [{ line: 0, message: 'DOCTYPE and ENTITY declarations are not accepted' }],
    });
  });
});

it('carries the camt XSDs unmodified: each hashes to the SHA-256 its PROVENANCE.md records', () => {
  const dir = camtSchemaDir();
  const recorded = new Map(
    [
      ...fs
        .readFileSync(path.join(dir, 'PROVENANCE.md'), 'utf8')
        .matchAll(/^\| (\S+\.xsd) \| ([0-9a-f]{64}) \|/gm),
    ].map((m) => [m[1], m[2]]),
  );
  const carried = fs.readdirSync(dir).filter((n) => n.endsWith('.xsd'));
  expect([...recorded.keys()].sort()).toEqual([...carried].sort());
  for (const f of carried) {
    const digest = crypto
      .createHash('sha256')
      .update(fs.readFileSync(path.join(dir, f)))
      .digest('hex');
    expect([f, digest]).toEqual([f, recorded.get(f)]);
  }
});
