import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type DatabaseHandle } from '../../src/infrastructure/database/database';
import { migrateToLatest } from '../../src/infrastructure/database/migrator';
import { createTestDatabase } from './gateway';

/** A migrated database of its own for an integration spec: PGlite, or a fresh database on DATABASE_URL. */
export async function openTestDatabase(
  options: { nodeId?: string } = {},
): Promise<DatabaseHandle & { dispose(): Promise<void> }> {
  const created = await createTestDatabase();
  const dataDir = mkdtempSync(join(tmpdir(), 'billgate-it-'));
  const handle = await openDatabase({ url: created.url, dataDir, poolSize: 20, nodeId: options.nodeId });
  await migrateToLatest(handle.db as never);
  return {
    ...handle,
    dispose: async () => {
      await handle.close();
      await created.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
