import { request } from 'undici';
import type { LaneFit } from '../domain/lane-fit/lane-fit';
import type { CliCommand } from './cli-command';

/**
 * `billgate partners …`: partner onboarding from the command line, through a running gateway's ops
 * API (the gateway owns its database; a CLI never opens a DATA_DIR a gateway holds).
 *   lane-fit [--partner ID] [--json]   each partner's last 30 days against each lane's cost
 * The gateway is `--gateway URL` (or BILLGATE_GATEWAY_URL, default http://127.0.0.1:$HTTP_PORT) and
 * the ops key `--ops-key` (or BILLGATE_OPS_KEY).
 */

const USAGE = 'partners lane-fit [--partner ID] [--json] [--gateway URL] [--ops-key K]';

export interface OpsTarget {
  readonly url: string;
  readonly key: string;
}

export class OpsCallError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function opsTarget(flags: ReadonlyMap<string, string>, env: NodeJS.ProcessEnv): OpsTarget | string {
  const url = (
    flags.get('--gateway') ??
    env.BILLGATE_GATEWAY_URL ??
    `http://127.0.0.1:${env.HTTP_PORT ?? '8080'}`
  ).replace(/\/+$/, '');
  const key = flags.get('--ops-key') ?? env.BILLGATE_OPS_KEY;
  if (key === undefined) return 'an ops key: --ops-key or BILLGATE_OPS_KEY';
  return { url, key };
}

export async function opsCall<T>(
  t: OpsTarget,
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await request(t.url + path, {
    method,
    headers: {
      authorization: `Bearer ${t.key}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.body.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = text;
  }
  return { status: res.statusCode, body: parsed as T };
}

/** --flag value pairs (a flag named in `booleans` takes none). */
export function parseFlags(
  args: readonly string[],
  booleans: ReadonlySet<string> = new Set(),
): { flags: Map<string, string>; positional: string[] } | string {
  const flags = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    if (booleans.has(a)) {
      flags.set(a, 'true');
      continue;
    }
    const v = args[++i];
    if (v === undefined) return `${a} needs a value`;
    flags.set(a, v);
  }
  return { flags, positional };
}

export function describeLaneFit(f: LaneFit): string {
  const lanes =
    f.traffic.lanes.length === 0
      ? 'no lane'
      : f.traffic.lanes
          .map((l) => `${l.laneId} (${l.kind}): ${l.payments} payments, peak ${l.peakPerMinute}/min`)
          .join('; ');
  const r = f.recommendation;
  const change = r.monthlyCostChange.startsWith('-')
    ? `saves ${r.monthlyCostChange.slice(1)} ${r.currency}/month`
    : r.monthlyCostChange === '0.00'
      ? 'no change in cost'
      : `costs ${r.monthlyCostChange} ${r.currency}/month more`;
  return [
    `${f.partnerId}: ${r.action} → ${r.kind} (${change})`,
    `  lanes: ${lanes}`,
    `  why: ${r.reason}`,
  ].join('\n');
}

export async function laneFitCommand(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; output: string }> {
  const parsed = parseFlags(args, new Set(['--json']));
  if (typeof parsed === 'string') return { code: 64, output: `${parsed}\nusage: billgate ${USAGE}` };
  const target = opsTarget(parsed.flags, env);
  if (typeof target === 'string') return { code: 64, output: `${target}\nusage: billgate ${USAGE}` };
  const partner = parsed.flags.get('--partner');
  const res =
    partner === undefined
      ? await opsCall<{ items: LaneFit[] }>(target, 'GET', '/ops/lane-fit')
      : await opsCall<LaneFit>(target, 'GET', `/ops/partners/${encodeURIComponent(partner)}/lane-fit`);
  if (res.status !== 200) {
    const detail = (res.body as { detail?: string } | undefined)?.detail ?? JSON.stringify(res.body);
    return {
      code: res.status === 404 ? 66 : 69,
      output: `error: ${target.url}: HTTP ${res.status} ${detail}`,
    };
  }
  const fits = partner === undefined ? (res.body as { items: LaneFit[] }).items : [res.body as LaneFit];
  if (parsed.flags.get('--json') === 'true')
    return { code: 0, output: JSON.stringify(partner === undefined ? fits : fits[0], null, 2) };
  return { code: 0, output: fits.map(describeLaneFit).join('\n') };
}

export const partnersCommand: CliCommand = {
  name: 'partners',
  usage: USAGE,
  run: async (args) => {
    const [verb, ...rest] = args;
    if (verb === 'lane-fit') return laneFitCommand(rest, process.env);
    return { code: 64, output: `usage: billgate ${USAGE}` };
  },
};
