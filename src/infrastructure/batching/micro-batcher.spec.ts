import { BatcherOverloaded, MicroBatcher } from './micro-batcher';

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('MicroBatcher', () => {
  it('runs what is submitted in one turn of the event loop as one batch, answering each caller', async () => {
    const runs: number[][] = [];
    const batcher = new MicroBatcher<number, string>(
      (items) => {
        runs.push([...items]);
        return Promise.resolve(items.map((i) => `#${i}`));
      },
      { maxBatch: 100, maxInFlight: 1 },
    );
    const answers = await Promise.all([1, 2, 3].map((i) => batcher.submit(i)));
    expect(answers).toEqual(['#1', '#2', '#3']);
    expect(runs).toEqual([[1, 2, 3]]);
  });

  it('queues items behind a busy run and sends them together in the next one', async () => {
    const runs: number[][] = [];
    const gates: ReturnType<typeof deferred<void>>[] = [];
    const batcher = new MicroBatcher<number, number>(
      async (items) => {
        runs.push([...items]);
        const gate = deferred<void>();
        gates.push(gate);
        await gate.promise;
        return items.map((i) => i * 10);
      },
      { maxBatch: 100, maxInFlight: 1 },
    );
    const first = batcher.submit(1);
    await new Promise((r) => setImmediate(r));
    const later = [2, 3, 4].map((i) => batcher.submit(i));
    await new Promise((r) => setImmediate(r));
    expect(runs).toEqual([[1]]);
    expect(batcher.queued).toBe(3);

    gates[0]?.resolve();
    expect(await first).toBe(10);
    await new Promise((r) => setTimeout(r, 5));
    expect(runs).toEqual([[1], [2, 3, 4]]);
    gates[1]?.resolve();
    expect(await Promise.all(later)).toEqual([20, 30, 40]);
  });

  it('never hands a run more than maxBatch items and keeps at most maxInFlight runs going', async () => {
    let inFlight = 0;
    let most = 0;
    const sizes: number[] = [];
    const batcher = new MicroBatcher<number, number>(
      async (items) => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        sizes.push(items.length);
        await new Promise((r) => setTimeout(r, 2));
        inFlight -= 1;
        return items;
      },
      { maxBatch: 4, maxInFlight: 2 },
    );
    const all = Array.from({ length: 30 }, (_, i) => batcher.submit(i));
    expect(await Promise.all(all)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(4);
    expect(most).toBe(2);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(30);
  });

  it('fails only the item the run cannot take, answering its batch-mates from smaller runs', async () => {
    const runs: number[][] = [];
    const batcher = new MicroBatcher<number, number>(
      (items) => {
        runs.push([...items]);
        return items.includes(3) ? Promise.reject(new Error('cannot store 3')) : Promise.resolve(items);
      },
      {
        maxBatch: 10,
        maxInFlight: 1,
        isolate: (e) => e instanceof Error && e.message.startsWith('cannot store'),
      },
    );
    const all = [1, 2, 3, 4, 5].map((i) => batcher.submit(i));
    const settled = await Promise.allSettled(all);
    expect(settled.map((s) => s.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
    ]);
    expect(settled[2]).toMatchObject({ reason: new Error('cannot store 3') });
    expect(runs[0]).toEqual([1, 2, 3, 4, 5]);
    expect(runs).toContainEqual([3]);
  });

  it("fails the whole run at once, without re-running it, when the failure is not an item's (the database is gone)", async () => {
    let down = true;
    let runs = 0;
    const batcher = new MicroBatcher<number, number>(
      (items) => {
        runs += 1;
        return down ? Promise.reject(new Error('database went away')) : Promise.resolve(items);
      },
      { maxBatch: 10, maxInFlight: 1, isolate: () => false },
    );
    const failed = [1, 2, 3, 4].map((i) => batcher.submit(i));
    for (const f of failed) await expect(f).rejects.toThrow('database went away');
    expect(runs).toBe(1);
    down = false;
    expect(await batcher.submit(5)).toBe(5);
  });

  it('fails a run that answers a different number of items than it was given, and never re-runs it', async () => {
    let runs = 0;
    const batcher = new MicroBatcher<number, number>(
      () => {
        runs += 1;
        return Promise.resolve([1, 2, 3]);
      },
      { maxBatch: 10, maxInFlight: 1, isolate: () => true },
    );
    const both = [batcher.submit(1), batcher.submit(2)];
    await expect(both[0]).rejects.toThrow('answered 3 of 2 items');
    await expect(both[1]).rejects.toThrow('answered 3 of 2 items');
    expect(runs).toBe(1);
  });

  it('refuses a submission at once when too many are already waiting', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const batcher = new MicroBatcher<number, number>(
      async (items) => {
        await gate;
        return items;
      },
      { maxBatch: 1, maxInFlight: 1, maxQueued: 2 },
    );
    const first = batcher.submit(1);
    await new Promise((r) => setImmediate(r));
    const queued = [batcher.submit(2), batcher.submit(3)];
    await expect(batcher.submit(4)).rejects.toBeInstanceOf(BatcherOverloaded);
    release();
    expect(await Promise.all([first, ...queued])).toEqual([1, 2, 3]);
  });

  it('answers callers even when the batch-size metric throws', async () => {
    const batcher = new MicroBatcher<number, number>((items) => Promise.resolve(items), {
      maxBatch: 10,
      maxInFlight: 1,
      observe: () => {
        throw new Error('metrics registry broken');
      },
    });
    expect(await Promise.all([batcher.submit(1), batcher.submit(2)])).toEqual([1, 2]);
  });

  it('refuses options that could never run anything', () => {
    expect(() => new MicroBatcher(() => Promise.resolve([]), { maxBatch: 0, maxInFlight: 1 })).toThrow();
  });

  it('tells each refused run: split to find the bad item, or failed for all (a metric)', async () => {
    const told: [number, string][] = [];
    const split = new MicroBatcher<number, number>(
      (items) =>
        items.includes(3) ? Promise.reject(new Error('cannot store 3')) : Promise.resolve([...items]),
      { maxBatch: 10, maxInFlight: 1, isolate: () => true, failed: (n, o) => told.push([n, o]) },
    );
    const answers = await Promise.allSettled([1, 2, 3, 4].map((i) => split.submit(i)));
    expect(answers.map((a) => a.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    // [1,2,3,4] split into [1,2] (ok) and [3,4], split into [3] (refused alone) and [4].
    expect(told).toEqual([
      [4, 'split'],
      [2, 'split'],
      [1, 'failed'],
    ]);

    told.length = 0;
    const down = new MicroBatcher<number, number>(() => Promise.reject(new Error('connection refused')), {
      maxBatch: 10,
      maxInFlight: 1,
      isolate: () => false,
      failed: (n, o) => told.push([n, o]),
    });
    await Promise.allSettled([1, 2].map((i) => down.submit(i)));
    expect(told).toEqual([[2, 'failed']]);
  });
});
