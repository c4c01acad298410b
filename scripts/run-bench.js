// Compiles src + bench with tsc (no TypeScript runner is needed) and runs one benchmark:
//   npm run bench -- <name> [args...]      e.g. npm run bench -- bill-pay --concurrency 64
const { execFileSync } = require('node:child_process');
const { existsSync, readdirSync, cpSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const [name, ...args] = process.argv.slice(2);
const available = readdirSync(join(root, 'bench'))
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.replace(/\.bench\.ts$/, ''));
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- <${available.join('|')}> [args]`);
  process.exit(64);
}
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.bench.json'], {
  cwd: root,
  stdio: 'inherit',
});
for (const rel of ['protocols/iso20022/schemas', 'protocols/iso8583/dialects']) {
  const from = join(root, 'src', rel);
  if (existsSync(from)) {
    cpSync(from, join(root, '.bench-out/src', rel), {
      recursive: true,
      filter: (src) => !src.endsWith('.ts'),
    });
  }
}
execFileSync(process.execPath, [join(root, '.bench-out/bench', `${name}.bench.js`), ...args], {
  cwd: root,
  stdio: 'inherit',
});
