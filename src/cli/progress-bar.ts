/**
 * A one-line progress bar for long CLI work: redrawn in place on a terminal, printed as a line at
 * each tenth (and each new phase) when the output is a file or a pipe.
 */
export class ProgressBar {
  private lastTenth = -1;
  private lastPhase = '';

  constructor(
    private readonly write: (text: string) => void,
    private readonly tty: boolean,
    private readonly width = 30,
  ) {}

  static render(phase: string, done: number, total: number, width = 30): string {
    const share = total > 0 ? Math.min(1, done / total) : phase === 'done' ? 1 : 0;
    const filled = Math.round(share * width);
    const pct = `${Math.floor(share * 100)}`.padStart(3, ' ');
    return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${pct}% ${phase} ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} rows`;
  }

  update(phase: string, done: number, total: number): void {
    const line = ProgressBar.render(phase, done, total, this.width);
    if (this.tty) {
      this.write(`\r${line}\u001b[K`);
      return;
    }
    const tenth = total > 0 ? Math.floor((done / total) * 10) : 0;
    if (phase !== this.lastPhase || tenth !== this.lastTenth) {
      this.lastPhase = phase;
      this.lastTenth = tenth;
      this.write(`${line}\n`);
    }
  }

  end(): void {
    if (this.tty) this.write('\n');
  }
}
