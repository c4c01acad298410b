import { ConfigError, loadSimulatorsConfig } from '../config/config';
import { simulatorsListeningLine, startSimulators } from '../simulators/simulators';
import type { CliCommand } from './cli-command';
import { untilSignal } from './until-signal';

const USAGE =
  'simulators [--biller-port <n>] [--core-banking-port <n>] [--host <addr>]   biller + core-banking simulators (127.0.0.1 unless --host; 0 = any port)';

export interface SimulatorsCommandIo {
  readonly env: NodeJS.ProcessEnv;
  /** Prints one line (the machine-readable `simulators listening ...` line). */
  readonly writeLine: (line: string) => void;
  /** Resolves, with its name, on the signal that stops the simulators. */
  readonly untilStopped: () => Promise<string>;
}

const FLAGS = new Map<string, 'billerPort' | 'coreBankingPort'>([
  ['--biller-port', 'billerPort'],
  ['--core-banking-port', 'coreBankingPort'],
]);

function parsePort(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port <= 65535 ? port : undefined;
}

/**
 * `billgate simulators`: the biller and core-banking simulators in a process of their own, on
 * 127.0.0.1, until SIGTERM or SIGINT. Ports come from --biller-port / --core-banking-port, else
 * BILLER_SIMULATOR_PORT / CORE_BANKING_SIMULATOR_PORT. Once both listen it prints
 *   simulators listening biller=http://127.0.0.1:P core-banking=http://127.0.0.1:Q
 * for a gateway's BILLER_SIMULATOR_URL and CORE_BANKING_URL. Refused when NODE_ENV=production.
 */
export async function runSimulatorsCommand(
  args: string[],
  io: SimulatorsCommandIo,
): Promise<{ code: number; output: string }> {
  const flags: { billerPort?: number; coreBankingPort?: number; host?: string } = {};
  for (let i = 0; i < args.length; i += 1) {
    const [flag, inline] = (args[i] ?? '').split('=', 2) as [string, string | undefined];
    if (flag === '--host') {
      const host = inline ?? args[++i];
      // An address to bind, never a name: 0.0.0.0 in a container, 127.0.0.1 otherwise.
      if (host === undefined || !/^[0-9a-fA-F.:]+$/.test(host))
        return { code: 64, output: `usage: billgate ${USAGE}` };
      flags.host = host;
      continue;
    }
    const key = FLAGS.get(flag);
    const port = key === undefined ? undefined : parsePort(inline ?? args[++i]);
    if (key === undefined || port === undefined) return { code: 64, output: `usage: billgate ${USAGE}` };
    flags[key] = port;
  }
  let config;
  try {
    config = loadSimulatorsConfig(io.env);
  } catch (error) {
    if (error instanceof ConfigError) return { code: 78, output: `billgate: ${error.message}` };
    throw error;
  }
  // Listening for the signal before the line is printed: whoever reads the line may stop us at once.
  const stopped = io.untilStopped();
  const running = await startSimulators({
    billerPort: flags.billerPort ?? config.billerSimulatorPort,
    coreBankingPort: flags.coreBankingPort ?? config.coreBankingSimulatorPort,
    biller: { stateDir: config.billerSimulatorStateDir },
    ...(flags.host !== undefined ? { host: flags.host } : {}),
  });
  io.writeLine(simulatorsListeningLine(running));
  const signal = await stopped;
  await running.stop();
  return { code: 0, output: `simulators stopped (${signal})` };
}

export const simulatorsCommand: CliCommand = {
  name: 'simulators',
  usage: USAGE,
  run: (args) =>
    runSimulatorsCommand(args, {
      env: process.env,
      writeLine: (line) => process.stdout.write(`${line}\n`),
      untilStopped: untilSignal,
    }),
};
