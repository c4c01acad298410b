import type { CliCommand } from './cli-command';
import { WebhookReceiver } from './webhook-receiver';
import { untilSignal } from './until-signal';

const USAGE =
  'webhooks listen --secret whsec_... [--secret whsec_...] [--port N] [--fail-first N]   receive, verify and print deliveries';

export interface WebhooksCommandIo {
  readonly writeLine: (line: string) => void;
  readonly untilStopped: () => Promise<string>;
}

/**
 * `billgate webhooks listen`: a partner's receiver on 127.0.0.1 that verifies every delivery with
 * the given secret(s) and prints one JSON line per delivery (id, verified, type, body). Prints
 * `webhooks listening http://127.0.0.1:P` first. --fail-first N answers the first N with 500.
 */
export async function runWebhooksCommand(
  args: string[],
  io: WebhooksCommandIo,
): Promise<{ code: number; output: string }> {
  const usage = { code: 64, output: `usage: billgate ${USAGE}` };
  if (args[0] !== 'listen') return usage;
  const secrets: string[] = [];
  let port = 0;
  let failFirst = 0;
  for (let i = 1; i < args.length; i += 1) {
    const [flag, inline] = (args[i] ?? '').split('=', 2) as [string, string | undefined];
    const value = inline ?? args[++i];
    if (value === undefined) return usage;
    if (flag === '--secret' && /^whsec_[A-Za-z0-9+/=]{8,}$/.test(value)) secrets.push(value);
    else if (flag === '--port' && /^\d{1,5}$/.test(value) && Number(value) <= 65535) port = Number(value);
    else if (flag === '--fail-first' && /^\d{1,4}$/.test(value)) failFirst = Number(value);
    else return usage;
  }
  if (secrets.length === 0) return usage;
  const receiver = new WebhookReceiver({
    secrets,
    failFirst,
    onDelivery: (d) => {
      let type: unknown;
      try {
        type = (JSON.parse(d.body) as { type?: unknown }).type;
      } catch {
        type = undefined;
      }
      io.writeLine(
        JSON.stringify({
          id: d.id,
          verified: d.verified,
          answered: d.status,
          type,
          signatures: d.signatures.length,
          body: d.body,
        }),
      );
    },
  });
  const stopped = io.untilStopped();
  const url = await receiver.start(port);
  io.writeLine(`webhooks listening ${url}`);
  const signal = await stopped;
  await receiver.stop();
  return { code: 0, output: `webhooks receiver stopped (${signal}); ${receiver.received.length} received` };
}

export const webhooksCommand: CliCommand = {
  name: 'webhooks',
  usage: USAGE,
  run: (args) =>
    runWebhooksCommand(args, {
      writeLine: (line) => process.stdout.write(`${line}\n`),
      untilStopped: untilSignal,
    }),
};
