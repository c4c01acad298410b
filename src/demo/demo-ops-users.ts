import type { Db } from '../domain/db';
import { OpsUsers } from '../domain/ops-users/ops-users';

/** The demo's dashboard users (embedded default only; production refuses demo data). */
export const DEMO_OPS_USERS = [
  {
    username: 'ops.operator',
    displayName: 'Demo Operator',
    role: 'operator',
    password: 'operator-demo-pass',
  },
  { username: 'ops.viewer', displayName: 'Demo Viewer', role: 'viewer', password: 'viewer-demo-pass' },
] as const;

export async function seedDemoOpsUsers(db: Db): Promise<void> {
  const users = new OpsUsers();
  for (const u of DEMO_OPS_USERS) await users.create(db, u);
}
