import { iso8583Command } from './iso8583.command';
import { iso20022Command } from './iso20022.command';
import { certsCommand } from '../lanes/security/pki/certs-command';

import { auditCommand } from './audit.command';
import { simulatorsCommand } from './simulators.command';
import { webhooksCommand } from './webhooks.command';
import { opsUsersCommand } from './ops-users.command';
import { agentTerminalCommand } from './agent-terminal.command';
import { certifyCliCommand } from './certify.command';
import { reconCommand } from './recon.command';
import type { CliCommand } from './cli-command';

export type { CliCommand };

/**
 * Commands contributed by the protocol and domain modules (ISO 8583, ISO 20022, certificates, audit)
 * and the stand-alone simulators.
 */
export const CLI_COMMANDS: CliCommand[] = [
  iso8583Command,
  iso20022Command,
  certsCommand,
  auditCommand,
  simulatorsCommand,
  webhooksCommand,
  opsUsersCommand,
  agentTerminalCommand,
  certifyCliCommand,
  reconCommand,
];
