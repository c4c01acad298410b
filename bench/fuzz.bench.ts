import { createHash, randomInt } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { allTargets, label, openTarget, type CaseInput, type TargetSpec } from './fuzz/targets';
import type { WorkerJob, WorkerMessage } from './fuzz/worker';

/**
 * `npm run fuzz` (issue 10): the nightly-sized fuzz run. A million frames per ISO 8583 dialect through
 * the codec (FrameDecoder + unpack) and a million through the lane's flows, and a corpus of hostile XML
 * through the ISO 20022 lane, all generated from one seed. Each target runs in a worker thread watched
 * from here, so a hang (an input that never finishes, synchronous or not) is caught too.
 *
 *   npm run fuzz                          1,000,000 frames per dialect and target, 20,000 XML bodies
 *   npm run fuzz -- --seed 1234567        replays that run exactly (the seed is printed first)
 *   npm run fuzz -- --short               20,000 frames / 1,000 bodies: CI's form, about a minute
 *   npm run fuzz -- --only iso8583-flows --dialect ascii87 --frames 50000
 *   --xml N, --max-seconds S (overall bound, default 3600), --hang-ms MS (default 10000),
 *   --corpus DIR (where cases are saved; default test/fixtures/fuzz-corpus)
 *
 * A crash (an oracle broken) or a hang is saved as a case file under the corpus directory, which the
 * unit specs replay (src/protocols/iso8583/testing/fuzz-corpus.spec.ts, src/protocols/iso20022/testing/
 * fuzz-corpus.spec.ts): commit it with the fix. Exit 1 when anything was found.
 */

interface Options {
  seed: number;
  frames: number;
  xml: number;
  maxSeconds: number;
  hangMs: number;
  corpus: string;
  only: string[] | undefined;
  dialects: string[] | undefined;
}

function parseArgs(argv: string[]): Options {
  const value = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i < 0 ? undefined : argv[i + 1];
  };
  const num = (name: string, fallback: number): number => {
    const v = value(name);
    if (v === undefined) return fallback;
    const n = Number(v.replaceAll('_', ''));
    if (!Number.isInteger(n) || n < 0) throw new Error(`${name}: a whole number, not ${v}`);
    return n;
  };
  const short = argv.includes('--short');
  return {
    seed: num('--seed', randomInt(1, 2 ** 31)),
    frames: num('--frames', short ? 20_000 : 1_000_000),
    xml: num('--xml', short ? 1_000 : 20_000),
    maxSeconds: num('--max-seconds', short ? 240 : 3_600),
    hangMs: num('--hang-ms', 10_000),
    corpus: value('--corpus') ?? 'test/fixtures/fuzz-corpus',
    only: value('--only')?.split(','),
    dialects: value('--dialect')?.split(','),
  };
}

interface TaskResult {
  spec: TargetSpec;
  planned: number;
  done: number;
  seconds: number;
  outcomes: Record<string, number>;
  slowestMs: number;
  crashes: number;
  hangs: number;
  saved: string[];
  stoppedByTime: boolean;
}

/** Failures that differ only in numbers and hex are one finding: one case file each. */
function signature(message: string): string {
  return message
    .replace(/[0-9a-f]{12,}/gi, '…')
    .replace(/\d+/g, 'N')
    .slice(0, 200);
}

function saveCase(
  o: Options,
  spec: TargetSpec,
  kind: 'crash' | 'hang',
  iteration: number,
  message: string,
  input: CaseInput,
): string {
  const dir = join(o.corpus, spec.name);
  mkdirSync(dir, { recursive: true });
  const hash = createHash('sha256').update(input.input).digest('hex').slice(0, 12);
  const file = join(dir, `${spec.dialect !== undefined ? `${spec.dialect}-` : ''}${kind}-${hash}.json`);
  const body = {
    target: spec.name,
    ...(spec.dialect !== undefined ? { dialect: spec.dialect } : {}),
    kind,
    found: `npm run fuzz -- --seed ${o.seed} (iteration ${iteration})`,
    message: message.split('\n')[0]?.slice(0, 500),
    ...input,
  };
  if (!existsSync(file)) writeFileSync(file, `${JSON.stringify(body, null, 2)}\n`);
  return file;
}

const WORKER = join(__dirname, 'fuzz', 'worker.js');

