import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { Iso20022Engine } from '../engine';
import type { Iso20022Endpoint } from '../lane/iso20022-translator';
import { checkIso20022, fuzzTranslator } from './fuzz-harness';

/**
 * Every ISO 20022 case `npm run fuzz` saved (test/fixtures/fuzz-corpus/iso20022), and the classic
 * attacks kept there, replayed through the lane: answered with XML that reads back, or refused as a
 * 400; never thrown, never slow. A case's `expect` names the outcome it must keep.
 */

const DIR = join(__dirname, '../../../../test/fixtures/fuzz-corpus/iso20022');
const SLOW_MS = 2_000;

interface Case {
  readonly file: string;
  readonly endpoint: Iso20022Endpoint;
  readonly input: string;
  readonly expect?: string;
}

const cases: Case[] = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((file) => ({ file, ...(JSON.parse(readFileSync(join(DIR, file), 'utf8')) as Omit<Case, 'file'>) }));

let engine: Iso20022Engine;
beforeAll(async () => {
  engine = await Iso20022Engine.create();
});
afterAll(() => engine.dispose());

it('the corpus holds ISO 20022 cases', () => {
  expect(cases.length).toBeGreaterThan(0);
});

it.each(cases.map((c) => [c.file, c] as const))('%s', async (_file, c) => {
  const t0 = performance.now();
  const outcome = await checkIso20022(
    fuzzTranslator(engine),
    engine,
    c.endpoint,
    Buffer.from(c.input, 'base64'),
  );
  expect(performance.now() - t0).toBeLessThan(SLOW_MS);
  if (c.expect !== undefined) expect(outcome).toBe(c.expect);
});
