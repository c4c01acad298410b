import { DatabaseHealth } from './database-health';

/** Readiness reads this state: it must turn down on a failing or a hanging database, and back up. */
describe('DatabaseHealth', () => {
  it('is down while probes fail or hang, and up again after one succeeds', async () => {
    let mode: 'ok' | 'fail' | 'hang' = 'ok';
    const changes: boolean[] = [];
    const health = new DatabaseHealth({
      probe: () =>
        mode === 'ok'
          ? Promise.resolve()
          : mode === 'fail'
            ? Promise.reject(new Error('ECONNREFUSED'))
            : new Promise(() => undefined),
      timeoutMs: 50,
      onChange: (up) => changes.push(up),
    });
    expect(await health.check()).toBe(true);
    mode = 'fail';
    expect(await health.check()).toBe(false);
    expect(health.isUp()).toBe(false);
    mode = 'hang';
    expect(await health.check()).toBe(false);
    const waiting = health.waitUntilUp();
    mode = 'ok';
    expect(await health.check()).toBe(true);
    await waiting;
    expect(changes).toEqual([false, true]);
  });

  it('retries with backoff while the database is away', async () => {
    const at: number[] = [];
    let failing = true;
    const health = new DatabaseHealth({
      probe: () => {
        at.push(Date.now());
        return failing ? Promise.reject(new Error('down')) : Promise.resolve();
      },
      intervalMs: 10,
      minBackoffMs: 20,
      maxBackoffMs: 80,
    });
    health.start();
    await new Promise((r) => setTimeout(r, 400));
    failing = false;
    await health.waitUntilUp();
    health.stop();
    const gaps = at.slice(1, 6).map((t, i) => t - at[i]!);
    // 10 (first), then 20, 40, 80, 80: doubling and capped, never a tight loop.
    expect(gaps[1]).toBeGreaterThanOrEqual(18);
    expect(gaps[2]).toBeGreaterThanOrEqual(38);
    expect(gaps[3]).toBeGreaterThanOrEqual(75);
    expect(Math.max(...gaps)).toBeLessThan(150);
  });
});
