// tsc compiles TypeScript only; schemas and dialect specs the code reads at run time are copied beside it.
const { cpSync, existsSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const assets = [
  'protocols/iso20022/schemas',
  'protocols/iso20022/camt/schemas',
  'protocols/iso8583/dialects',
  'lanes/http/dashboard/assets',
  'certification/suites',
];
for (const rel of assets) {
  const from = join(root, 'src', rel);
  if (existsSync(from)) {
    cpSync(from, join(root, 'dist', rel), { recursive: true, filter: (src) => !src.endsWith('.ts') });
  }
}
