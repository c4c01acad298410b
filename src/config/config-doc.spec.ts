import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CONFIG_VARIABLES } from './config';

const ROOT = join(__dirname, '..', '..');
const SRC = join(ROOT, 'src');

/** The README's "Configuration" section: its two tables, gateway variables first, then CLI-only ones. */
function readmeTables(): { gateway: string[]; cli: string[] } {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Configuration\n');
  expect(start).toBeGreaterThan(-1);
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end === -1 ? undefined : end);
  const tables: string[][] = [];
  let current: string[] | undefined;
  for (const line of section.split('\n')) {
    if (!line.startsWith('|')) {
      current = undefined;
      continue;
    }
    if (current === undefined) {
      current = [];
      tables.push(current);
    }
    const first = line.split('|')[1] ?? '';
    // Names are the backticked UPPER_CASE words of the first column (the header row has none).
    for (const m of first.matchAll(/`([A-Z][A-Z0-9_]*)`/g)) current.push(m[1] as string);
  }
  expect(tables).toHaveLength(2);
  return { gateway: tables[0] as string[], cli: tables[1] as string[] };
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.spec.ts') ? [path] : [];
  });
}

/** Environment variables read directly anywhere in src (`process.env.X`, `env.X`, `env['X']`). */
function directReads(): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\benv(?:\.([A-Z][A-Z0-9_]+)\b|\[['"]([A-Z][A-Z0-9_]+)['"]\])/g)) {
      found.set((m[1] ?? m[2]) as string, relative(ROOT, file));
    }
  }
  return found;
}

const sorted = (xs: Iterable<string>): string[] => [...new Set(xs)].sort();

describe('README configuration table', () => {
  it('lists exactly the variables the gateway validates (CONFIG_VARIABLES), both ways', () => {
    const { gateway } = readmeTables();
    const missingFromReadme = CONFIG_VARIABLES.filter((v) => !gateway.includes(v));
    const notInSchema = gateway.filter((v) => !CONFIG_VARIABLES.includes(v));
    expect({ missingFromReadme, notInSchema }).toEqual({ missingFromReadme: [], notInSchema: [] });
    expect(gateway).toHaveLength(new Set(gateway).size);
  });

  it('lists every variable read outside the schema (CLI commands) in the second table, and nothing else', () => {
    const { cli } = readmeTables();
    const outside = [...directReads().keys()].filter((v) => !CONFIG_VARIABLES.includes(v));
    expect(sorted(cli)).toEqual(sorted(outside));
  });

  it('finds the reads it is meant to find (the scan is not blind)', () => {
    const reads = directReads();
    expect(reads.get('BILLGATE_OPS_PASSWORD')).toBe('src/cli/ops-users.command.ts');
    expect(reads.get('CERTS_DIR')).toBe('src/lanes/security/pki/certs-command.ts');
  });
});
