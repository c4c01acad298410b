import { currencyByCode } from '../money/currency';
import { MAX_MINOR } from '../money/money';
import type { CsvLayout, DateFormat, ReadItem, SourceReader, SourceRow, SourceStatus } from './layout';
import { CsvSyntaxError, csvRecords } from './csv-records';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_REFERENCE = 64;

type Field = keyof CsvLayout['columns'];

/**
 * Reads a CSV file of the given layout as rows, streaming (a chunk of records at a time, csvRecords).
 * A bad line is reported with its number and every reason, and reading goes on so the caller can
 * name every bad line; a line csvRecords itself cannot read (a broken quote) ends the file there.
 */
export class CsvSourceReader implements SourceReader {
  private readonly statuses: ReadonlyMap<string, SourceStatus>;
  private readonly dates = new Map<string, string | undefined>();

  constructor(private readonly layout: CsvLayout) {
    this.statuses = new Map(Object.entries(layout.statusMap).map(([k, v]) => [k.toUpperCase(), v]));
  }

  async *read(path: string): AsyncIterable<readonly ReadItem[]> {
    let index: ((field: Field) => number | undefined) | undefined = this.layout.header
      ? undefined
      : (field) => {
          const c = this.layout.columns[field];
          return typeof c === 'number' ? c - 1 : undefined;
        };
    try {
      for await (const records of csvRecords(path, this.layout.delimiter)) {
        const items: ReadItem[] = [];
        for (const record of records) {
          if (index === undefined) {
            const header = record.fields.map((h) => h.toLowerCase());
            const problems: string[] = [];
            const positions = new Map<Field, number>();
            for (const [field, col] of Object.entries(this.layout.columns) as [Field, string | number][]) {
              const at = typeof col === 'number' ? col - 1 : header.indexOf(col.toLowerCase());
              if (at < 0 || at >= header.length)
                problems.push(`no column "${col}" for ${field} in the header`);
              positions.set(field, at);
            }
            if (problems.length > 0) {
              yield [{ problem: { line: record.line, message: problems.join('; ') } }];
              return;
            }
            index = (field) => positions.get(field);
            continue;
          }
          items.push(this.row(record.line, record.fields, index));
        }
        yield items;
      }
    } catch (error) {
      if (!(error instanceof CsvSyntaxError)) throw error;
      yield [{ problem: { line: error.line, message: `unreadable CSV: ${error.message}` } }];
    }
  }

  private row(line: number, cells: string[], index: (field: Field) => number | undefined): ReadItem {
    const problems: string[] = [];
    const cell = (field: Field): string | undefined => {
      const at = index(field);
      if (at === undefined) return undefined;
      if (at >= cells.length) {
        problems.push(`${field}: missing (line has ${cells.length} columns)`);
        return undefined;
      }
      return cells[at];
    };
    const reference = (field: 'paymentId' | 'partnerReference' | 'billerReceipt'): string | null => {
      const v = cell(field);
      if (v === undefined || v === '') return null;
      if (v.length > MAX_REFERENCE) problems.push(`${field}: longer than ${MAX_REFERENCE} characters`);
      return v;
    };
    const paymentId = reference('paymentId');
    if (paymentId !== null && !UUID.test(paymentId)) problems.push(`paymentId: "${paymentId}" is not a UUID`);
    const partnerReference = reference('partnerReference');
    const billerReceipt = reference('billerReceipt');
    if (paymentId === null && partnerReference === null && billerReceipt === null) {
      problems.push('no match key: paymentId, partnerReference and billerReceipt are all empty');
    }

    const currency = (cell('currency') ?? this.layout.currency ?? '').toUpperCase();
    const known = currencyByCode(currency);
    if (known === undefined) problems.push(`currency: "${currency}" is not an ISO 4217 code we know`);
    const amountText = cell('amount') ?? '';
    const amount = parseAmount(amountText, this.layout, known?.minorDigits ?? 2);
    if (typeof amount === 'string') problems.push(`amount: "${amountText}" ${amount}`);

    const statusText = cell('status');
    const status =
      statusText === undefined ? this.layout.status : this.statuses.get(statusText.toUpperCase());
    if (status === undefined) {
      problems.push(
        `status: "${statusText ?? ''}" is none of ${[...this.statuses.keys()].join(', ')} (the layout's statusMap)`,
      );
    }
    const dateText = cell('valueDate') ?? '';
    let valueDate = this.dates.get(dateText);
    if (valueDate === undefined && !this.dates.has(dateText)) {
      valueDate = parseDate(dateText, this.layout.dateFormat);
      // A file carries a handful of distinct dates: each is checked once.
      if (this.dates.size > 10_000) this.dates.clear();
      this.dates.set(dateText, valueDate);
    }
    if (valueDate === undefined)
      problems.push(`valueDate: "${dateText}" is not a ${this.layout.dateFormat} date`);

    if (
      problems.length > 0 ||
      typeof amount === 'string' ||
      status === undefined ||
      valueDate === undefined
    ) {
      return { problem: { line, message: problems.join('; ') } };
    }
    const row: SourceRow = {
      line,
      paymentId: paymentId?.toLowerCase() ?? null,
      partnerReference,
      billerReceipt,
      amountMinor: amount,
      currency,
      status,
      valueDate,
    };
    return { row };
  }
}

