import type { Executor } from '../db';
import { verifyAuditChain } from './audit-log';

/**
 * `billgate audit verify`: checks the routing audit chain and prints the verdict as one JSON line
 * (the same shape as GET /ops/audit/verify), plus a human sentence on stderr. Returns the process
 * exit code: 0 intact, 1 broken. The caller opens (and closes) the database.
 */
export async function auditVerifyCommand(
  db: Executor,
  out: { stdout: (line: string) => void; stderr: (line: string) => void } = {
    stdout: (line) => process.stdout.write(line + '\n'),
    stderr: (line) => process.stderr.write(line + '\n'),
  },
): Promise<number> {
  const verdict = await verifyAuditChain(db);
  out.stdout(JSON.stringify(verdict));
  if (verdict.intact) {
    out.stderr(`routing audit chain intact: ${verdict.checked} entries checked`);
    return 0;
  }
  out.stderr(
    `routing audit chain BROKEN at entry ${verdict.firstBrokenAt ?? '?'} (${verdict.problem ?? 'unknown'}): ${verdict.detail ?? ''}`,
  );
  return 1;
}
