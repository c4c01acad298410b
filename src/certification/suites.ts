import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { Dispatcher } from 'undici';
import type { CertificationTarget } from '../domain/certification/runner';
import {
  CAPABILITIES,
  parseSuite,
  SuiteError,
  type Capability,
  type LoadedSuite,
} from '../domain/certification/suite';
import { loadDialect, loadDialectFile, type Dialect, type LengthHeader } from '../protocols/iso8583';
import { HttpTarget, type HttpCredentials } from './http-target';
import { Iso8583Target } from './iso8583-target';
import { WebhookTarget, type WebhookTargetOptions } from './webhook-target';

/**
 * Built-in suites live beside this file (copied into dist/ by the build); a partner's own suite is
 * any file of the same schema, named by path. Target adapters are opened per suite: the ISO 8583
 * connection in the suite's dialect, the HTTP side with the suite's XPath namespaces.
 */

export function builtinSuitesDir(): string {
  // dist/certification/suites after a build, src/certification/suites under ts/jest.
  return join(__dirname, 'suites');
}

export function listBuiltinSuites(): string[] {
  const dir = builtinSuitesDir();
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.replace(/\.yaml$/, ''))
    .sort();
}

export interface SuiteFile extends LoadedSuite {
  readonly dir: string;
}

/**
 * A built-in suite by id, or a suite file by path. `iso8583-ebcdic87` is the `iso8583` suite played
 * in the ebcdic87 dialect (one of its `dialects`): the cases are the same, only the bytes differ.
 */
export function loadSuite(nameOrPath: string): SuiteFile {
  if (/[/\\]|\.ya?ml$/.test(nameOrPath)) {
    const path = resolve(nameOrPath);
    if (!existsSync(path)) throw new SuiteError(`no suite file ${path}`);
    return { ...parseSuite(readFileSync(path, 'utf8'), path), dir: dirname(path) };
  }
  const dir = builtinSuitesDir();
  const exact = join(dir, `${nameOrPath}.yaml`);
  if (existsSync(exact)) return { ...parseSuite(readFileSync(exact, 'utf8'), exact), dir };
  const dash = nameOrPath.lastIndexOf('-');
  const base = join(dir, `${nameOrPath.slice(0, dash)}.yaml`);
  if (dash > 0 && existsSync(base)) {
    const loaded = parseSuite(readFileSync(base, 'utf8'), base);
    const dialect = nameOrPath.slice(dash + 1);
    if (loaded.suite.dialects.includes(dialect)) {
      return { ...loaded, suite: { ...loaded.suite, id: nameOrPath, dialect }, dir };
    }
  }
  throw new SuiteError(`no suite ${nameOrPath} (built in: ${builtinSuiteIds().join(', ')})`);
}

/** Every built-in suite id, with one per dialect a suite certifies. */
export function builtinSuiteIds(): string[] {
  const ids: string[] = [];
  for (const name of listBuiltinSuites()) {
    const { suite } = loadSuite(name);
    if (suite.dialects.length === 0) ids.push(name);
    else ids.push(...suite.dialects.map((d) => `${name}-${d}`));
  }
  return ids;
}

export function suiteDialect(suite: SuiteFile): Dialect {
  const name = suite.suite.dialect ?? 'ascii87';
  if (/\.(json|ya?ml)$/.test(name)) return loadDialectFile(isAbsolute(name) ? name : join(suite.dir, name));
  return loadDialect(name);
}

export interface TargetOptions {
  /** host:port of an ISO 8583 lane. */
  readonly iso8583?: string;
  /** The lane's framing when it differs from the dialect's usual one. */
  readonly framing?: { readonly lengthHeader?: LengthHeader; readonly tpdu?: boolean };
  /** Base URL of an HTTP lane (REST, ISO 20022 and, with the ops key, the ops API). */
  readonly http?: string;
  readonly credentials?: HttpCredentials;
  readonly capabilities?: readonly Capability[];
  readonly dispatcher?: Dispatcher;
  /**
   * Receive the gateway's webhooks: a local receiver, subscribed with the partner's credential for the
   * run (needs `http` and the partner's key). Offers the `webhooks` capability.
   */
  readonly webhooks?: WebhookTargetOptions;
}

export interface OpenTarget extends CertificationTarget {
  /** Ends the connections and, when the run subscribed a webhook receiver, unsubscribes it. */
  close(): Promise<void>;
}

export function parseCapabilities(list: string | undefined): Capability[] {
  if (list === undefined || list === '') return [];
  return list.split(',').map((c) => {
    const t = c.trim();
    if (!(CAPABILITIES as readonly string[]).includes(t)) {
      throw new SuiteError(`unknown capability ${t} (${CAPABILITIES.join(', ')})`);
    }
    return t as Capability;
  });
}

function hostPort(text: string): { host: string; port: number } {
  const m = /^(.+):(\d{1,5})$/.exec(text);
  if (m === null) throw new SuiteError(`target ${text}: host:port`);
  return { host: m[1] ?? '', port: Number(m[2]) };
}

export async function openTarget(suite: SuiteFile, opts: TargetOptions): Promise<OpenTarget> {
  const iso = opts.iso8583 === undefined ? undefined : hostPort(opts.iso8583);
  const dialect = iso === undefined ? undefined : suiteDialect(suite);
  const iso8583 =
    iso === undefined || dialect === undefined
      ? undefined
      : new Iso8583Target(
          iso.host,
          iso.port,
          dialect,
          opts.framing?.lengthHeader ?? dialect.conventions.framing.lengthHeader,
          opts.framing?.tpdu ?? dialect.conventions.framing.tpdu,
        );
  const http =
    opts.http === undefined
      ? undefined
      : await HttpTarget.open(opts.http, opts.credentials ?? {}, suite.suite.namespaces, opts.dispatcher);
  let webhooks: WebhookTarget | undefined;
  if (opts.webhooks !== undefined) {
    const partner = opts.credentials?.partner;
    if (http === undefined || partner === undefined) {
      iso8583?.close();
      http?.close();
      throw new SuiteError("receiving webhooks needs the gateway's HTTP lane and the partner's key");
    }
    try {
      webhooks = await WebhookTarget.open(http.baseUrl, partner, opts.webhooks, opts.dispatcher);
    } catch (error) {
      iso8583?.close();
      http.close();
      throw error;
    }
  }
  const parts = [
    iso8583?.description,
    http === undefined ? undefined : `http ${http.baseUrl}`,
    webhooks?.description,
  ].filter((p): p is string => p !== undefined);
  return {
    description: parts.join(' + ') || 'no target',
    capabilities: new Set([
      ...(opts.capabilities ?? []),
      ...(http !== undefined && opts.credentials?.ops !== undefined ? (['ops-api'] as const) : []),
      ...(webhooks !== undefined ? (['webhooks'] as const) : []),
    ]),
    ...(iso8583 !== undefined ? { iso8583: (m, t) => iso8583.exchange(m, t) } : {}),
    ...(http !== undefined ? { http: (r, t) => http.exchange(r, t) } : {}),
    ...(webhooks !== undefined ? { webhook: (w, t) => webhooks.exchange(w, t) } : {}),
    readFile: (name) => {
      const path = resolve(suite.dir, name);
      if (!path.startsWith(suite.dir))
        throw new SuiteError(`bodyFile ${name} is outside the suite's directory`);
      return readFileSync(path, 'utf8');
    },
    close: async () => {
      iso8583?.close();
      http?.close();
      await webhooks?.close();
    },
  };
}
