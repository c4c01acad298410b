/** A CLI command: parses its own arguments and returns what to print and the exit code. */
export interface CliCommand {
  readonly name: string;
  readonly usage: string;
  run(args: string[]): Promise<{ code: number; output: string }>;
}
