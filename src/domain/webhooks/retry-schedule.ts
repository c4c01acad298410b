/**
 * When a failed delivery is tried again. The Standard Webhooks schedule: the first attempt at once,
 * then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h after each failure; after the last, the delivery
 * has failed and waits for a manual redelivery or replay.
 */
export const STANDARD_RETRY_SCHEDULE_MS: readonly number[] = [
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3_600_000,
  5 * 3_600_000,
  10 * 3_600_000,
  10 * 3_600_000,
];

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** Parses WEBHOOK_RETRY_SCHEDULE, e.g. `1s,2s,4s` or `5s,5m,30m,2h`: the waits after each failure. */
export function parseRetrySchedule(text: string): number[] {
  const parts = text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  if (parts.length === 0 || parts.length > 50) throw new Error('a retry schedule has 1 to 50 waits');
  return parts.map((p) => {
    const m = /^(\d{1,9})(ms|s|m|h)$/.exec(p);
    if (m === null) throw new Error(`"${p}" is not a wait such as 500ms, 5s, 5m or 2h`);
    return Number(m[1]) * (UNIT_MS[m[2]!] ?? 1);
  });
}

/** How much of a wait may be added at random, so receivers that failed together are not retried together. */
export const JITTER_SHARE = 0.1;

/**
 * The wait before the next attempt after `failures` failed attempts, or undefined when the schedule
 * is exhausted. A receiver's Retry-After (429, 503) is honoured: never retried sooner than it asked.
 */
export function nextRetryDelayMs(
  failures: number,
  schedule: readonly number[],
  options: { readonly retryAfterMs?: number; readonly random?: () => number } = {},
): number | undefined {
  const base = schedule[failures - 1];
  if (base === undefined) return undefined;
  const jittered = base + Math.floor(base * JITTER_SHARE * (options.random ?? Math.random)());
  return Math.max(jittered, options.retryAfterMs ?? 0);
}

/** Retry-After as delay-seconds or an HTTP date; undefined when absent or unreadable. Capped at a day. */
export function parseRetryAfterMs(value: string | undefined, now: Date): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  let ms: number | undefined;
  if (/^\d{1,9}$/.test(v)) ms = Number(v) * 1_000;
  else {
    const at = Date.parse(v);
    if (!Number.isNaN(at)) ms = Math.max(0, at - now.getTime());
  }
  return ms === undefined ? undefined : Math.min(ms, 24 * 3_600_000);
}
