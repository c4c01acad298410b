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
import type { WebhookTargetOptions } from './webhook-target';
import { SERVE_USAGE, serveCommand } from './serve-cli';

/**
 * `billgate certify run | verify | list`, with the gateway's key material passed in by the CLI
 * command (which owns opening the database), so this module stays testable without a process.
 */

export const CERTIFY_USAGE = [
  'certify list',
  'certify run --suite <id|file> [--target host:port] [--http URL] [--key K] [--ops-key K] [--input name=value]...',
  '            [--capability a,b] [--case id]... [--partner id] [--lane id] [--out dir] [--sign | --sign-via URL]',
  '            [--webhooks] [--webhook-secret whsec_…] [--webhook-listen host:port] [--webhook-url URL]',
  'certify verify <report.json> [--jws file] [--jwks file|URL]',
  SERVE_USAGE,
].join('\n  ');

export interface CertifyDeps {
  /** The gateway's active signing key (opens the database); only asked for with --sign. */
  signer?(): Promise<ReportSigningKey>;
  /** The gateway's JWKS from its database, when verify is given no --jwks. */
  jwks?(): Promise<JSONWebKeySet>;
  readonly env?: NodeJS.ProcessEnv;
  /** Progress of a long-running verb (certify serve prints each instruction as it comes up). */
  readonly writeLine?: (line: string) => void;
}

export interface CliResult {
  readonly code: number;
  readonly output: string;
}

interface Parsed {
  readonly flags: Map<string, string[]>;
  readonly positional: string[];
}

const BOOLEAN_FLAGS = new Set(['--sign', '--webhooks']);

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

/** Makes the detached JWS over a report's bytes: with the gateway's key at hand, or through its ops API. */
export type ReportSigner = (bytes: Buffer, report: CertificationReport) => Promise<string>;

export function localSigner(key: ReportSigningKey): ReportSigner {
  return (bytes) => signReport(bytes, key);
}

/**
 * Signed by a running gateway (POST /ops/partners/{id}/certification/signatures, audited): how a
 * harness signs without opening the database the gateway holds.
 */
export function opsApiSigner(gatewayUrl: string, opsKey: string): ReportSigner {
  return async (bytes, report) => {
    if (report.partnerId === undefined)
      throw new SuiteError('--sign-via: the report names no partner (--partner)');
    const res = await request(
      `${gatewayUrl.replace(/\/+$/, '')}/ops/partners/${encodeURIComponent(report.partnerId)}/certification/signatures`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${opsKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          report: bytes.toString('utf8'),
          reason: `${report.suite.id} ${report.result}`,
        }),
      },
    );
    const answer = (await res.body.json().catch(() => ({}))) as { jws?: string; detail?: string };
    if (res.statusCode !== 200 && res.statusCode !== 201) {
      throw new SuiteError(`--sign-via ${gatewayUrl}: HTTP ${res.statusCode} ${answer.detail ?? ''}`.trim());
    }
    if (answer.jws === undefined)
      throw new SuiteError(`--sign-via ${gatewayUrl}: no signature in the answer`);
    return answer.jws;
  };
}

/** Writes report.json, report.html and (signed) report.json.jws; returns their paths. */
export async function writeReport(
  report: CertificationReport,
  dir: string,
  signer: ReportSigner | undefined,
): Promise<{ json: string; html: string; jws?: string }> {
  mkdirSync(dir, { recursive: true });
  const bytes = reportBytes(report);
  const json = join(dir, 'report.json');
  const html = join(dir, 'report.html');
  writeFileSync(json, bytes);
  writeFileSync(html, renderReportHtml(report));
  if (signer === undefined) return { json, html };
  const jws = `${json}.jws`;
  writeFileSync(jws, `${await signer(bytes, report)}\n`);
  return { json, html, jws };
}

/**
 * `--sign`: with the gateway's key from its database (DATABASE_URL / DATA_DIR: not while a gateway
 * holds an embedded DATA_DIR), or `--sign-via URL`: by that running gateway through its ops API.
 */
export async function signerOf(
  p: { readonly flags: ReadonlyMap<string, readonly string[]> },
  deps: CertifyDeps,
  env: NodeJS.ProcessEnv,
): Promise<ReportSigner | undefined> {
  const via = p.flags.get('--sign-via')?.at(-1);
  if (via !== undefined) {
    const key = p.flags.get('--ops-key')?.at(-1) ?? env.BILLGATE_CERTIFY_OPS_KEY ?? env.BILLGATE_OPS_KEY;
    if (key === undefined) throw new SuiteError('--sign-via: an ops key (--ops-key or BILLGATE_OPS_KEY)');
    return opsApiSigner(via, key);
  }
  if (p.flags.get('--sign')?.at(-1) !== 'true') return undefined;
  // Certifying a running gateway (--http) with its ops key: that gateway signs, over its ops API. It
  // holds its database (on the embedded default, the only right to open it).
  const http = p.flags.get('--http')?.at(-1);
  const opsKey = p.flags.get('--ops-key')?.at(-1) ?? env.BILLGATE_CERTIFY_OPS_KEY;
  if (http !== undefined && opsKey !== undefined) return opsApiSigner(http, opsKey);
  const key = await deps.signer?.();
  if (key === undefined) throw new SuiteError('--sign: no gateway key available');
  return localSigner(key);
}

/** `--webhooks` and its options: a receiver for the run, subscribed with the partner's key. */
function webhookOptions(p: Parsed, env: NodeJS.ProcessEnv): { webhooks?: WebhookTargetOptions } {
  const secret = one(p, '--webhook-secret') ?? env.BILLGATE_CERTIFY_WEBHOOK_SECRET;
  const listen = one(p, '--webhook-listen');
  const url = one(p, '--webhook-url');
  if (one(p, '--webhooks') !== 'true' && secret === undefined && listen === undefined && url === undefined) {
    return {};
  }
  if (secret !== undefined && !/^whsec_[A-Za-z0-9+/=]{8,}$/.test(secret)) {
    throw new SuiteError('--webhook-secret: a whsec_ secret');
  }
  const at = listen === undefined ? undefined : /^(.+):(\d{1,5})$/.exec(listen);
  if (listen !== undefined && (at === null || at === undefined))
    throw new SuiteError('--webhook-listen host:port');
  return {
    webhooks: {
      ...(secret !== undefined ? { secret } : {}),
      ...(at !== undefined && at !== null ? { host: at[1] ?? '127.0.0.1', port: Number(at[2]) } : {}),
      ...(url !== undefined ? { publicUrl: url } : {}),
    },
  };
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
    ...webhookOptions(p, env),
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
    await target.close();
  }
  const files = await writeReport(
    report,
    one(p, '--out') ?? 'certification-report',
    await signerOf(p, deps, env),
  );
  const written = [files.json, files.html, files.jws].filter((f): f is string => f !== undefined);
  return {
    code: report.result === 'passed' ? 0 : 1,
    output: `${summarise(report)}\nwritten: ${written.join(', ')}`,
  };
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
    if (verb === 'serve') {
      return await serveCommand(p.flags, {
        writeLine: deps.writeLine ?? ((line) => process.stdout.write(`${line}\n`)),
        signer: () => signerOf(p, deps, deps.env ?? process.env),
        writeReport,
      });
    }
    return { code: 64, output: `usage: billgate ${CERTIFY_USAGE}` };
  } catch (error) {
    if (error instanceof SuiteError) return { code: 65, output: `error: ${error.message}` };
    throw error;
  }
}
