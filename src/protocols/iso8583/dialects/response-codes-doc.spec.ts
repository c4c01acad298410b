import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REASON_CODES, type ReasonCode } from '../../../domain/reason-codes';
import { listDialects, loadDialect } from '.';

/** The README's table of field 39 per reason code and built-in dialect, as the code has it. */
function table(): string {
  const names = listDialects();
  const rows = (Object.keys(REASON_CODES) as ReasonCode[]).map(
    (r) => `| \`${r}\` | ${names.map((n) => `\`${loadDialect(n).responseCodes[r]}\``).join(' | ')} |`,
  );
  return [
    `| reason code | ${names.join(' | ')} |`,
    `| --- | ${names.map(() => '---').join(' | ')} |`,
    ...rows,
  ].join('\n');
}

it('README documents the field 39 each reason code gets in every built-in dialect, as the code answers', () => {
  const readme = readFileSync(join(__dirname, '../../../../README.md'), 'utf8');
  if (process.env.PRINT_TABLE === '1') process.stdout.write(`${table()}\n`);
  expect(readme).toContain(table());
});
