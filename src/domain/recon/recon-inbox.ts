import { mkdirSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../infrastructure/logging/logger';
import { IntakeError, type ReconIntake } from './intake';

/** `partner_demo-mfs_2026-12-02.csv`, `biller_sim-electricity_2026-12-02.csv`, `partner_demo-bank_2026-12-02.xml` */
const NAME = /^(partner|biller)_([A-Za-z0-9][A-Za-z0-9._-]{0,63})_(\d{4}-\d{2}-\d{2})\.(csv|xml)$/;

/**
 * A watched directory for reconciliation files. A file is claimed by renaming it into `processing/`
 * (atomic, so nodes sharing the directory never take it twice), taken in, then moved to `done/`
 * (stored, or the same bytes already were) or `refused/` with `<name>.problems.txt` naming every bad
 * line. Names that do not say source, id and business day are left alone and logged once.
 */
export class ReconInbox {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly warned = new Set<string>();

  constructor(
    private readonly dir: string,
    private readonly intake: ReconIntake,
    private readonly log: Logger,
  ) {
    for (const sub of ['processing', 'done', 'refused']) mkdirSync(join(dir, sub), { recursive: true });
  }

  start(everyMs: number): void {
    this.timer = setInterval(() => {
      this.running ??= this.sweep()
        .then(() => undefined)
        .catch((error: unknown) => this.log.error({ err: error }, 'reconciliation inbox sweep failed'))
        .finally(() => (this.running = undefined));
    }, everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.running;
  }

  /** Takes in every file waiting; answers what happened to each. */
  async sweep(): Promise<{ name: string; outcome: string }[]> {
    const out: { name: string; outcome: string }[] = [];
    for (const entry of await fs.readdir(this.dir, { withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const m = NAME.exec(entry.name);
      if (m === null) {
        if (!this.warned.has(entry.name)) {
          this.warned.add(entry.name);
          this.log.warn(
            { file: entry.name },
            'reconciliation inbox: name is not <partner|biller>_<id>_<YYYY-MM-DD>.<csv|xml>',
          );
        }
        continue;
      }
      const claimed = join(this.dir, 'processing', entry.name);
      try {
        await fs.rename(join(this.dir, entry.name), claimed);
      } catch {
        continue; // another node took it
      }
      const [, source, sourceId, businessDate] = m as unknown as [
        string,
        'partner' | 'biller',
        string,
        string,
      ];
      let outcome: string;
      try {
        const result = await this.intake.ingest({
          path: claimed,
          source,
          sourceId,
          businessDate,
          receivedVia: 'watched-directory',
          receivedBy: 'system:recon-inbox',
          fileName: entry.name,
        });
        outcome = result.outcome;
        if (result.outcome === 'refused') {
          await fs.writeFile(
            join(this.dir, 'refused', `${entry.name}.problems.txt`),
            `${result.problemCount} bad line(s); the file was not taken\n` +
              result.problems.map((p) => `line ${p.line}: ${p.message}`).join('\n') +
              '\n',
          );
        }
      } catch (error) {
        if (!(error instanceof IntakeError)) {
          // Not the file's fault (the database is away): put it back for the next sweep.
          await fs.rename(claimed, join(this.dir, entry.name));
          throw error;
        }
        outcome = 'refused';
        await fs.writeFile(join(this.dir, 'refused', `${entry.name}.problems.txt`), `${error.message}\n`);
      }
      await fs.rename(claimed, join(this.dir, outcome === 'refused' ? 'refused' : 'done', entry.name));
      this.log.info({ file: entry.name, outcome }, 'reconciliation inbox file taken');
      out.push({ name: entry.name, outcome });
    }
    return out;
  }
}
