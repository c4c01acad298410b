import * as fs from 'node:fs';
import * as path from 'node:path';

const RELATIVE = path.join('src', 'protocols', 'iso20022', 'schemas');
const MARKER = 'head.001.001.02.xsd';

/**
 * Finds the folder holding the XSDs and code sets. tsc does not copy .xsd/.json data files into
 * dist/, so a compiled build looks, in order: beside this file (src/, or dist/ once a build step copies
 * the folder), then up from this file and up from the working directory for the source tree's copy.
 */
export function resolveSchemaDir(explicit?: string): string {
  const candidates: string[] = [];
  if (explicit !== undefined) candidates.push(path.resolve(explicit));
  candidates.push(path.join(__dirname, 'schemas'));
  candidates.push(...ancestors(__dirname).map((dir) => path.join(dir, RELATIVE)));
  candidates.push(...ancestors(process.cwd()).map((dir) => path.join(dir, RELATIVE)));
  for (const dir of candidates) {
    if (fs.existsSync(path.join(dir, MARKER))) return dir;
    if (explicit !== undefined && dir === path.resolve(explicit)) {
      throw new Error(`ISO 20022 schema folder ${dir} does not contain ${MARKER}`);
    }
  }
  throw new Error(
    `ISO 20022 schemas not found (looked beside ${__dirname} and for ${RELATIVE} above it and above ${process.cwd()})`,
  );
}

function ancestors(start: string): string[] {
  const out: string[] = [];
  let dir = path.resolve(start);
  for (;;) {
    out.push(dir);
    const parent = path.dirname(dir);
    if (parent === dir) return out;
    dir = parent;
  }
}
