import { decodeCommand, encodeCommand, Iso8583CliInputError } from '../protocols/iso8583/cli/iso8583-cli';
import { Iso8583Error, Iso8583SpecError } from '../protocols/iso8583';
import type { CliCommand } from './cli-command';

const USAGE =
  'iso8583 decode --dialect <name> [--reveal] <hex or file> | iso8583 encode --dialect <name> <json>';

/** `billgate iso8583 decode|encode`: every field by number and name, or a message packed to hex. */
export const iso8583Command: CliCommand = {
  name: 'iso8583',
  usage: USAGE,
  run: (args) => {
    const [verb, ...rest] = args;
    let dialect = 'ascii87';
    let reveal = false;
    const positional: string[] = [];
    for (let i = 0; i < rest.length; i += 1) {
      const a = rest[i] ?? '';
      if (a === '--dialect') dialect = rest[++i] ?? '';
      else if (a === '--reveal') reveal = true;
      else positional.push(a);
    }
    const input = positional.join(' ');
    try {
      if (verb === 'decode' && input !== '')
        return Promise.resolve({ code: 0, output: decodeCommand({ dialect, input, reveal }) });
      if (verb === 'encode' && input !== '')
        return Promise.resolve({ code: 0, output: encodeCommand({ dialect, json: input }) });
      return Promise.resolve({ code: 64, output: `usage: billgate ${USAGE}` });
    } catch (error) {
      if (
        error instanceof Iso8583Error ||
        error instanceof Iso8583SpecError ||
        error instanceof Iso8583CliInputError
      ) {
        return Promise.resolve({ code: 65, output: `error: ${error.message}` });
      }
      throw error;
    }
  },
};
