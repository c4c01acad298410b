import { DEMO_BILL_TYPES, DEMO_BILLERS } from '../demo/demo-data';
import { inspectCommand, validateCommand, type CliLookups } from '../protocols/iso20022/cli/iso20022-cli';
import { creditorLookupOf } from '../protocols/iso20022/lane/creditor-directory';

const USAGE = 'iso20022 validate <file> | iso20022 inspect <file>';

/**
 * What the lane looks up in its database, answered offline from the demo's catalogue: a creditor Id
 * naming a demo biller (`sim-water`, its name or bill type) gives its bill type, and the demo's bill
 * types are the ones offered.
 */
const OFFLINE_LOOKUPS: CliLookups = {
  billTypeByCreditor: creditorLookupOf(
    DEMO_BILLERS.map((b) => ({ id: b.id, biller_name: b.name, bill_type: b.billType })),
  ),
  billTypeOffered: (code) => (DEMO_BILL_TYPES as readonly string[]).includes(code),
};

/**
 * `billgate iso20022 validate <file>`: which message, valid or each error with its line, then the
 * lane's own checks on each payment (exit 0 when the lane would accept it, 65 otherwise).
 * `billgate iso20022 inspect <file>`: the instructions it would produce, as JSON, each with the bill
 * type and reference it maps to and what the lane would do with it.
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
        const { ok, output } = await validateCommand(file, {}, OFFLINE_LOOKUPS);
        return { code: ok ? 0 : 65, output };
      }
      return { code: 0, output: await inspectCommand(file, OFFLINE_LOOKUPS) };
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === 'ENOENT' || code === 'EISDIR' || code === 'EACCES') {
        return { code: 66, output: `error: cannot read ${file} (${String(code)})` };
      }
      throw error;
    }
  },
};
