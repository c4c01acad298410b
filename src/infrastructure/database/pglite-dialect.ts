import type { PGlite } from '@electric-sql/pglite';

export type PGliteInstance = PGlite;
import {
  type DatabaseConnection,
  type Driver,
  PGliteAdapter,
  PGliteDialect,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type Dialect,
  type DialectAdapter,
  type Kysely,
  type QueryCompiler,
  type DatabaseIntrospector,
  type TransactionSettings,
} from 'kysely';

/**
 * PGlite is one connection. Kysely's own PGlite driver hands that connection to every caller at
 * once, so two concurrent transactions would interleave their statements. This driver queues
 * callers: a connection is held exclusively from acquire to release, which is what a pool of one
 * would do on a real server.
 */
class SerialisingDriver implements Driver {
  private tail: Promise<void> = Promise.resolve();
  private release: (() => void) | undefined;

  constructor(private readonly inner: Driver) {}

  init(): Promise<void> {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    this.release = release;
    return this.inner.acquireConnection();
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.inner.beginTransaction(connection, settings);
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.commitTransaction(connection);
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.rollbackTransaction(connection);
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    await this.inner.releaseConnection(connection);
    const release = this.release;
    this.release = undefined;
    release?.();
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

export class SerialPGliteDialect implements Dialect {
  private readonly inner: PGliteDialect;

  constructor(pglite: PGlite) {
    this.inner = new PGliteDialect({ pglite });
  }

  createDriver(): Driver {
    return new SerialisingDriver(this.inner.createDriver());
  }

  createQueryCompiler(): QueryCompiler {
    return new PostgresQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return new PGliteAdapter();
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kysely's own signature
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new PostgresIntrospector(db);
  }
}
