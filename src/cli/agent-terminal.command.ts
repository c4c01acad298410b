import { AgentTerminal } from '../simulators/agent-terminal';
import type { CliCommand } from './cli-command';

const USAGE = `agent-terminal --gateway <url> [--key <terminal key>] [--state <file>] <command>
    lookup <billType> <billReference>              ask the biller (cached for offline use)
    pay <billType> <billReference> <amount>        pay online; queued offline if the gateway is unreachable
    pay-offline <billType> <billReference> <amount> queue without trying the gateway
    queue                                          what waits to be synced
    sync                                           POST /agent/sync with the queue
  the key may come from AGENT_TERMINAL_KEY; --state keeps the queue across runs (default agent-terminal.json)`;

/** `billgate agent-terminal`: an agent's terminal against a running gateway (tests and the demo). */
export async function runAgentTerminal(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; output: string }> {
  const flags = new Map<string, string>();
  const rest: string[] = [];
  for (let i = 0; i < args.length; i += 1) {
    const a = args[i] ?? '';
    if (a.startsWith('--')) flags.set(a, args[++i] ?? '');
    else rest.push(a);
  }
  const gatewayUrl = flags.get('--gateway');
  const key = flags.get('--key') ?? env.AGENT_TERMINAL_KEY;
  if (gatewayUrl === undefined || key === undefined || key === '' || rest.length === 0) {
    return { code: 64, output: `usage: billgate ${USAGE}` };
  }
  const terminal = new AgentTerminal({
    gatewayUrl,
    key,
    stateFile: flags.get('--state') ?? 'agent-terminal.json',
  });
  const [command, billType, billReference, amount] = rest;
  const out = (value: unknown, code = 0) => ({ code, output: JSON.stringify(value, null, 2) });
  try {
    switch (command) {
      case 'lookup':
        if (billType === undefined || billReference === undefined) break;
        return out(await terminal.lookup(billType, billReference));
      case 'pay':
      case 'pay-offline': {
        if (billType === undefined || billReference === undefined || amount === undefined) break;
        // The allowance is read while the gateway answers and kept in the state file for offline use.
        await terminal.refresh().catch(() => undefined);
        if (command === 'pay-offline') terminal.goOffline();
        const r = await terminal.pay(billType, billReference, amount);
        return out(r, r.kind === 'refused-offline' ? 1 : 0);
      }
      case 'queue':
        return out(terminal.queue);
      case 'sync': {
        const r = await terminal.sync();
        return out(r, r.status === 200 || r.status === 204 ? 0 : 1);
      }
    }
  } catch (error) {
    return {
      code: 69,
      output: `billgate agent-terminal: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
  return { code: 64, output: `usage: billgate ${USAGE}` };
}

export const agentTerminalCommand: CliCommand = {
  name: 'agent-terminal',
  usage: USAGE,
  run: (args) => runAgentTerminal(args, process.env),
};
