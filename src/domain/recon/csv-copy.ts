import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { copyText } from '../../infrastructure/database/copy-in';
import { CsvSourceReader } from './csv-reader';
import type { CsvLayout, RowProblem, SourceRow } from './layout';

/** A chunk of a CSV file read into the COPY text of recon_source_rows, with what it found. */
export interface CopyBatch {
  /** COPY text of the batch's good rows; empty once any line of the file was bad. */
  readonly text: string;
  readonly rows: number;
  /** The batch's bad lines, in order, until `maxProblems` of the file have been named. */
  readonly problems: readonly RowProblem[];
  readonly problemCount: number;
}

/** One row of recon_source_rows in COPY text (the column order of ReconSourceRowsRepository). */
export function copyLine(file: string, r: SourceRow): string {
  // Only the references are free text; every other value was validated into a safe shape.
  return `${file}\t${r.line}\t${r.paymentId ?? '\\N'}\t${copyText(r.partnerReference)}\t${copyText(r.billerReceipt)}\t${r.amountMinor}\t${r.currency}\t${r.status}\t${r.valueDate}\n`;
}

/** Reads and validates a CSV file into COPY text batches, on the calling thread. */
export async function* csvCopyBatches(
  path: string,
  layout: CsvLayout,
  fileId: string,
  maxProblems: number,
): AsyncIterable<CopyBatch> {
  const file = copyText(fileId);
  let named = 0;
  let bad = 0;
  for await (const items of new CsvSourceReader(layout).read(path)) {
    let text = '';
    let rows = 0;
    let problemCount = 0;
    const problems: RowProblem[] = [];
    for (const item of items) {
      if ('problem' in item) {
        problemCount += 1;
        bad += 1;
        if (named < maxProblems) {
          problems.push(item.problem);
          named += 1;
        }
        continue;
      }
      rows += 1;
      // After the first bad line nothing more is written: the file will be refused anyway.
      if (bad === 0) text += copyLine(file, item.row);
    }
    yield { text: bad === 0 ? text : '', rows, problems, problemCount };
  }
}

type FromWorker = { readonly batch: CopyBatch } | { readonly done: true } | { readonly error: string };

/** Batches the worker may send ahead of the COPY: bounds memory when the database is slower. */
const AHEAD = 4;

const WORKER = join(__dirname, 'csv-copy.worker.js');
/** Two 64 MiB semi-spaces and the large-object space beside them (V8 sizes it 3 × semi-space). */
const YOUNG_GENERATION_MB = 192;

/**
 * csvCopyBatches on a worker thread where the compiled worker exists (a built gateway), so that
 * reading a file (the larger part of taking it in, for the gateway) runs beside the main thread and
 * beside the other file's reader: two files use two cores. Under a TypeScript runner (the specs)
 * there is no compiled worker and the same code runs on the calling thread.
 */
export function readCsvAsCopy(
  path: string,
  layout: CsvLayout,
  fileId: string,
  maxProblems: number,
): AsyncIterable<CopyBatch> {
  if (!existsSync(WORKER)) return csvCopyBatches(path, layout, fileId, maxProblems);
  return fromWorker({ path, layout, fileId, maxProblems });
}

async function* fromWorker(data: {
  path: string;
  layout: CsvLayout;
  fileId: string;
  maxProblems: number;
}): AsyncIterable<CopyBatch> {
  const worker = new Worker(WORKER, {
    workerData: data,
    // A batch's rows all live until the batch is sent, so with V8's default young generation
    // (16 MiB semi-spaces) most of the reader's time went to copying survivors in minor
    // collections; 64 MiB semi-spaces halve the reader's CPU for a bounded amount of memory.
    resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
  });
  const queue: FromWorker[] = [];
  let wake: (() => void) | undefined;
  let failure: Error | undefined;
  const push = (m: FromWorker): void => {
    queue.push(m);
    wake?.();
  };
  worker.on('message', push);
  worker.on('error', (e) => {
    failure = e;
    wake?.();
  });
  worker.on('exit', (code) => {
    if (code !== 0 && failure === undefined) failure = new Error(`CSV reader thread exited with ${code}`);
    wake?.();
  });
  try {
    for (;;) {
      if (queue.length === 0) {
        if (failure !== undefined) throw failure;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      const m = queue.shift()!;
      if ('error' in m) throw new Error(m.error);
      if ('done' in m) return;
      // One credit back per batch taken: the worker stays at most AHEAD batches ahead.
      worker.postMessage('next');
      yield m.batch;
    }
  } finally {
    await worker.terminate();
  }
}

export { AHEAD as COPY_BATCHES_AHEAD };
