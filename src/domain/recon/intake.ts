import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import type { Db } from '../db';
import { isUniqueViolation } from '../db';
import { readCsvAsCopy } from './csv-copy';
import { CsvSourceReader } from './csv-reader';
import type {
  FileFormat,
  FileSource,
  ReceivedVia,
  ReconFile,
  ReconFilesRepository,
} from './files.repository';
import type { CamtLayout, FileLayout, RowProblem, SourceReader, SourceRow } from './layout';
import type { ReconSourceRowsRepository } from './source-rows.repository';
import type { ReconConfigs } from './recon-configs';
import { isCalendarDate } from './csv-reader';

export interface IntakeRequest {
  /** The file on local disk (uploads and fetches are spooled to a temporary file first). */
  readonly path: string;
  readonly source: FileSource;
  readonly sourceId: string;
  readonly businessDate: string;
  readonly receivedVia: ReceivedVia;
  readonly receivedBy: string;
  readonly fileName?: string;
  /** Already computed while spooling; computed here otherwise. */
  readonly sha256?: string;
}

export type IntakeResult =
  | { readonly outcome: 'stored'; readonly file: ReconFile }
  | { readonly outcome: 'duplicate'; readonly file: ReconFile }
  | {
      readonly outcome: 'refused';
      readonly sha256: string;
      /** Every bad line, in file order (at most MAX_REPORTED; `problemCount` has them all). */
      readonly problems: readonly RowProblem[];
      readonly problemCount: number;
    };

/** A file that cannot be taken at all (no layout, unknown source): nothing is read. */
export class IntakeError extends Error {
  constructor(
    readonly code: 'no-layout' | 'unknown-source' | 'invalid-request',
    message: string,
  ) {
    super(message);
    this.name = 'IntakeError';
  }
}

const MAX_REPORTED = 10_000;

class Refused extends Error {}

export type CamtReaderFactory = (layout: CamtLayout) => SourceReader;

/**
 * Takes a reconciliation file: identifies it by SHA-256 (the same bytes again for the same source
 * and business day are the file already stored, whichever channel brought them), reads it with its source's layout, and stores it with its
 * rows in one transaction. A file with any bad line is refused whole: every bad line is named and
 * nothing of it is kept. Rows stream from the reader into batched inserts; the file is never held
 * in memory (camt statements excepted, see the camt reader).
 */
export class ReconIntake {
  constructor(
    private readonly db: Db,
    private readonly files: ReconFilesRepository,
    private readonly rows: ReconSourceRowsRepository,
    private readonly configs: ReconConfigs,
    private readonly camtReader: CamtReaderFactory,
    private readonly newId: () => string,
  ) {}

  async layoutOf(source: FileSource, sourceId: string): Promise<FileLayout> {
    if (source === 'partner') {
      const recon = await this.configs.partner(sourceId);
      if (recon === null) throw new IntakeError('unknown-source', `no partner ${sourceId}`);
      if (recon === undefined) {
        throw new IntakeError(
          'no-layout',
          `partner ${sourceId} declares no settlement file layout (operational.reconciliation.settlementFile in its Operational Schedule)`,
        );
      }
      return recon.settlementFile;
    }
    const biller = await this.configs.biller(sourceId);
    if (biller === undefined) {
      throw new IntakeError(
        'no-layout',
        `biller ${sourceId} has no posting file layout (PUT /ops/recon/billers/${sourceId}/posting-file)`,
      );
    }
    return biller.layout;
  }

  async ingest(req: IntakeRequest): Promise<IntakeResult> {
    if (!isCalendarDate(req.businessDate)) {
      throw new IntakeError('invalid-request', `businessDate "${req.businessDate}" is not a YYYY-MM-DD date`);
    }
    const layout = await this.layoutOf(req.source, req.sourceId);
    const sha256 = req.sha256 ?? (await sha256Of(req.path));
    const identity = { source: req.source, sourceId: req.sourceId, businessDate: req.businessDate, sha256 };
    const known = await this.files.same(this.db, identity);
    if (known !== undefined) return { outcome: 'duplicate', file: known };

    const reader = layout.format === 'csv' ? new CsvSourceReader(layout) : this.camtReader(layout);
    const format: FileFormat = layout.format;
    const id = this.newId();
    const problems: RowProblem[] = [];
    let problemCount = 0;
    let rowCount = 0;
    try {
      await this.db.transaction().execute(async (tx) => {
        await this.files.insert(tx, {
          id,
          sha256,
          source: req.source,
          sourceId: req.sourceId,
          format,
          businessDate: req.businessDate,
          rowCount: 0,
          byteSize: statSync(req.path).size,
          fileName: req.fileName ?? null,
          receivedVia: req.receivedVia,
          receivedBy: req.receivedBy,
        });
        if (layout.format === 'csv' && this.rows.takesCopyText(this.db)) {
          // The file is read into COPY text (on a thread of its own where it can be) and streamed
          // into the table while it is still being read.
          const text = async function* (): AsyncIterable<string> {
            for await (const batch of readCsvAsCopy(req.path, layout, id, MAX_REPORTED)) {
              rowCount += batch.rows;
              problemCount += batch.problemCount;
              for (const p of batch.problems) if (problems.length < MAX_REPORTED) problems.push(p);
              if (problemCount === 0 && batch.text.length > 0) yield batch.text;
            }
          };
          await this.rows.loadCopyText(this.db, tx, text());
        } else {
          // Rows stream from the reader into the table while the file is still being read.
          const rows = async function* (): AsyncIterable<readonly SourceRow[]> {
            for await (const items of reader.read(req.path)) {
              const batch: SourceRow[] = [];
              for (const item of items) {
                if ('problem' in item) {
                  problemCount += 1;
                  if (problems.length < MAX_REPORTED) problems.push(item.problem);
                  continue;
                }
                rowCount += 1;
                // After the first bad line nothing more is written: the file will be refused anyway.
                if (problemCount === 0) batch.push(item.row);
              }
              if (problemCount === 0 && batch.length > 0) yield batch;
            }
          };
          await this.rows.load(this.db, tx, id, rows());
        }
        // A header and no rows is a day without transactions; no bytes at all is not a file.
        if (problemCount === 0 && statSync(req.path).size === 0) {
          problemCount = 1;
          problems.push({ line: 0, message: 'the file is empty' });
        }
        // The transaction rolls back: nothing of a refused file stays.
        if (problemCount > 0) throw new Refused();
        await tx.updateTable('recon_files').set({ row_count: rowCount }).where('id', '=', id).execute();
      });
    } catch (error) {
      if (error instanceof Refused) return { outcome: 'refused', sha256, problems, problemCount };
      if (isUniqueViolation(error)) {
        // The same file arrived through another channel at the same moment: it is that file.
        const same = await this.files.same(this.db, identity);
        if (same !== undefined) return { outcome: 'duplicate', file: same };
      }
      throw error;
    }
    const file = await this.files.byId(this.db, id);
    return { outcome: 'stored', file: file! };
  }
}

export function sha256Of(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}