async function runTask(o: Options, spec: TargetSpec, planned: number, deadline: number): Promise<TaskResult> {
  const result: TaskResult = {
    spec,
    planned,
    done: 0,
    seconds: 0,
    outcomes: {},
    slowestMs: 0,
    crashes: 0,
    hangs: 0,
    saved: [],
    stoppedByTime: false,
  };
  const signatures = new Set<string>();
  const record = (kind: 'crash' | 'hang', iteration: number, message: string, input: CaseInput): void => {
    if (kind === 'crash') result.crashes += 1;
    else result.hangs += 1;
    const sig = `${kind}:${signature(message)}`;
    if (signatures.has(sig) || signatures.size >= 10) return;
    signatures.add(sig);
    result.saved.push(saveCase(o, spec, kind, iteration, message, input));
    process.stdout.write(`  ✗ ${label(spec)} ${kind} at iteration ${iteration}: ${message.split('\n')[0]}\n`);
  };
  let start = 0;
  let timing = 0;
  while (start < planned) {
    if (Date.now() > deadline) {
      result.stoppedByTime = true;
      break;
    }
    const progress = new SharedArrayBuffer(4);
    const slots = new Int32Array(progress);
    Atomics.store(slots, 0, start);
    const job: WorkerJob = { spec, seed: o.seed, start, end: planned, deadline, progress };
    const worker = new Worker(WORKER, { workerData: job });
    const base = { ...result.outcomes };
    const doneBefore = result.done;
    const ended = await new Promise<
      { kind: 'done' } | { kind: 'hang' | 'error'; at: number; message: string }
    >((resolve) => {
      let watching = false;
      let last = start;
      let lastChange = Date.now();
      const timer = setInterval(() => {
        if (!watching) return;
        const now = Atomics.load(slots, 0);
        if (now !== last) {
          last = now;
          lastChange = Date.now();
        } else if (Date.now() - lastChange > o.hangMs) {
          clearInterval(timer);
          void worker.terminate();
          resolve({ kind: 'hang', at: now, message: `no answer within ${o.hangMs} ms` });
        }
      }, 100);
      worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'ready') {
          watching = true;
          lastChange = Date.now();
          if (timing === 0) timing = performance.now();
        } else if (m.type === 'failure') {
          record('crash', m.iteration, m.message, m.input as CaseInput);
        } else {
          result.done = doneBefore + m.done;
          result.slowestMs = Math.max(result.slowestMs, m.slowestMs);
          const merged = { ...base };
          for (const [k, n] of Object.entries(m.outcomes)) merged[k] = (merged[k] ?? 0) + n;
          result.outcomes = merged;
          if (m.final) {
            clearInterval(timer);
            resolve({ kind: 'done' });
          }
        }
      });
      worker.on('error', (error) => {
        clearInterval(timer);
        resolve({ kind: 'error', at: Atomics.load(slots, 0), message: `worker died: ${error.message}` });
      });
    });
    if (ended.kind === 'done') {
      if (result.done < planned && Date.now() > deadline) result.stoppedByTime = true;
      break;
    }
    // A hang or a dead worker: save the input it was on (regenerated here from the seed) and go on after it.
    const target = await openTarget(spec);
    try {
      record(
        ended.kind === 'hang' ? 'hang' : 'crash',
        ended.at,
        ended.message,
        target.input(o.seed, ended.at),
      );
    } finally {
      target.dispose?.();
    }
    result.done = ended.at + 1;
    start = ended.at + 1;
  }
  result.seconds = timing === 0 ? 0 : (performance.now() - timing) / 1000;
  return result;
}

function summary(outcomes: Record<string, number>): string {
  return Object.entries(outcomes)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 4)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const specs = allTargets().filter(
    (t) =>
      (o.only === undefined || o.only.includes(t.name)) &&
      (t.dialect === undefined || o.dialects === undefined || o.dialects.includes(t.dialect)),
  );
  if (specs.length === 0) throw new Error('no target selected (iso8583-codec, iso8583-flows, iso20022)');
  process.stdout.write(
    `fuzz seed ${o.seed} (replay: npm run fuzz -- --seed ${o.seed}); ${o.frames.toLocaleString('en-US')} frames per ISO 8583 target and dialect, ${o.xml.toLocaleString('en-US')} ISO 20022 bodies; bound ${o.maxSeconds} s\n`,
  );
  const started = Date.now();
  const deadline = started + o.maxSeconds * 1000;
  const results: TaskResult[] = [];
  for (const spec of specs) {
    const planned = spec.name === 'iso20022' ? o.xml : o.frames;
    const r = await runTask(o, spec, planned, deadline);
    results.push(r);
    process.stdout.write(
      `${label(spec)}: ${r.done.toLocaleString('en-US')} in ${r.seconds.toFixed(1)} s (${Math.round(r.done / Math.max(r.seconds, 0.001)).toLocaleString('en-US')}/s), ` +
        `${r.crashes} crash(es), ${r.hangs} hang(s), slowest ${r.slowestMs.toFixed(0)} ms${r.stoppedByTime ? ', STOPPED BY THE TIME BOUND' : ''}\n`,
    );
  }
  const rows = results.map(
    (r) =>
      `| ${label(r.spec)} | ${r.done.toLocaleString('en-US')} | ${r.seconds.toFixed(1)} s | ${Math.round(r.done / Math.max(r.seconds, 0.001)).toLocaleString('en-US')} | ${r.crashes} | ${r.hangs} | ${r.slowestMs.toFixed(0)} ms | ${summary(r.outcomes)} |`,
  );
  process.stdout.write(
    [
      '',
      `seed ${o.seed}, ${((Date.now() - started) / 1000).toFixed(0)} s in all`,
      '| target | inputs | time | per second | crashes | hangs | slowest input | most frequent outcomes |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
      ...rows,
      '',
    ].join('\n'),
  );
  const saved = results.flatMap((r) => r.saved);
  for (const f of saved) process.stdout.write(`case saved: ${f}\n`);
  const found = results.some((r) => r.crashes + r.hangs > 0);
  const short = results.some((r) => r.done < r.planned);
  if (found)
    process.stdout.write(
      `FUZZ FOUND ${saved.length} case(s): fix, then commit them (the unit specs replay them)\n`,
    );
  else
    process.stdout.write(
      short ? 'fuzz: nothing found, but the time bound cut the run short\n' : 'fuzz: nothing found\n',
    );
  if (found) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(
    `fuzz could not run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(2);
});
