import { LiveFeed } from '../../src/lanes/http/dashboard/live-feed';
import { createLogger } from '../../src/infrastructure/logging/logger';
import { openTestDatabase } from '../support/database';

/* The dashboard's live feed on a real database: one read and one rendering per poll, for every page. */

type Handle = Awaited<ReturnType<typeof openTestDatabase>>;
let h: Handle;
beforeAll(async () => {
  h = await openTestDatabase();
});
afterAll(async () => {
  await h?.dispose();
});

const until = async (cond: () => boolean, ms = 10_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
};

it('renders each poll once for all pages, and stops polling when the last page closes', async () => {
  let renders = 0;
  const feed = new LiveFeed(
    h.db,
    () => new Date(),
    createLogger('silent'),
    (s) => {
      renders += 1;
      return `poll ${renders} at ${s.at}`;
    },
    20,
  );
  const pages = [[], [], []] as string[][];
  const unsubscribe = pages.map((p) => feed.subscribe((m) => p.push(m)));
  await until(() => pages.every((p) => p.length >= 3));
  // Every page saw the same messages (a late joiner starts from the latest): one rendering each.
  expect(new Set(pages.flat()).size).toBeLessThanOrEqual(renders);
  expect(pages[2]!.at(-1)).toBe(pages[0]!.at(-1));
  expect(renders).toBeLessThanOrEqual(pages[0]!.length + 1);

  for (const u of unsubscribe) u();
  expect(feed.latest()).toBeUndefined();
  const after = renders;
  await new Promise((r) => setTimeout(r, 200));
  expect(renders).toBeLessThanOrEqual(after + 1);

  // A page opened again resumes the feed.
  const again: string[] = [];
  const stop = feed.subscribe((m) => again.push(m));
  await until(() => again.length >= 1);
  expect(feed.latest()).toBeDefined();
  stop();
  feed.close();
});
