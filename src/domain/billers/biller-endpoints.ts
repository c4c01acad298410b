import { z } from 'zod';
import { OpsAuditLog } from '../audit/ops-audit-log';
import type { Db, Tx } from '../db';

/**
 * Biller endpoints as ops own them: where a biller is, which bill type it serves, how long it may
 * take. Every change is appended to the ops audit chain in its own transaction, whoever makes it
 * (the ops API or the gateway applying BILLGATE_CONFIG), and an unchanged declaration writes nothing,
 * so applying the same file again leaves no trace. A bill type the catalogue lacks is added with it.
 */

export const billerDeclarationSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'lowercase letters, digits, . _ - (at most 63)'),
  name: z.string().trim().min(1).max(200),
  billType: z.string().regex(/^[A-Z][A-Z0-9_]{1,31}$/, 'an upper-case bill type code such as ELECTRICITY'),
  url: z.url({ protocol: /^https?$/ }),
  timeoutMs: z.number().int().min(50).max(120_000).default(3000),
});
export type BillerDeclaration = z.infer<typeof billerDeclarationSchema>;

export interface BillerEndpoint extends BillerDeclaration {
  readonly createdAt: string;
}

export type UpsertOutcome = 'created' | 'updated' | 'unchanged';

export class BillerEndpoints {
  private readonly audit = new OpsAuditLog();

  constructor(private readonly db: Db) {}

  async list(): Promise<BillerEndpoint[]> {
    const rows = await this.db
      .selectFrom('biller_endpoints')
      .select(['id', 'biller_name', 'bill_type', 'url', 'timeout_ms', 'created_at'])
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      name: r.biller_name,
      billType: r.bill_type,
      url: r.url,
      timeoutMs: r.timeout_ms,
      createdAt: r.created_at.toISOString(),
    }));
  }

  async upsert(b: BillerDeclaration, by: { actor: string; reason: string }): Promise<UpsertOutcome> {
    return this.db.transaction().execute(async (tx) => {
      const current = await tx
        .selectFrom('biller_endpoints')
        .select(['biller_name', 'bill_type', 'url', 'timeout_ms'])
        .where('id', '=', b.id)
        .forUpdate()
        .executeTakeFirst();
      const after = { name: b.name, billType: b.billType, url: b.url, timeoutMs: b.timeoutMs };
      if (current === undefined) {
        await this.ensureBillType(tx, b.billType, by);
        await tx
          .insertInto('biller_endpoints')
          .values({
            id: b.id,
            biller_name: b.name,
            bill_type: b.billType,
            url: b.url,
            timeout_ms: b.timeoutMs,
          })
          .execute();
        await this.audit.append(tx, {
          ...by,
          action: 'biller.create',
          subjectType: 'biller',
          subjectId: b.id,
          after,
        });
        return 'created';
      }
      const before = {
        name: current.biller_name,
        billType: current.bill_type,
        url: current.url,
        timeoutMs: current.timeout_ms,
      };
      if (JSON.stringify(before) === JSON.stringify(after)) return 'unchanged';
      await this.ensureBillType(tx, b.billType, by);
      await tx
        .updateTable('biller_endpoints')
        .set({ biller_name: b.name, bill_type: b.billType, url: b.url, timeout_ms: b.timeoutMs })
        .where('id', '=', b.id)
        .execute();
      await this.audit.append(tx, {
        ...by,
        action: 'biller.update',
        subjectType: 'biller',
        subjectId: b.id,
        before,
        after,
      });
      return 'updated';
    });
  }

  private async ensureBillType(tx: Tx, code: string, by: { actor: string; reason: string }): Promise<void> {
    const added = await tx
      .insertInto('bill_types')
      .values({ code, name: code.charAt(0) + code.slice(1).toLowerCase().replace(/_/g, ' ') })
      .onConflict((oc) => oc.column('code').doNothing())
      .returning('code')
      .executeTakeFirst();
    if (added !== undefined) {
      await this.audit.append(tx, {
        ...by,
        action: 'bill-type.create',
        subjectType: 'bill-type',
        subjectId: code,
      });
    }
  }
}
