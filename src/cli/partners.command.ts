import type { LaneFit } from '../domain/lane-fit/lane-fit';
import type { CliCommand } from './cli-command';
import { opsCall, opsTarget, parseFlags } from './ops-client';
import { onboardPartner, OpsRefused, PartnerFileError, readPartnerFile } from './partners-onboard';

/**
 * `billgate partners …`: partner onboarding from the command line, through a running gateway's ops
 * API (the gateway owns its database; a CLI never opens a DATA_DIR a gateway holds).
 *   onboard partner.yaml [--out DIR]   the draft, schedules, lanes, credentials; what is left to do
 *   lane-fit [--partner ID] [--json]   each partner's last 30 days against each lane's cost
 */

const USAGE = [
  'partners onboard <partner.yaml> [--out DIR] [--gateway URL] [--ops-key K]',
  'partners lane-fit [--partner ID] [--json] [--gateway URL] [--ops-key K]',
].join('\n  ');

export async function onboardCommand(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; output: string }> {
  const parsed = parseFlags(args);
  if (typeof parsed === 'string') return { code: 64, output: `${parsed}\nusage: billgate ${USAGE}` };
  const file = parsed.positional[0];
  if (file === undefined || parsed.positional.length > 1)
    return { code: 64, output: `usage: billgate ${USAGE}` };
  const target = opsTarget(parsed.flags, env);
  if (typeof target === 'string') return { code: 64, output: `${target}\nusage: billgate ${USAGE}` };
  try {
    const partner = readPartnerFile(file);
    const out = parsed.flags.get('--out') ?? `${partner.id}-credentials`;
    return { code: 0, output: (await onboardPartner(partner, target, out)).join('\n') };
  } catch (error) {
    if (error instanceof PartnerFileError) return { code: 65, output: `error: ${error.message}` };
    if (error instanceof OpsRefused) return { code: 69, output: `error: ${target.url}: ${error.message}` };
    const code = (error as { code?: unknown }).code;
    if (code === 'ECONNREFUSED') {
      return { code: 69, output: `error: no gateway answers at ${target.url} (start it, or --gateway URL)` };
    }
    throw error;
  }
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
    if (verb === 'onboard') return onboardCommand(rest, process.env);
    return { code: 64, output: `usage: billgate ${USAGE}` };
  },
};
