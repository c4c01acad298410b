import { sql } from 'kysely';
import type { Db } from '../domain/db';
import type { BillerPostingFile, CsvLayout, PartnerReconciliation } from '../domain/recon/layout';
import { billerPostingFileSchema, partnerReconciliationSchema } from '../domain/recon/layout';
import { ReconBillerConfigsRepository } from '../domain/recon/biller-configs.repository';
import { DEMO_BILL_TYPES, demoBillerEndpointId } from './demo-data';

/** The demo partners' settlement file: a CSV with a header, decimal amounts, ISO dates. */
export const DEMO_PARTNER_CSV_LAYOUT: CsvLayout = {
  format: 'csv',
  delimiter: ',',
  header: true,
  columns: {
    partnerReference: 'partner_reference',
    paymentId: 'billgate_payment_id',
    amount: 'amount',
    currency: 'currency',
    status: 'status',
    valueDate: 'value_date',
  },
  amountFormat: 'decimal',
  decimalSeparator: '.',
  dateFormat: 'YYYY-MM-DD',
  statusMap: { SETTLED: 'OK', FAILED: 'FAIL', REVERSED: 'REVERSED' },
};

/** What the biller simulator's posting file looks like (src/simulators/biller-posting-file.ts). */
export const DEMO_BILLER_POSTING_LAYOUT: CsvLayout = {
  format: 'csv',
  delimiter: ',',
  header: true,
  columns: {
    billerReceipt: 'receipt',
    paymentId: 'payment_id',
    amount: 'amount',
    currency: 'currency',
    status: 'status',
    valueDate: 'posted_on',
  },
  amountFormat: 'decimal',
  decimalSeparator: '.',
  dateFormat: 'YYYY-MM-DD',
  statusMap: { PAID: 'OK', FAILED: 'FAIL', REVERSED: 'REVERSED' },
};

export function demoPartnerReconciliation(partnerId: string): PartnerReconciliation {
  return partnerReconciliationSchema.parse({
    // The demo bank sends a camt.053 statement; the other partners a CSV.
    settlementFile:
      partnerId === 'demo-bank'
        ? { format: 'camt.053', references: { partnerReference: 'EndToEndId', paymentId: 'InstrId' } }
        : DEMO_PARTNER_CSV_LAYOUT,
  });
}

const DEMO_OPERATIONAL = {
  settlementWindows: [{ cutoff: '23:55', settlesAt: '10:00' }],
  disputeSlaHours: 72,
  reconciliationCadence: 'daily',
  escalationContacts: [{ level: 1, name: 'Reconciliation desk', email: 'recon@bank.example' }],
};

/**
 * Gives the demo partners reconciliation terms in their Operational Schedule (where they have none)
 * and the simulated billers a posting-file configuration fetched from the simulator. Idempotent.
 */
export async function seedDemoRecon(
  db: Db,
  partnerIds: readonly string[],
  billerSimulatorUrl: string,
): Promise<void> {
  for (const id of partnerIds) {
    const row = await db
      .selectFrom('partners')
      .select(sql<Record<string, unknown> | null>`schedules`.as('schedules'))
      .where('id', '=', id)
      .executeTakeFirst();
    if (row === undefined) continue;
    const schedules = (row.schedules ?? {}) as Record<string, Record<string, unknown> | undefined>;
    if (schedules.operational?.reconciliation !== undefined) continue;
    const operational = {
      ...(schedules.operational ?? DEMO_OPERATIONAL),
      reconciliation: demoPartnerReconciliation(id),
    };
    await sql`update partners set schedules = ${JSON.stringify({ ...schedules, operational })}::jsonb
              where id = ${id}`.execute(db);
  }
  const configs = new ReconBillerConfigsRepository();
  for (const billType of DEMO_BILL_TYPES) {
    const billerId = demoBillerEndpointId(billType);
    const simBiller = billType.toLowerCase();
    const postingFile: BillerPostingFile = billerPostingFileSchema.parse({
      layout: DEMO_BILLER_POSTING_LAYOUT,
      fetch: {
        url: `${billerSimulatorUrl.replace(/\/+$/, '')}/billers/${simBiller}/posting-file?date={date}`,
        at: '00:30',
      },
    });
    await configs.put(db, billerId, postingFile, 'system:demo-seed', new Date());
  }
}
