import { basename } from 'node:path';
import { existsSync } from 'node:fs';
import { createRecon, type ReconServices } from '../bootstrap/recon';
import { ConfigError, loadConfig } from '../config/config';
import { OpsAuditLog } from '../domain/audit/ops-audit-log';
import { Ledger } from '../domain/ledger/ledger';
import { isCalendarDate } from '../domain/recon/csv-reader';
import { IntakeError, type IntakeResult } from '../domain/recon/intake';
import { RunInProgressError } from '../domain/recon/runs.repository';
import { openDatabase } from '../infrastructure/database/database';
import { migrateToLatest } from '../infrastructure/database/migrator';
import { createLogger } from '../infrastructure/logging/logger';
import { Metrics } from '../infrastructure/metrics/metrics';
import type { CliCommand } from './cli-command';
import { ProgressBar } from './progress-bar';

const USAGE =
  "recon run --date YYYY-MM-DD [--partner ID] [--partner-file F] [--biller-file F --biller ID]   load files, run the day's three-way match";

interface RunArgs {
  date?: string;
  partner?: string;
  partnerFile?: string;
  billerFile?: string;
  biller?: string;
}

const FLAGS: Record<string, keyof RunArgs> = {
  '--date': 'date',
  '--partner': 'partner',
  '--partner-file': 'partnerFile',
  '--biller-file': 'billerFile',
  '--biller': 'biller',
};

export function parseReconArgs(args: readonly string[]): RunArgs | string {
  if (args[0] !== 'run') return `usage: billgate ${USAGE}`;
  const out: RunArgs = {};
  for (let i = 1; i < args.length; i += 1) {
    const [flag, inline] = (args[i] ?? '').split('=', 2) as [string, string | undefined];
    const key = FLAGS[flag];
    const value = inline ?? args[++i];
    if (key === undefined || value === undefined || value === '') return `usage: billgate ${USAGE}`;
    out[key] = value;
  }
  if (out.date === undefined || !isCalendarDate(out.date)) return '--date YYYY-MM-DD is required';
  if (out.partnerFile !== undefined && out.partner === undefined)
    return '--partner-file needs --partner (whose file it is)';
  if (out.billerFile !== undefined && out.biller === undefined)
    return '--biller-file needs --biller (the biller endpoint id)';
  for (const f of [out.partnerFile, out.billerFile])
    if (f !== undefined && !existsSync(f)) return `no file ${f}`;
  return out;
}

function describe(what: string, r: IntakeResult): string[] {
  if (r.outcome === 'refused') {
    return [
      `${what}: refused whole, ${r.problemCount} bad line(s); nothing of it was kept`,
      ...r.problems.map((p) => `  line ${p.line}: ${p.message}`),
    ];
  }
  return [
    `${what}: ${r.outcome === 'stored' ? 'stored' : 'already stored (same SHA-256)'} ${r.file.id}, ${r.file.rowCount} rows, sha256 ${r.file.sha256}`,
  ];
}

/**
 * `billgate recon run`: takes the files given (as the CLI, idempotent on their hash), then runs the
 * day's match with a progress bar on stderr, and prints the run's counts and its breaks by code.
 * Exit 65 when a file is refused, 75 while another run holds the cluster.
 */
export async function runReconCommand(
  args: readonly string[],
  io: { env: NodeJS.ProcessEnv; stderr: (text: string) => void; tty: boolean },
): Promise<{ code: number; output: string }> {
  const parsed = parseReconArgs(args);
  if (typeof parsed === 'string') return { code: 64, output: parsed };
  let config;
  try {
    config = loadConfig(io.env);
  } catch (error) {
    if (error instanceof ConfigError) return { code: 78, output: `billgate: ${error.message}` };
    throw error;
  }
  const handle = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, poolSize: 4 });
  let recon: ReconServices | undefined;
  const lines: string[] = [];
  try {
    // As a node starting would (advisory-locked): the command works on a database of any age.
    await migrateToLatest(handle.db as never);
    recon = await createRecon({
      db: handle.db,
      ledger: new Ledger(),
      audit: new OpsAuditLog(),
      metrics: new Metrics(false),
      log: createLogger('warn'),
      timeZone: config.recon.timeZone,
    });
    const files: [string, 'partner' | 'biller', string][] = [];
    if (parsed.partnerFile !== undefined) files.push([parsed.partnerFile, 'partner', parsed.partner!]);
    if (parsed.billerFile !== undefined) files.push([parsed.billerFile, 'biller', parsed.biller!]);
    for (const [path, source, sourceId] of files) {
      let result: IntakeResult;
      try {
        result = await recon.ingest({
          path,
          source,
          sourceId,
          businessDate: parsed.date!,
          receivedVia: 'cli',
          receivedBy: `cli:${io.env.USER ?? 'unknown'}`,
          fileName: basename(path),
        });
      } catch (error) {
        if (error instanceof IntakeError)
          return { code: 65, output: `${source} file ${path}: ${error.message}` };
        throw error;
      }
      lines.push(...describe(`${source} file ${path}`, result));
      if (result.outcome === 'refused') return { code: 65, output: lines.join('\n') };
    }
    const bar = new ProgressBar(io.stderr, io.tty);
    let run;
    try {
      run = await recon.run(
        {
          businessDate: parsed.date!,
          ...(parsed.partner !== undefined ? { partnerId: parsed.partner } : {}),
          trigger: 'cli',
          actor: `cli:${io.env.USER ?? 'unknown'}`,
        },
        (p) => bar.update(p.phase, p.done, p.total),
      );
    } catch (error) {
      bar.end();
      if (error instanceof RunInProgressError)
        return { code: 75, output: [...lines, error.message].join('\n') };
      throw error;
    }
    bar.update('done', run.progress.total, run.progress.total);
    bar.end();
    const counts = run.counts as {
      ourPayments?: number;
      partnerRows?: number;
      billerRows?: number;
      matched?: number;
      breaks?: { standing?: number; raised?: number; cleared?: number; byCode?: Record<string, number> };
    };
    const took = run.finishedAt === null ? 0 : (run.finishedAt.getTime() - run.startedAt.getTime()) / 1000;
    lines.push(
      `run ${run.id} ${run.state} for ${run.businessDate}${run.partnerId !== null ? ` (partner ${run.partnerId})` : ''} in ${took.toFixed(1)} s`,
      `ledger payments ${counts.ourPayments ?? 0}, partner rows ${counts.partnerRows ?? 0}, biller rows ${counts.billerRows ?? 0}, matched ${counts.matched ?? 0}`,
      `breaks standing ${counts.breaks?.standing ?? 0} (raised ${counts.breaks?.raised ?? 0}, cleared ${counts.breaks?.cleared ?? 0})` +
        Object.entries(counts.breaks?.byCode ?? {})
          .sort()
          .map(([code, n]) => ` ${code}=${n}`)
          .join(''),
    );
    return { code: 0, output: lines.join('\n') };
  } finally {
    await recon?.close();
    await handle.close();
  }
}

export const reconCommand: CliCommand = {
  name: 'recon',
  usage: USAGE,
  run: (args) =>
    runReconCommand(args, {
      env: process.env,
      stderr: (text) => process.stderr.write(text),
      tty: process.stderr.isTTY === true,
    }),
};
