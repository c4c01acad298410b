import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import pg from 'pg';

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** CPU time (user + system) a process has used so far, in ms; undefined once it is gone. */
export function procCpuMs(pid: number): number | undefined {
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** This process's CPU time so far (user + system), in ms. */
export function selfCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * CPU used by the PostgreSQL server processes serving one database (its backends and their
 * parallel workers), read from /proc while they live: every process seen in pg_stat_activity for
 * the database is polled, and its last reading kept. On a shared machine this is what a run costs
 * the server whatever else competes for the cores, unlike the wall time. A process that lives less
 * than one polling interval may be missed (parallel workers of short statements): a lower bound.
 */
export class BackendCpu {
  private readonly first = new Map<number, number>();
  private readonly last = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;

  private constructor(
    private readonly admin: pg.Client,
    private readonly database: string,
  ) {}

  static async open(adminUrl: string, databaseUrl: string): Promise<BackendCpu> {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    return new BackendCpu(admin, new URL(databaseUrl).pathname.slice(1));
  }

  /** Starts polling; processes already alive count from now. */
  async start(intervalMs = 50): Promise<void> {
    await this.poll(true);
    this.timer = setInterval(() => void this.poll(false), intervalMs);
  }

  /** CPU (ms) used by the database's server processes since start(). */
  async used(): Promise<number> {
    await this.poll(false);
    let ms = 0;
    for (const [pid, end] of this.last) ms += end - (this.first.get(pid) ?? 0);
    return ms;
  }

  async close(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.admin.end();
  }

  private async poll(baseline: boolean): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const { rows } = await this.admin.query<{ pid: number }>(
        'select pid from pg_stat_activity where datname = $1',
        [this.database],
      );
      for (const { pid } of rows) {
        const ms = procCpuMs(pid);
        if (ms === undefined) continue;
        // A process first seen after the start began after it: all of its CPU counts.
        if (!this.first.has(pid)) this.first.set(pid, baseline ? ms : 0);
        this.last.set(pid, ms);
      }
      // Known processes that are no longer listed keep their last reading; live ones move on.
      for (const pid of this.last.keys()) {
        const ms = procCpuMs(pid);
        if (ms !== undefined && ms >= this.last.get(pid)!) this.last.set(pid, ms);
      }
    } finally {
      this.polling = false;
    }
  }
}

export function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}
