import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JSONWebKeySet } from 'jose';
import { request } from 'undici';
import { renderReportHtml } from '../domain/certification/report-html';
import { reportBytes, summarise, type CertificationReport } from '../domain/certification/report';
import { signReport, verifyReport, type ReportSigningKey } from '../domain/certification/report-signature';
import { runSuite } from '../domain/certification/runner';
import { SuiteError } from '../domain/certification/suite';
import { builtinSuiteIds, loadSuite, openTarget, parseCapabilities } from './suites';

/**
 * `billgate certify run | verify | list`, with the gateway's key material passed in by the CLI
 * command (which owns opening the database), so this module stays testable without a process.
 */

export const CERTIFY_USAGE = [
  'certify list',
  'certify run --suite <id|file> [--target host:port] [--http URL] [--key K] [--ops-key K] [--input name=value]...',
  '            [--capability a,b] [--case id]... [--partner id] [--lane id] [--out dir] [--sign]',
  'certify verify <report.json> [--jws file] [--jwks file|URL]',
].join('\n  ');

export interface CertifyDeps {
  /** The gateway's active signing key (opens the database); only asked for with --sign. */
  signer?(): Promise<ReportSigningKey>;
  /** The gateway's JWKS from its database, when verify is given no --jwks. */
  jwks?(): Promise<JSONWebKeySet>;
  readonly env?: NodeJS.ProcessEnv;
}

export interface CliResult {
  readonly code: number;
  readonly output: string;
}

interface Parsed {
  readonly flags: Map<string, string[]>;
  readonly positional: string[];
}

const BOOLEAN_FLAGS = new Set(['--sign']);

function parse(args: readonly string[]): Parsed {
  const flags = new Map<string, string[]>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const value = BOOLEAN_FLAGS.has(a) ? 'true' : args[++i];
    if (value === undefined) throw new SuiteError(`${a} needs a value`);
    flags.set(a, [...(flags.get(a) ?? []), value]);
  }
  return { flags, positional };
}

const one = (p: Parsed, name: string): string | undefined => p.flags.get(name)?.at(-1);

/** Writes report.json, report.html and (signed) report.json.jws; returns their paths. */
export async function writeReport(
  report: CertificationReport,
  dir: string,
  sign: ((bytes: Uint8Array) => Promise<string>) | undefined,
): Promise<{ json: string; html: string; jws?: string }> {
  mkdirSync(dir, { recursive: true });
  const bytes = reportBytes(report);
  const json = join(dir, 'report.json');
  const html = join(dir, 'report.html');
  writeFileSync(json, bytes);
  writeFileSync(html, renderReportHtml(report));
  if (sign === undefined) return { json, html };
  const jws = `${json}.jws`;
  writeFileSync(jws, `${await sign(bytes)}\n`);
  return { json, html, jws };
}

