import type { Db } from '../db';
import { uuidv7 } from '../ids';
import type { RuleChange } from './audited-routing-rules';
import type { RuleAdmin } from './rule-admin';
import type { RuleWrites } from './rule-writes';
import { RoutingReferenceData } from './rule-validator';
import {
  RoutingError,
  tupleOf,
  type ChangeContext,
  type NewRule,
  type RoutingRule,
  type RulePatch,
} from './routing-rule';
import { parseRulesCsv, rulesToCsv, type CsvRowError } from './rules-csv';

export interface ImportReport {
  readonly rows: number;
  readonly created: number;
  readonly updated: number;
  readonly unchanged: number;
}

/** The routing table as a CSV file: exported, and imported back all or nothing. */
export class RulesCsvImport {
  constructor(
    private readonly db: Db,
    private readonly admin: RuleAdmin,
    private readonly writes: RuleWrites,
  ) {}

  async exportCsv(): Promise<string> {
    return rulesToCsv(await this.admin.list());
  }

  /**
   * All or nothing: every line is checked (syntax, references, the tuple of an existing rule, the
   * version it was exported at, and whether the resulting table would have two enabled rules for
   * one tuple) and every bad line reported; only a clean file is applied, in one transaction.
   * Rules absent from the file are left as they are.
   */
  async importCsv(text: string, ctx: ChangeContext): Promise<ImportReport> {
    const parsed = parseRulesCsv(text);
    const errors: CsvRowError[] = [...parsed.errors];
    const reference = await RoutingReferenceData.load(this.db);
    const existing = new Map((await this.admin.list()).map((r) => [r.id, r]));
    const seenIds = new Map<string, number>();
    type Planned =
      | { kind: 'create'; line: number; rule: NewRule }
      | {
          kind: 'update';
          line: number;
          id: string;
          patch: RulePatch;
          expectedVersion?: number;
          disables: boolean;
        }
      | { kind: 'unchanged'; line: number };
    const plan: Planned[] = [];
    const finalTable = new Map(existing);

    for (const row of parsed.rows) {
      const rowErrors = reference.validate(row).map((e) => ({ line: row.line, ...e }));
      if (row.id !== undefined) {
        const earlier = seenIds.get(row.id);
        if (earlier !== undefined) {
          rowErrors.push({
            line: row.line,
            field: 'id',
            message: `rule ${row.id} also appears on line ${earlier}`,
          });
        }
        seenIds.set(row.id, row.line);
      }
      const current = row.id !== undefined ? existing.get(row.id) : undefined;
      if (row.id !== undefined && current === undefined) {
        rowErrors.push({
          line: row.line,
          field: 'id',
          message: `no routing rule ${row.id} (leave id empty to create one)`,
        });
      }
      if (current !== undefined) {
        if (tupleOf(current) !== tupleOf(row)) {
          rowErrors.push({
            line: row.line,
            field: 'billType/payerType/partnerId',
            message: `rule ${current.id} routes ${tupleOf(current)}; a rule's tuple cannot change (create a new rule)`,
          });
        }
        if (row.version !== undefined && row.version !== current.version) {
          rowErrors.push({
            line: row.line,
            field: 'version',
            message: `rule ${current.id} is now at version ${current.version}, the file has ${row.version}: export again`,
          });
        }
      }
      if (rowErrors.length > 0) {
        errors.push(...rowErrors);
        continue;
      }
      if (current === undefined) {
        const id = uuidv7();
        const rule: NewRule = {
          id,
          billType: row.billType,
          payerType: row.payerType,
          partnerId: row.partnerId,
          billerEndpoint: row.billerEndpoint,
          settlementAccount: row.settlementAccount,
          enabled: row.enabled,
        };
        plan.push({ kind: 'create', line: row.line, rule });
        finalTable.set(id, { ...rule, id, enabled: row.enabled, version: 1 });
      } else if (
        current.billerEndpoint === row.billerEndpoint &&
        current.settlementAccount === row.settlementAccount &&
        current.enabled === row.enabled
      ) {
        plan.push({ kind: 'unchanged', line: row.line });
      } else {
        plan.push({
          kind: 'update',
          line: row.line,
          id: current.id,
          patch: {
            billerEndpoint: row.billerEndpoint,
            settlementAccount: row.settlementAccount,
            enabled: row.enabled,
          },
          ...(row.version !== undefined ? { expectedVersion: row.version } : {}),
          disables: current.enabled && !row.enabled,
        });
        finalTable.set(current.id, { ...current, ...row, id: current.id, enabled: row.enabled });
      }
    }

    // The table as it would be after the import: one enabled rule per tuple at most.
    const lineOf = new Map<string, number>();
    for (const p of plan) {
      if (p.kind === 'create') lineOf.set(p.rule.id ?? '', p.line);
      if (p.kind === 'update') lineOf.set(p.id, p.line);
    }
    const claimed = new Map<string, RoutingRule>();
    for (const rule of finalTable.values()) {
      if (!rule.enabled) continue;
      const tuple = tupleOf(rule);
      const other = claimed.get(tuple);
      if (other === undefined) {
        claimed.set(tuple, rule);
        continue;
      }
      const [mine, theirs] = lineOf.has(rule.id) ? [rule, other] : [other, rule];
      const line = lineOf.get(mine.id);
      if (line === undefined) continue;
      const theirLine = lineOf.get(theirs.id);
      errors.push({
        line,
        field: 'enabled',
        message:
          theirLine !== undefined
            ? `${tuple} is also enabled on line ${theirLine}`
            : `enabled rule ${theirs.id} already routes ${tuple}`,
      });
    }

    if (errors.length > 0) {
      errors.sort((a, b) => a.line - b.line);
      throw new RoutingError(
        'import-rejected',
        `${new Set(errors.map((e) => e.line)).size} bad row(s); nothing was changed`,
        {
          badRows: errors,
        },
      );
    }

    // Disabling first, so that no intermediate state has two enabled rules for one tuple.
    const ordered = [
      ...plan.filter((p) => p.kind === 'update' && p.disables),
      ...plan.filter((p) => p.kind === 'update' && !p.disables),
      ...plan.filter((p) => p.kind === 'create'),
    ];
    const changes = await this.writes.rules.run(ctx, async (w) => {
      const done: RuleChange[] = [];
      for (const p of ordered) {
        if (p.kind === 'create') done.push(await w.create(p.rule));
        else if (p.kind === 'update') {
          const c = await w.update(p.id, p.patch, p.expectedVersion);
          if (c !== undefined) done.push(c);
        }
      }
      return done;
    });
    await this.writes.committed(changes, 'csv');
    return {
      rows: parsed.rows.length,
      created: changes.filter((c) => c.action === 'create').length,
      updated: changes.filter((c) => c.action === 'update').length,
      unchanged: plan.filter((p) => p.kind === 'unchanged').length,
    };
  }
}
