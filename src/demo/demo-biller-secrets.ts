import { createHash } from 'node:crypto';

/**
 * The signing secret of a demo biller, derived from its id so the biller simulator (an outside
 * party, possibly in its own process) and the demo seed agree without sharing a file. Demo only:
 * production refuses demo data, and real billers' secrets are provisioned per biller.
 */
export function demoBillerSecret(billerId: string): string {
  return `whsec_${createHash('sha256').update(`billgate-demo-biller:${billerId}`).digest('base64')}`;
}
