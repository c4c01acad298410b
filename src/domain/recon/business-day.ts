/**
 * Business days in the reconciliation time zone (Asia/Dhaka unless configured): a day's window in
 * UTC instants, the day an instant belongs to, and the instant of a wall-clock time on a day.
 */

function offsetMs(timeZone: string, at: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(at));
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? '0');
  const asUtc = Date.UTC(
    get('year'),
    get('month') - 1,
    get('day'),
    get('hour'),
    get('minute'),
    get('second'),
  );
  return asUtc - Math.floor(at / 1000) * 1000;
}

export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** The instant at which the wall clock of `timeZone` shows `hhmm` on `date` (YYYY-MM-DD). */
export function wallClock(date: string, hhmm: string, timeZone: string): Date {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const [hh, mm] = hhmm.split(':').map(Number) as [number, number];
  const guess = Date.UTC(y, m - 1, d, hh, mm);
  const first = guess - offsetMs(timeZone, guess);
  // Once more at the found instant: right across a DST change too.
  return new Date(guess - offsetMs(timeZone, first));
}

/** [start, end) of a business day. */
export function dayWindow(date: string, timeZone: string): { start: Date; end: Date } {
  return { start: wallClock(date, '00:00', timeZone), end: wallClock(addDays(date, 1), '00:00', timeZone) };
}

/** The business day (YYYY-MM-DD) an instant falls on. */
export function businessDayOf(at: Date, timeZone: string): string {
  return new Date(at.getTime() + offsetMs(timeZone, at.getTime())).toISOString().slice(0, 10);
}

export function addDays(date: string, days: number): string {
  const t = Date.parse(`${date}T00:00:00Z`) + days * 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}
