import { ProgressBar } from './progress-bar';
import { parseReconArgs } from './recon.command';

describe('recon CLI', () => {
  it('draws the progress bar in place on a terminal and as a line per tenth elsewhere', () => {
    expect(ProgressBar.render('matching', 250_000, 1_000_000, 10)).toBe(
      '[###.......]  25% matching 250,000/1,000,000 rows',
    );
    expect(ProgressBar.render('done', 0, 0, 4)).toBe('[####] 100% done 0/0 rows');
    const out: string[] = [];
    const piped = new ProgressBar((t) => out.push(t), false, 4);
    for (let done = 0; done <= 100; done += 5) piped.update('matching', done, 100);
    expect(out).toHaveLength(11);
    const drawn: string[] = [];
    new ProgressBar((t) => drawn.push(t), true, 4).update('matching', 1, 2);
    expect(drawn).toEqual(['\r[##..]  50% matching 1/2 rows\u001b[K']);
  });

  it('takes --date, --partner, --partner-file and --biller-file, and says what is missing', () => {
    expect(parseReconArgs(['run', '--date', '2026-12-02', '--partner=demo-mfs'])).toEqual({
      date: '2026-12-02',
      partner: 'demo-mfs',
    });
    expect(parseReconArgs(['run'])).toBe('--date YYYY-MM-DD is required');
    expect(parseReconArgs(['run', '--date', '2026-02-30'])).toBe('--date YYYY-MM-DD is required');
    expect(parseReconArgs(['run', '--date', '2026-12-02', '--partner-file', 'x.csv'])).toBe(
      '--partner-file needs --partner (whose file it is)',
    );
    expect(parseReconArgs(['run', '--date', '2026-12-02', '--biller-file', 'x.csv'])).toBe(
      '--biller-file needs --biller (the biller endpoint id)',
    );
    expect(
      parseReconArgs(['run', '--date', '2026-12-02', '--partner', 'p', '--partner-file', '/nope.csv']),
    ).toBe('no file /nope.csv');
    expect(parseReconArgs(['walk'])).toMatch(/^usage: billgate recon run/);
  });
});
