import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { checkCodec, checkFlows, fuzzFlows, iso8583FuzzContext } from './fuzz-harness';

/**
 * Every case `npm run fuzz` saved for ISO 8583 (test/fixtures/fuzz-corpus/iso8583-*), replayed: the
 * oracle that input once broke must hold now, within the time a frame may take. Cases marked with an
 * `expect` outcome are also held to that outcome (e.g. a bad field answered 39 = 30, not closed).
 */

const CORPUS = join(__dirname, '../../../../test/fixtures/fuzz-corpus');
const SLOW_MS = 1_000;

interface Case {
  readonly file: string;
  readonly target: string;
  readonly dialect: string;
  readonly kind: string;
  readonly input: string;
  readonly cut?: number;
  readonly expect?: string;
}

function cases(target: string): Case[] {
  const dir = join(CORPUS, target);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, ...(JSON.parse(readFileSync(join(dir, file), 'utf8')) as Omit<Case, 'file'>) }));
}

const codecCases = cases('iso8583-codec');
const flowCases = cases('iso8583-flows');

it('the corpus holds cases for both ISO 8583 targets', () => {
  expect(codecCases.length).toBeGreaterThan(0);
  expect(flowCases.length).toBeGreaterThan(0);
  for (const c of [...codecCases, ...flowCases]) expect(c.dialect).toMatch(/^[a-z0-9]+$/);
});

describe.each(codecCases.map((c) => [c.file, c] as const))('codec case %s', (_file, c) => {
  it('only codec or framing errors, and what is accepted packs back to its bytes', () => {
    const ctx = iso8583FuzzContext(c.dialect);
    const t0 = performance.now();
    const outcome = checkCodec(ctx, Buffer.from(c.input, 'base64'), c.cut ?? 0);
    expect(performance.now() - t0).toBeLessThan(SLOW_MS);
    if (c.expect !== undefined) expect(outcome).toBe(c.expect);
  });
});

describe.each(flowCases.map((c) => [c.file, c] as const))('flows case %s', (_file, c) => {
  it('is answered (response MTI, 39, its STAN) or the connection closed; never thrown', async () => {
    const ctx = iso8583FuzzContext(c.dialect);
    const t0 = performance.now();
    const outcome = await checkFlows(
      fuzzFlows(ctx.dialect),
      ctx.dialect.spec,
      Buffer.from(c.input, 'base64'),
    );
    expect(performance.now() - t0).toBeLessThan(SLOW_MS);
    if (c.expect !== undefined) expect(outcome).toBe(c.expect);
  });
});
