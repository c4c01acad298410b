import { PARTNER_KINDS, type PartnerKind } from '../domain/partners/partner';
import { summarise } from '../domain/certification/report';
import type { RenderedAwait } from '../domain/certification/runner';
import { SuiteError } from '../domain/certification/suite';
import { isPayerType, type PayerType } from '../domain/reason-codes';
import { CertificationLane } from './client-lane';
import { runClientSession } from './client-target';
import { openSandbox } from './sandbox';
import { loadSuite } from './suites';

/**
 * `billgate certify serve`: a certification lane for a partner's client. Starts the sandbox
 * billgate, listens where the partner connects, prints the session (endpoints, sandbox API key,
 * what to send next as each step comes up), plays the suite and writes the same (signed) report as
 * `certify run`. Exit 0 when every case passed.
 */

export const SERVE_USAGE =
  'certify serve --suite <client suite> --partner <id> [--kind mfs|bank|aggregator|card-scheme] [--payer-type T]\n' +
  '            [--acquirer N] [--host H] [--port N] [--http-port N] [--webhook-url URL] [--step-timeout ms]\n' +
  '            [--input name=value]... [--case id]... [--lane id] [--out dir] [--sign | --sign-via URL --ops-key K]';

const DEFAULT_PAYER_TYPE: Record<PartnerKind, PayerType> = {
  bank: 'bank-customer',
  mfs: 'mfs-user',
  aggregator: 'wallet-aggregator',
  'card-scheme': 'card-on-file',
  'otc-network': 'otc-agent',
};

/** The demo test data a partner of this payer type pays from ("Simulator test references"). */
const PAYER_INPUTS: Record<PayerType, { payerKind: string; payer: string }> = {
  'bank-customer': { payerKind: 'account', payer: '1001000000001' },
  'mfs-user': { payerKind: 'wallet', payer: '01711000001' },
  'wallet-aggregator': { payerKind: 'wallet', payer: '01711000001' },
  'card-on-file': { payerKind: 'cardToken', payer: 'tok_certification' },
  'otc-agent': { payerKind: 'agentId', payer: 'AGENT-001' },
};

/** Signs a report's bytes (detached JWS); undefined when the run was not asked to sign. */
type Signer = (bytes: Buffer, report: Parameters<typeof summarise>[0]) => Promise<string>;

export interface ServeDeps {
  readonly writeLine: (line: string) => void;
  signer(): Promise<Signer | undefined>;
  writeReport(
    report: Parameters<typeof summarise>[0],
    dir: string,
    signer: Signer | undefined,
  ): Promise<{ json: string; html: string; jws?: string }>;
}

export type Flags = ReadonlyMap<string, readonly string[]>;

const one = (f: Flags, name: string): string | undefined => f.get(name)?.at(-1);

function port(f: Flags, name: string): number | undefined {
  const v = one(f, name);
  if (v === undefined) return undefined;
  if (!/^\d{1,5}$/.test(v) || Number(v) > 65535) throw new SuiteError(`${name}: a port number`);
  return Number(v);
}

export function describeStep(s: RenderedAwait): string {
  const values = Object.entries(s.values)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return `[${s.caseId} / ${s.stepId}] ${s.automatic ? '(your system, by itself) ' : ''}${s.instruct} → send ${s.message}${values !== '' ? ` (${values})` : ''}`;
}

export async function serveCommand(f: Flags, deps: ServeDeps): Promise<{ code: number; output: string }> {
  const suiteName = one(f, '--suite');
  const partnerId = one(f, '--partner');
  if (suiteName === undefined || partnerId === undefined) {
    return { code: 64, output: `usage: billgate ${SERVE_USAGE}` };
  }
  const suite = loadSuite(suiteName);
  if (suite.suite.role !== 'client') {
    throw new SuiteError(
      `${suite.suite.id} plays the partner (certify run); serve needs a role: client suite`,
    );
  }
  const kind = (one(f, '--kind') ?? 'mfs') as PartnerKind;
  if (!(PARTNER_KINDS as readonly string[]).includes(kind) || kind === 'otc-network') {
    throw new SuiteError(`--kind: one of ${PARTNER_KINDS.filter((k) => k !== 'otc-network').join(', ')}`);
  }
  const payerType = one(f, '--payer-type') ?? DEFAULT_PAYER_TYPE[kind];
  if (!isPayerType(payerType)) throw new SuiteError(`--payer-type ${payerType} is not a payer type`);
  const inputs: Record<string, string> = { ...PAYER_INPUTS[payerType] };
  for (const kv of f.get('--input') ?? []) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new SuiteError(`--input ${kv}: name=value`);
    inputs[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  const acquirer = one(f, '--acquirer') ?? inputs.acquirer ?? suite.suite.inputs.acquirer;
  if (acquirer !== undefined) inputs.acquirer = acquirer;
  const stepTimeout = Number(one(f, '--step-timeout') ?? 120_000);
  if (!Number.isInteger(stepTimeout) || stepTimeout < 100)
    throw new SuiteError('--step-timeout: milliseconds');

  deps.writeLine(`certification lane: starting the sandbox for ${partnerId} (${kind}, ${payerType})…`);
  const sandbox = await openSandbox({
    partner: { id: partnerId, kind, payerType, ...(acquirer !== undefined ? { acquirer } : {}) },
    ...(suite.suite.protocol === 'iso8583' ? { iso8583Dialect: suite.suite.dialect ?? 'ascii87' } : {}),
  });
  let lane: CertificationLane | undefined;
  try {
    const host = one(f, '--host');
    const isoPort = port(f, '--port');
    const httpPort = port(f, '--http-port');
    lane = await CertificationLane.open({
      suite,
      sandbox,
      ...(host !== undefined ? { host } : {}),
      ...(isoPort !== undefined ? { iso8583Port: isoPort } : {}),
      ...(httpPort !== undefined ? { httpPort } : {}),
      onInstruction: (s) => deps.writeLine(describeStep(s)),
    });
    const webhookUrl = one(f, '--webhook-url');
    if (webhookUrl !== undefined) await lane.registerReceiver(webhookUrl);
    const session = lane.session();
    deps.writeLine(`certification lane ready: ${JSON.stringify(session)}`);
    deps.writeLine(
      `what to send next: GET ${lane.httpUrl}/certification/next; the whole script: GET ${lane.httpUrl}/certification/script`,
    );
    const laneId = one(f, '--lane');
    const cases = f.get('--case');
    const report = await runClientSession(lane, {
      inputs,
      defaultTimeoutMs: stepTimeout,
      partnerId,
      ...(laneId !== undefined ? { laneId } : {}),
      ...(cases !== undefined ? { cases } : {}),
    });
    const files = await deps.writeReport(
      report,
      one(f, '--out') ?? 'certification-report',
      await deps.signer(),
    );
    const written = [files.json, files.html, files.jws].filter((x): x is string => x !== undefined);
    return {
      code: report.result === 'passed' ? 0 : 1,
      output: `${summarise(report)}\nwritten: ${written.join(', ')}`,
    };
  } finally {
    await lane?.close();
    await sandbox.close();
  }
}
