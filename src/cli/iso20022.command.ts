import { inspectCommand, validateCommand } from '../protocols/iso20022/cli/iso20022-cli';

const USAGE = 'iso20022 validate <file> | iso20022 inspect <file>';

/**
 * `billgate iso20022 validate <file>`: which message, valid or each error with its line (exit 0 when
 * it would be accepted, 65 otherwise). `billgate iso20022 inspect <file>`: the instructions it would
 * produce, as JSON (creditor ids are not looked up offline: only purpose codes give a bill type).
 */
// Typed structurally (commands.ts checks it against CliCommand), so this file imports nothing back.
export const iso20022Command = {
  name: 'iso20022',
  usage: USAGE,
  run: async (args: string[]): Promise<{ code: number; output: string }> => {
    const [verb, file, ...extra] = args;
    if (file === undefined || extra.length > 0 || (verb !== 'validate' && verb !== 'inspect')) {
      return { code: 64, output: `usage: billgate ${USAGE}` };
    }
    try {
      if (verb === 'validate') {
        const { ok, output } = await validateCommand(file);
        return { code: ok ? 0 : 65, output };
      }
      return { code: 0, output: await inspectCommand(file) };
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === 'ENOENT' || code === 'EISDIR' || code === 'EACCES') {
        return { code: 66, output: `error: cannot read ${file} (${String(code)})` };
      }
      throw error;
    }
  },
};
