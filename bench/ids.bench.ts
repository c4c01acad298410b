/*
 * Payment ids: uuidv7 with its pooled random bytes (one getrandom call per 256 ids) against the same
 * id drawing 16 fresh random bytes per call (the first version), and Node's crypto.randomUUID (v4,
 * also pooled) as the peer. One process, same run, median of 5 rounds.
 *
 *   npm run bench -- ids [--ids 200000]
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { uuidv7 } from '../src/domain/ids';
import { arg, fmt } from './lib/stats';

/** The first version: 16 bytes from the kernel for every id. */
function uuidv7Unpooled(now: number = Date.now()): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const n = Number(arg('ids', '200000'));
let sink = 0;
function rate(make: () => string): number {
  const rounds: number[] = [];
  for (let r = 0; r < 5; r += 1) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i += 1) sink += make().length;
    rounds.push(n / (Number(process.hrtime.bigint() - t0) / 1e9));
  }
  return rounds.sort((a, b) => a - b)[2]!;
}

const unpooled = rate(() => uuidv7Unpooled());
const pooled = rate(() => uuidv7());
const peer = rate(() => randomUUID());
console.log(`ids/s, median of 5 rounds of ${n}:`);
console.log(`  uuidv7, 16 random bytes per id (first version): ${fmt(unpooled / 1e6, 2)} M/s`);
console.log(
  `  uuidv7, pooled random bytes:                    ${fmt(pooled / 1e6, 2)} M/s (${fmt(pooled / unpooled, 1)}×)`,
);
console.log(`  crypto.randomUUID (v4, peer):                   ${fmt(peer / 1e6, 2)} M/s`);
if (sink === 0) console.log('');