async function run(p: Parsed, deps: CertifyDeps): Promise<CliResult> {
  const suiteName = one(p, '--suite');
  if (suiteName === undefined) return { code: 64, output: `usage: billgate ${CERTIFY_USAGE}` };
  const suite = loadSuite(suiteName);
  const env = deps.env ?? process.env;
  const inputs: Record<string, string> = {};
  for (const kv of p.flags.get('--input') ?? []) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new SuiteError(`--input ${kv}: name=value`);
    inputs[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  const iso8583 = one(p, '--target');
  const http = one(p, '--http') ?? (iso8583 !== undefined && /^https?:/.test(iso8583) ? iso8583 : undefined);
  // Keys may come from the environment so they stay out of shell history and CI logs.
  const partner = one(p, '--key') ?? env.BILLGATE_CERTIFY_KEY;
  const ops = one(p, '--ops-key') ?? env.BILLGATE_CERTIFY_OPS_KEY;
  const target = await openTarget(suite, {
    ...(iso8583 !== undefined && iso8583 !== http ? { iso8583 } : {}),
    ...(http !== undefined ? { http } : {}),
    credentials: { ...(partner !== undefined ? { partner } : {}), ...(ops !== undefined ? { ops } : {}) },
    capabilities: (p.flags.get('--capability') ?? []).flatMap((c) => parseCapabilities(c)),
  });
  let report: CertificationReport;
  try {
    const partnerId = one(p, '--partner');
    const laneId = one(p, '--lane');
    const cases = p.flags.get('--case');
    report = await runSuite(suite, target, {
      inputs,
      ...(partnerId !== undefined ? { partnerId } : {}),
      ...(laneId !== undefined ? { laneId } : {}),
      ...(cases !== undefined ? { cases } : {}),
    });
  } finally {
    target.close();
  }
  let sign: ((bytes: Uint8Array) => Promise<string>) | undefined;
  const partnerId = one(p, '--partner');
  if (one(p, '--sign') === 'true') {
    if (http !== undefined && ops !== undefined && partnerId !== undefined) {
      // Signed by the gateway that was certified, over its ops API: it holds its database (and, on
      // the embedded default, the only right to open it).
      sign = (bytes) => signedByGateway(http, ops, partnerId, bytes);
    } else {
      const signer = await deps.signer?.();
      if (signer === undefined) throw new SuiteError('--sign: no gateway key available');
      sign = (bytes) => signReport(bytes, signer);
    }
  }
  const files = await writeReport(report, one(p, '--out') ?? 'certification-report', sign);
  const written = [files.json, files.html, files.jws].filter((f): f is string => f !== undefined);
  return {
    code: report.result === 'passed' ? 0 : 1,
    output: `${summarise(report)}\nwritten: ${written.join(', ')}`,
  };
}

/** The gateway's detached JWS over the report's exact bytes (POST /ops/partners/{id}/certification/signatures). */
async function signedByGateway(
  http: string,
  opsKey: string,
  partnerId: string,
  bytes: Uint8Array,
): Promise<string> {
  const res = await request(
    `${http.replace(/\/$/, '')}/ops/partners/${encodeURIComponent(partnerId)}/certification/signatures`,
    {
      method: 'POST',
      headers: { authorization: `Bearer ${opsKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        report: Buffer.from(bytes).toString('utf8'),
        reason: 'billgate certify run --sign',
      }),
    },
  );
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new SuiteError(`--sign: the gateway answered ${res.statusCode}: ${text}`);
  return (JSON.parse(text) as { jws: string }).jws;
}

async function readJwks(source: string): Promise<JSONWebKeySet> {
  if (/^https?:\/\//.test(source)) {
    const res = await request(source);
    if (res.statusCode !== 200) throw new SuiteError(`${source}: HTTP ${res.statusCode}`);
    return (await res.body.json()) as JSONWebKeySet;
  }
  return JSON.parse(readFileSync(source, 'utf8')) as JSONWebKeySet;
}

async function verify(p: Parsed, deps: CertifyDeps): Promise<CliResult> {
  const file = p.positional[0];
  if (file === undefined) return { code: 64, output: `usage: billgate ${CERTIFY_USAGE}` };
  const jwsFile = one(p, '--jws') ?? `${file}.jws`;
  if (!existsSync(jwsFile)) return { code: 1, output: `INVALID ${file}: no signature (${jwsFile})` };
  const jwksSource = one(p, '--jwks');
  const jwks = jwksSource !== undefined ? await readJwks(jwksSource) : await deps.jwks?.();
  if (jwks === undefined) return { code: 64, output: 'verify: --jwks file|URL (or a gateway database)' };
  const bytes = readFileSync(file);
  const result = await verifyReport(bytes, readFileSync(jwsFile, 'utf8'), jwks);
  if (!result.ok) return { code: 1, output: `INVALID ${file}: ${result.reason}` };
  let summary = '';
  try {
    const r = JSON.parse(bytes.toString('utf8')) as CertificationReport;
    summary = ` — ${r.suite.id} ${r.suite.version} ${r.result} (${r.finishedAt})`;
  } catch {
    summary = '';
  }
  return { code: 0, output: `VALID ${file}: signed by ${result.kid}${summary}` };
}

export async function certifyCommand(args: readonly string[], deps: CertifyDeps = {}): Promise<CliResult> {
  const [verb, ...rest] = args;
  try {
    const p = parse(rest);
    if (verb === 'list') return { code: 0, output: builtinSuiteIds().join('\n') };
    if (verb === 'run') return await run(p, deps);
    if (verb === 'verify') return await verify(p, deps);
    return { code: 64, output: `usage: billgate ${CERTIFY_USAGE}` };
  } catch (error) {
    if (error instanceof SuiteError) return { code: 65, output: `error: ${error.message}` };
    throw error;
  }
}
