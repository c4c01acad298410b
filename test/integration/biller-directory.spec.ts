import { sql } from 'kysely';
import { BillerDirectory } from '../../src/domain/billers/biller-directory';
import { openTestDatabase } from '../support/database';

/**
 * The biller directory is read after a payment's posting has committed: a database that goes away
 * then (restart, failover) must not fail the payment for an endpoint the node already knows.
 */
it('answers known endpoints from the last good load while the database is away', async () => {
  const database = await openTestDatabase();
  let closed = false;
  try {
    const db = database.db;
    await sql`insert into bill_types (code, name) values ('ELECTRICITY', 'Electricity')`.execute(db);
    await sql`insert into biller_endpoints (id, biller_name, bill_type, url, timeout_ms)
              values ('dir-a', 'Directory A', 'ELECTRICITY', 'http://127.0.0.1:1/a', 1500)`.execute(db);
    const directory = new BillerDirectory(db, 0);
    expect(await directory.get('dir-a')).toMatchObject({
      id: 'dir-a',
      url: 'http://127.0.0.1:1/a',
      timeoutMs: 1500,
    });

    // Moved while the node runs: the next lookup after the refresh interval (0 here) sees it.
    await sql`update biller_endpoints set url = 'http://127.0.0.1:1/a2' where id = 'dir-a'`.execute(db);
    expect((await directory.get('dir-a'))?.url).toBe('http://127.0.0.1:1/a2');

    // The database goes away: the known endpoint is still answered, an unknown one is an error.
    await database.close();
    closed = true;
    expect((await directory.get('dir-a'))?.url).toBe('http://127.0.0.1:1/a2');
    expect((await directory.get('dir-a'))?.url).toBe('http://127.0.0.1:1/a2');
    await expect(directory.get('dir-unknown')).rejects.toThrow();
  } finally {
    if (!closed) await database.close();
    await database.dispose().catch(() => undefined);
  }
});
