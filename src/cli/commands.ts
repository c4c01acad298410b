import { iso8583Command } from './iso8583.command';

/** A CLI command: parses its own arguments and returns what to print and the exit code. */
export interface CliCommand {
  readonly name: string;
  readonly usage: string;
  run(args: string[]): Promise<{ code: number; output: string }>;
}

/** Commands contributed by the protocol and domain modules (ISO 8583, ISO 20022, certificates, audit). */
export const CLI_COMMANDS: CliCommand[] = [iso8583Command];
