import { z } from 'zod';

/*
 * File layouts as data. A partner declares its settlement file in the reconciliation part of its
 * Operational Schedule; a biller's posting file is declared in its reconciliation configuration.
 * Whatever the layout, every row becomes one SourceRow (below): the only shape the matcher reads.
 */

/** A row's status as the file's sender sees the transaction. */
export const SOURCE_STATUSES = ['OK', 'FAIL', 'REVERSED'] as const;
export type SourceStatus = (typeof SOURCE_STATUSES)[number];

/** One transaction of a partner's or biller's file, normalised. */
export interface SourceRow {
  /** 1-based: the line of a CSV file, the entry's position (its line in the XML) in a camt statement. */
  readonly line: number;
  readonly paymentId: string | null;
  readonly partnerReference: string | null;
  readonly billerReceipt: string | null;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly status: SourceStatus;
  /** YYYY-MM-DD */
  readonly valueDate: string;
}

/** A line the reader could not turn into a SourceRow, and why. */
export interface RowProblem {
  readonly line: number;
  readonly message: string;
}

export type ReadItem = { readonly row: SourceRow } | { readonly problem: RowProblem };

/**
 * Reads one file as rows, streaming: never the whole file in memory (CSV); camt is one document.
 * Rows come in batches (a chunk of the file at a time): a million rows are not a million awaits.
 */
export interface SourceReader {
  read(path: string): AsyncIterable<readonly ReadItem[]>;
}

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM');
/** A column by its header name (files with a header) or its 1-based position. */
const column = z.union([z.string().trim().min(1).max(64), z.number().int().min(1).max(256)]);
const currencyCode = z.string().regex(/^[A-Z]{3}$/, 'ISO 4217 code');

export const DATE_FORMATS = ['YYYY-MM-DD', 'DD/MM/YYYY', 'MM/DD/YYYY', 'DD-MM-YYYY', 'YYYYMMDD'] as const;
export type DateFormat = (typeof DATE_FORMATS)[number];

export const csvLayoutSchema = z
  .strictObject({
    format: z.literal('csv'),
    delimiter: z.enum([',', ';', '|', '\t']).default(','),
    /** The first line names the columns; without a header, columns are 1-based positions. */
    header: z.boolean().default(true),
    columns: z.strictObject({
      paymentId: column.optional(),
      partnerReference: column.optional(),
      billerReceipt: column.optional(),
      amount: column,
      currency: column.optional(),
      status: column.optional(),
      valueDate: column,
    }),
    /** `decimal`: major units ("1250.50"); `minor`: integer minor units ("125050"). */
    amountFormat: z.enum(['decimal', 'minor']).default('decimal'),
    decimalSeparator: z.enum(['.', ',']).default('.'),
    dateFormat: z.enum(DATE_FORMATS).default('YYYY-MM-DD'),
    /** The currency of every row when the file has no currency column. */
    currency: currencyCode.optional(),
    /** The sender's status words (compared case-insensitively) and what each means. */
    statusMap: z
      .record(z.string().min(1).max(32), z.enum(SOURCE_STATUSES))
      .default({ OK: 'OK', SUCCESS: 'OK', PAID: 'OK', FAIL: 'FAIL', FAILED: 'FAIL', REVERSED: 'REVERSED' }),
    /** The status of every row when the file has no status column (a file of settled rows only). */
    status: z.enum(SOURCE_STATUSES).optional(),
  })
  .superRefine((l, ctx) => {
    const c = l.columns;
    if (c.paymentId === undefined && c.partnerReference === undefined && c.billerReceipt === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['columns'],
        message: 'name at least one match key column: paymentId, partnerReference or billerReceipt',
      });
    }
    if (c.currency === undefined && l.currency === undefined) {
      ctx.addIssue({ code: 'custom', path: ['currency'], message: 'a currency column or a fixed currency' });
    }
    if (c.status === undefined && l.status === undefined) {
      ctx.addIssue({ code: 'custom', path: ['status'], message: 'a status column or a fixed status' });
    }
    const named = Object.values(c).filter((v) => v !== undefined);
    for (const v of named) {
      if (l.header === false && typeof v === 'string') {
        ctx.addIssue({
          code: 'custom',
          path: ['columns'],
          message: `without a header, columns are 1-based positions (got "${v}")`,
        });
      }
    }
    if (new Set(named.map(String)).size !== named.length) {
      ctx.addIssue({ code: 'custom', path: ['columns'], message: 'two fields read the same column' });
    }
  });

