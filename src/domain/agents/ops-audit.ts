import type { OpsAuditLog } from '../audit/ops-audit-log';

/** The ops audit chain as the agent network uses it: append inside the transaction of the change. */
export type OpsAuditAppender = Pick<OpsAuditLog, 'append'>;

/** Who did an ops write and why: required on every one. */
export interface Attribution {
  readonly actor: string;
  readonly reason: string;
}
