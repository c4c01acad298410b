import { parentPort, workerData } from 'node:worker_threads';
import { COPY_BATCHES_AHEAD, csvCopyBatches } from './csv-copy';
import type { CsvLayout } from './layout';

/*
 * The thread that reads one CSV file into COPY text (see readCsvAsCopy): sends each batch as it is
 * read, at most COPY_BATCHES_AHEAD ahead of the batches the main thread has taken.
 */
const data = workerData as { path: string; layout: CsvLayout; fileId: string; maxProblems: number };
const port = parentPort!;
let credits = COPY_BATCHES_AHEAD;
let wake: (() => void) | undefined;
port.on('message', () => {
  credits += 1;
  wake?.();
});

void (async () => {
  try {
    for await (const batch of csvCopyBatches(data.path, data.layout, data.fileId, data.maxProblems)) {
      while (credits === 0) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      credits -= 1;
      port.postMessage({ batch });
    }
    port.postMessage({ done: true });
  } catch (error) {
    port.postMessage({ error: error instanceof Error ? error.message : String(error) });
  }
  port.close();
})();