const DECIMAL_DOT = /^(0|[1-9]\d{0,17})(?:\.(\d{1,18}))?$/;
const DECIMAL_COMMA = /^(0|[1-9]\d{0,17})(?:,(\d{1,18}))?$/;
const MINOR = /^[1-9]\d{0,17}$/;

/** Minor units from the layout's amount format; a string says what is wrong. */
export function parseAmount(
  text: string,
  layout: Pick<CsvLayout, 'amountFormat' | 'decimalSeparator'>,
  digits: number,
): bigint | string {
  if (layout.amountFormat === 'minor') {
    if (!MINOR.test(text)) return 'is not a positive whole number of minor units';
    const minor = BigInt(text);
    return minor > MAX_MINOR ? 'is too large' : minor;
  }
  const m = (layout.decimalSeparator === ',' ? DECIMAL_COMMA : DECIMAL_DOT).exec(text);
  if (m === null) return `is not a positive decimal amount (separator "${layout.decimalSeparator}")`;
  const fraction = m[2] ?? '';
  if (fraction.length > digits) return `has more than ${digits} decimals`;
  const minor = BigInt((m[1] ?? '0') + fraction.padEnd(digits, '0'));
  if (minor <= 0n) return 'is not positive';
  return minor > MAX_MINOR ? 'is too large' : minor;
}

/** YYYY-MM-DD from a date in the given format, or undefined when it is not a calendar date. */
export function parseDate(text: string, format: DateFormat): string | undefined {
  let y: string | undefined;
  let m: string | undefined;
  let d: string | undefined;
  let parts: RegExpExecArray | null;
  switch (format) {
    case 'YYYY-MM-DD':
      parts = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
      [y, m, d] = [parts?.[1], parts?.[2], parts?.[3]];
      break;
    case 'YYYYMMDD':
      parts = /^(\d{4})(\d{2})(\d{2})$/.exec(text);
      [y, m, d] = [parts?.[1], parts?.[2], parts?.[3]];
      break;
    case 'DD/MM/YYYY':
      parts = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(text);
      [d, m, y] = [parts?.[1], parts?.[2], parts?.[3]];
      break;
    case 'DD-MM-YYYY':
      parts = /^(\d{2})-(\d{2})-(\d{4})$/.exec(text);
      [d, m, y] = [parts?.[1], parts?.[2], parts?.[3]];
      break;
    case 'MM/DD/YYYY':
      parts = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(text);
      [m, d, y] = [parts?.[1], parts?.[2], parts?.[3]];
      break;
  }
  if (y === undefined || m === undefined || d === undefined) return undefined;
  const iso = `${y}-${m}-${d}`;
  return isCalendarDate(iso) ? iso : undefined;
}

export function isCalendarDate(iso: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(iso)) return false;
  const t = Date.parse(`${iso}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === iso;
}