/** Where each key lives in a camt.053 / camt.054 entry (NtryDtls/TxDtls/Refs, or the entry itself). */
const camtReference = z.enum(['EndToEndId', 'InstrId', 'TxId', 'UETR', 'AcctSvcrRef', 'PmtInfId', 'MsgId']);

export const camtLayoutSchema = z.strictObject({
  format: z.enum(['camt.053', 'camt.054']),
  references: z
    .strictObject({
      paymentId: camtReference.optional(),
      partnerReference: camtReference.optional(),
      billerReceipt: camtReference.optional(),
    })
    .default({ partnerReference: 'EndToEndId', billerReceipt: 'AcctSvcrRef' }),
  /** Which entries are transactions to reconcile: credits, debits or both. */
  entries: z.enum(['CRDT', 'DBIT', 'both']).default('both'),
});

export const settlementFileLayoutSchema = z.union([csvLayoutSchema, camtLayoutSchema]);
export type CsvLayout = z.infer<typeof csvLayoutSchema>;
export type CamtLayout = z.infer<typeof camtLayoutSchema>;
export type FileLayout = z.infer<typeof settlementFileLayoutSchema>;

export const tolerancesSchema = z
  .strictObject({
    /** Largest amount difference, in minor units, that is not a break (default zero). */
    amountMinor: z
      .string()
      .regex(/^(0|[1-9]\d{0,15})$/, 'minor units as a decimal string')
      .default('0'),
    /** Largest value-date difference in days that is not a break (default zero). */
    valueDateDays: z.number().int().min(0).max(31).default(0),
  })
  .default({ amountMinor: '0', valueDateDays: 0 });
export type Tolerances = z.infer<typeof tolerancesSchema>;

/**
 * The reconciliation part of a partner's Operational Schedule: its settlement file's layout, the
 * times of its nightly cycle (in the reconciliation time zone) and its tolerances.
 */
export const partnerReconciliationSchema = z.strictObject({
  settlementFile: settlementFileLayoutSchema,
  cycle: z
    .strictObject({
      /** The partner's file is due by then on the business day itself (T+0). */
      partnerFileBy: hhmm.default('23:55'),
      /** On T+1: billers' posting files are fetched. */
      billerFetchAt: hhmm.default('00:30'),
      /** On T+1: the three-way match runs. */
      matchAt: hhmm.default('01:00'),
      /** On T+1: the break list is published to the partner. */
      publishAt: hhmm.default('02:00'),
    })
    .default({ partnerFileBy: '23:55', billerFetchAt: '00:30', matchAt: '01:00', publishAt: '02:00' }),
  tolerances: tolerancesSchema,
});
export type PartnerReconciliation = z.infer<typeof partnerReconciliationSchema>;

/** The reconciliation part of a biller's configuration: its posting file and where to fetch it. */
export const billerPostingFileSchema = z.strictObject({
  layout: csvLayoutSchema,
  /** Fetched on T+1 at `at`; `{date}` in the URL is replaced by the business date (YYYY-MM-DD). */
  fetch: z
    .strictObject({
      url: z.string().regex(/^https?:\/\/\S+$/, 'an http(s) URL'),
      at: hhmm.default('00:30'),
    })
    .optional(),
  tolerances: tolerancesSchema,
});
export type BillerPostingFile = z.infer<typeof billerPostingFileSchema>;
