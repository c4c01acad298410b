import { parse } from 'csv-parse/sync';
import { isPayerType } from '../reason-codes';
import { UUID_PATTERN, type RoutingRule } from './routing-rule';

/** The CSV form of the routing table, one rule per line; export and import use the same columns. */
export const CSV_COLUMNS = [
  'id',
  'billType',
  'payerType',
  'partnerId',
  'billerEndpoint',
  'settlementAccount',
  'enabled',
  'version',
] as const;

export function rulesToCsv(rules: readonly RoutingRule[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const r of rules) {
    lines.push(
      [
        r.id,
        r.billType,
        r.payerType,
        r.partnerId,
        r.billerEndpoint,
        r.settlementAccount,
        r.enabled,
        r.version,
      ]
        .map((v) => csvField(String(v)))
        .join(','),
    );
  }
  return lines.join('\r\n') + '\r\n';
}

function csvField(value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** One parsed line of an import: the rule it asks for, or what is wrong with it. */
export interface CsvRow {
  readonly line: number;
  /** Absent: a new rule. */
  readonly id?: string;
  readonly billType: string;
  readonly payerType: RoutingRule['payerType'];
  readonly partnerId: string;
  readonly billerEndpoint: string;
  readonly settlementAccount: string;
  readonly enabled: boolean;
  /** When present on an existing rule: the version the file was exported at (optimistic check). */
  readonly version?: number;
}

export interface CsvRowError {
  readonly line: number;
  readonly field: string;
  readonly message: string;
}

export const MAX_IMPORT_ROWS = 2000;

/** Parses an import; syntax and per-field errors are collected for every line, not just the first. */
export function parseRulesCsv(text: string): { rows: CsvRow[]; errors: CsvRowError[] } {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, {
      info: true,
      bom: true,
      skip_empty_lines: true,
      relax_column_count: true,
      trim: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (error) {
    const e = error as { lines?: number; message?: string };
    return {
      rows: [],
      errors: [{ line: e.lines ?? 0, field: '(csv)', message: e.message ?? 'malformed CSV' }],
    };
  }
  const [header, ...body] = records;
  if (header === undefined) {
    return { rows: [], errors: [{ line: 1, field: '(header)', message: 'the file is empty' }] };
  }
  const index = new Map(header.record.map((name, i) => [name, i]));
  const missing = CSV_COLUMNS.filter((c) => c !== 'id' && c !== 'version' && !index.has(c));
  const unknown = header.record.filter((name) => !(CSV_COLUMNS as readonly string[]).includes(name));
  if (missing.length > 0 || unknown.length > 0) {
    const problems = [
      ...(missing.length > 0 ? [`missing column(s) ${missing.join(', ')}`] : []),
      ...(unknown.length > 0 ? [`unknown column(s) ${unknown.join(', ')}`] : []),
    ];
    return {
      rows: [],
      errors: [
        {
          line: header.info.lines,
          field: '(header)',
          message: `${problems.join('; ')}; expected ${CSV_COLUMNS.join(',')}`,
        },
      ],
    };
  }
  if (body.length > MAX_IMPORT_ROWS) {
    return {
      rows: [],
      errors: [{ line: 0, field: '(csv)', message: `at most ${MAX_IMPORT_ROWS} rules per import` }],
    };
  }

  const rows: CsvRow[] = [];
  const errors: CsvRowError[] = [];
  for (const { record, info } of body) {
    const line = info.lines;
    const get = (c: (typeof CSV_COLUMNS)[number]): string => {
      const i = index.get(c);
      return i === undefined ? '' : (record[i] ?? '');
    };
    const rowErrors: CsvRowError[] = [];
    if (record.length !== header.record.length) {
      rowErrors.push({
        line,
        field: '(row)',
        message: `${record.length} fields where the header has ${header.record.length}`,
      });
    }
    const id = get('id');
    if (id !== '' && !UUID_PATTERN.test(id)) rowErrors.push({ line, field: 'id', message: 'not a rule id' });
    for (const c of ['billType', 'partnerId', 'billerEndpoint', 'settlementAccount'] as const) {
      if (get(c) === '') rowErrors.push({ line, field: c, message: 'is required' });
    }
    const payerType = get('payerType');
    if (!isPayerType(payerType)) {
      rowErrors.push({ line, field: 'payerType', message: `unknown payer type '${payerType}'` });
    }
    const enabledText = get('enabled').toLowerCase();
    if (enabledText !== 'true' && enabledText !== 'false') {
      rowErrors.push({ line, field: 'enabled', message: "must be 'true' or 'false'" });
    }
    const versionText = get('version');
    let version: number | undefined;
    if (versionText !== '') {
      if (!/^[1-9][0-9]{0,8}$/.test(versionText)) {
        rowErrors.push({ line, field: 'version', message: 'must be a positive integer' });
      } else if (id !== '') version = Number(versionText);
    }
    if (rowErrors.length > 0 || !isPayerType(payerType)) {
      errors.push(...rowErrors);
      continue;
    }
    rows.push({
      line,
      ...(id !== '' ? { id } : {}),
      billType: get('billType'),
      payerType,
      partnerId: get('partnerId'),
      billerEndpoint: get('billerEndpoint'),
      settlementAccount: get('settlementAccount'),
      enabled: enabledText === 'true',
      ...(version !== undefined ? { version } : {}),
    });
  }
  return { rows, errors };
}
