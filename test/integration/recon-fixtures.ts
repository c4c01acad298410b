import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import type { Db } from '../../src/domain/db';
import { Ledger } from '../../src/domain/ledger/ledger';
import { OpsAuditLog } from '../../src/domain/audit/ops-audit-log';
import { uuidv7 } from '../../src/domain/ids';
import { Reconciliation } from '../../src/domain/recon/reconciliation';
import { seedDemoData, settlementAccountId } from '../../src/demo/demo-data';
import { seedDemoRecon } from '../../src/demo/demo-recon';
import { floatAccountId } from '../../src/domain/posting/posting-engine';
import { wallClock } from '../../src/domain/recon/business-day';

export const TZ = 'Asia/Dhaka';

export async function seedReconDemo(db: Db): Promise<void> {
  await seedDemoData(db, (id) => `http://127.0.0.1:1/billers/${id}`);
  await seedDemoRecon(db, ['demo-mfs', 'demo-bank', 'demo-agents'], 'http://127.0.0.1:1');
}

export function reconOf(db: Db): Reconciliation {
  return new Reconciliation({
    db,
    ledger: new Ledger(),
    audit: new OpsAuditLog(),
    camtReader: () => {
      throw new Error('no camt reader in this spec');
    },
    timeZone: TZ,
    newId: uuidv7,
  });
}

export interface TestPayment {
  id: string;
  partnerReference: string;
  receipt: string | null;
  amountMinor: bigint;
  status: string;
  receivedAt: Date;
}

/**
 * A payment of demo-mfs to the electricity biller as the pipeline leaves it: the row and, when it
 * was approved, its float journal (so resolutions have a real posting to turn round).
 */
export async function insertPayment(
  db: Db,
  p: Partial<TestPayment> & { date: string; time?: string },
): Promise<TestPayment> {
  const id = p.id ?? randomUUID();
  const ref = p.partnerReference ?? `ref-${id.slice(0, 8)}`;
  const amount = p.amountMinor ?? 125050n;
  const status = p.status ?? 'APPROVED';
  const receipt =
    p.receipt === undefined ? (status === 'DECLINED' ? null : `ELECTRICITY-${id.slice(0, 8)}`) : p.receipt;
  const receivedAt = p.receivedAt ?? wallClock(p.date, p.time ?? '10:00', TZ);
  await db
    .insertInto('payments')
    .values({
      id,
      partner_id: 'demo-mfs',
      lane: 'http-plain',
      protocol: 'rest',
      payer_type: 'mfs-user',
      bill_type: 'ELECTRICITY',
      bill_reference: 'DESCO-1',
      amount,
      currency: 'BDT',
      payer_kind: 'wallet',
      payer_id: '01711000001',
      partner_reference: ref,
      idempotency_key: id,
      status,
      reason_code: status === 'APPROVED' ? 'APPROVED' : 'BILLER_DECLINED',
      biller_receipt: receipt,
      biller_endpoint: 'sim-electricity',
      settlement_account: settlementAccountId('ELECTRICITY'),
      origin: JSON.stringify({}),
      received_at: receivedAt,
    })
    .execute();
  if (status === 'APPROVED' || status === 'REVERSED') {
    await db.transaction().execute((tx) =>
      new Ledger().post(tx, {
        paymentId: id,
        kind: 'payment',
        currency: 'BDT',
        memo: 'test payment',
        lines: [
          { accountId: floatAccountId('demo-mfs', 'BDT'), side: 'D', amount },
          { accountId: settlementAccountId('ELECTRICITY'), side: 'C', amount },
        ],
      }),
    );
  }
  return { id, partnerReference: ref, receipt, amountMinor: amount, status, receivedAt };
}

export function tempFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'recon-'));
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

export function major(minor: bigint): string {
  const s = minor.toString().padStart(3, '0');
  return `${s.slice(0, -2)}.${s.slice(-2)}`;
}

/** A demo partner settlement CSV (DEMO_PARTNER_CSV_LAYOUT). */
export function partnerCsv(
  rows: { ref: string; id?: string; amount: bigint; status?: string; date: string; currency?: string }[],
): string {
  return [
    'partner_reference,billgate_payment_id,amount,currency,status,value_date',
    ...rows.map(
      (r) =>
        `${r.ref},${r.id ?? ''},${major(r.amount)},${r.currency ?? 'BDT'},${r.status ?? 'SETTLED'},${r.date}`,
    ),
  ].join('\n');
}

/** A biller posting CSV (DEMO_BILLER_POSTING_LAYOUT). */
export function billerCsv(
  rows: { receipt: string; id: string; amount: bigint; status?: string; date: string }[],
): string {
  return [
    'receipt,payment_id,bill_reference,amount,currency,status,posted_on',
    ...rows.map((r) => `${r.receipt},${r.id},DESCO-1,${major(r.amount)},BDT,${r.status ?? 'PAID'},${r.date}`),
  ].join('\n');
}

export async function countRows(db: Db, table: string): Promise<number> {
  const { rows } = await sql<{ n: bigint }>`select count(*)::bigint as n from ${sql.table(table)}`.execute(
    db,
  );
  return Number(rows[0]?.n ?? 0n);
}
