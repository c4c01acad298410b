import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { call } from '../support/http';
import { startTestGateway, createTestDatabase, usingRealServers, type TestGateway } from '../support/gateway';
import { pay, payBody } from '../support/payments';
import { TcpProxy } from '../support/tcp-proxy';

/**
 * Issue 10, item 1: a PostgreSQL restart under load killed every node (an 'error' event on a
 * checked-out pg client with no listener). Here the gateway reaches its own database through a
 * loopback proxy, under load: its server connections are terminated (pg_terminate_backend, the
 * 57P01 of a restart), cut at the network, and refused for seconds. The node must keep serving,
 * say not-ready while the database is away and ready again when it returns, and every payment it
 * acknowledged must be in the database exactly once.
 */
const realOnly = usingRealServers ? describe : describe.skip;

realOnly('a node that loses its PostgreSQL under load', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let proxy: TcpProxy;
  let gw: TestGateway;
  let admin: pg.Client;
  let direct: pg.Client;
  let databaseName: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    const url = new URL(database.url!);
    databaseName = url.pathname.slice(1);
    proxy = new TcpProxy(url.hostname, Number(url.port));
    await proxy.start();
    const viaProxy = new URL(url);
    viaProxy.port = String(proxy.port);
    gw = await startTestGateway({ DATABASE_POOL_SIZE: '8' }, { database: { url: viaProxy.toString() } });
    admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    // Straight to the gateway's database, past the proxy: what is really stored while the node is cut off.
    direct = new pg.Client({ connectionString: database.url, application_name: 'spec-direct' });
    await direct.connect();
  });
  afterAll(async () => {
    await gw?.stop();
    await admin?.end();
    await direct?.end();
    await proxy?.stop();
    await database?.drop();
  });

  /** Closed-loop load from several clients; each answer's status and the payment it names. */
  function load(clients: number, untilMs: () => boolean) {
    const answers: { status: number; id?: string; key: string }[] = [];
    const client = async (): Promise<void> => {
      while (!untilMs()) {
        const key = randomUUID();
        // A request the gateway never answered (socket reset) counts as status 0.
        const res = await pay(gw.httpUrl, payBody({ amount: '10.00' }), { idempotencyKey: key }).catch(
          () => undefined,
        );
        const id = res?.body.id;
        answers.push({ status: res?.status ?? 0, key, id: typeof id === 'string' ? id : undefined });
      }
    };
    return { answers, done: Promise.all(Array.from({ length: clients }, client)) };
  }

  async function ready(): Promise<number> {
    return (await call(gw.httpUrl, 'GET', '/health/ready')).status;
  }

  async function until(what: () => Promise<boolean>, withinMs: number): Promise<number> {
    const started = Date.now();
    while (Date.now() - started < withinMs) {
      if (await what()) return Date.now() - started;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`not within ${withinMs} ms`);
  }

  async function assertAcknowledgedPostedOnce(answers: { status: number; id?: string }[]): Promise<void> {
    const acknowledged = answers.filter((a) => a.status === 201 && a.id !== undefined).map((a) => a.id!);
    expect(acknowledged.length).toBeGreaterThan(0);
    const db = gw.services.database.db;
    const found = await db
      .selectFrom('payments')
      .select(['id', 'status'])
      .where('id', 'in', acknowledged)
      .execute();
    expect(found).toHaveLength(acknowledged.length);
    expect(new Set(found.map((f) => f.status))).toEqual(new Set(['APPROVED']));
    const journals = await db
      .selectFrom('journal_entries')
      .select(['payment_id', db.fn.countAll<string>().as('n')])
      .where('payment_id', 'in', acknowledged)
      .where('kind', '=', 'payment')
      .groupBy('payment_id')
      .execute();
    expect(journals).toHaveLength(acknowledged.length);
    expect(journals.every((j) => String(j.n) === '1')).toBe(true);
  }

  it('keeps serving through pg_terminate_backend of all its connections, three times', async () => {
    let stop = false;
    const { answers, done } = load(8, () => stop);
    await new Promise((r) => setTimeout(r, 700));
    for (let i = 0; i < 3; i++) {
      const { rowCount } = await admin.query(
        `select pg_terminate_backend(pid) from pg_stat_activity
          where datname = $1 and pid <> pg_backend_pid() and application_name <> 'spec-direct'`,
        [databaseName],
      );
      expect(rowCount).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 700));
    }
    stop = true;
    await done;

    // Still the same process, still serving, and payments after the faults go through.
    expect(await ready()).toBe(200);
    const after = await pay(gw.httpUrl, payBody({ amount: '10.00' }));
    expect(after.status).toBe(201);
    expect(after.body).toMatchObject({ status: 'APPROVED' });
    await assertAcknowledgedPostedOnce(answers);
    // Most of the load was served; the requests caught mid-statement may fail, never the node.
    expect(answers.filter((a) => a.status === 201).length).toBeGreaterThan(answers.length / 2);
    expect(answers.filter((a) => a.status === 0)).toHaveLength(0);
  });

  it('goes not-ready while the database is unreachable, and ready again without a restart', async () => {
    let stop = false;
    const { answers, done } = load(4, () => stop);
    await new Promise((r) => setTimeout(r, 500));
    proxy.refuse();
    const notReadyAfter = await until(async () => (await ready()) === 503, 5_000);
    expect(notReadyAfter).toBeLessThan(3_000);
    const down = await call<{ checks: { database: { status: string } } }>(gw.httpUrl, 'GET', '/health/ready');
    expect(down.body.checks.database.status).toBe('down');
    await new Promise((r) => setTimeout(r, 1_500));
    proxy.acceptAgain();
    const readyAfter = await until(async () => (await ready()) === 200, 10_000);
    expect(readyAfter).toBeLessThan(6_000);
    await new Promise((r) => setTimeout(r, 500));
    stop = true;
    await done;

    const after = await pay(gw.httpUrl, payBody({ amount: '10.00' }));
    expect(after.status).toBe(201);
    await assertAcknowledgedPostedOnce(answers);
    expect(answers.filter((a) => a.status === 0)).toHaveLength(0);
  });

  /** Cuts the database away once the payment is posted and the biller is being asked. */
  async function cutWhenPosted(partnerReference: string): Promise<void> {
    for (;;) {
      const { rows } = await direct.query<{ status: string }>(
        'select status from payments where partner_reference = $1',
        [partnerReference],
      );
      if (rows[0]?.status === 'POSTED') break;
      await new Promise((r) => setTimeout(r, 5));
    }
    proxy.refuse();
  }

  async function postings(partnerReference: string): Promise<{ status: string; journals: number }[]> {
    const { rows } = await direct.query<{ status: string; journals: string }>(
      `select p.status, (select count(*) from journal_entries j where j.payment_id = p.id)::text as journals
         from payments p where p.partner_reference = $1`,
      [partnerReference],
    );
    return rows.map((r) => ({ status: r.status, journals: Number(r.journals) }));
  }

  async function floatBalance(): Promise<bigint> {
    const { rows } = await direct.query<{ balance: string }>(
      `select balance::text from ledger_accounts where id = 'float:demo-mfs:BDT'`,
    );
    return BigInt(rows[0]!.balance);
  }

  it('waits out a short outage after the posting and answers the real outcome', async () => {
    const ref = `short-outage-${randomUUID().slice(0, 8)}`;
    const before = await floatBalance();
    const answer = pay(
      gw.httpUrl,
      payBody({ amount: '7.00', billReference: 'SLOW-1', partnerReference: ref }),
    );
    await cutWhenPosted(ref);
    await new Promise((r) => setTimeout(r, 1_000));
    proxy.acceptAgain();
    const res = await answer;
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'APPROVED' });
    expect(await postings(ref)).toEqual([{ status: 'APPROVED', journals: 1 }]);
    expect(before - (await floatBalance())).toBe(700n);
  });

  it('a 500 after the posting: a retry with the same key gets the real outcome, never a second debit', async () => {
    const ref = `long-outage-${randomUUID().slice(0, 8)}`;
    const key = randomUUID();
    const body = payBody({ amount: '9.00', billReference: 'SLOW-2', partnerReference: ref });
    const before = await floatBalance();
    const answer = pay(gw.httpUrl, body, { idempotencyKey: key });
    await cutWhenPosted(ref);
    const first = await answer;
    expect(first.status).toBe(500);
    expect(first.body).toMatchObject({ type: expect.stringContaining('internal-error') });
    expect(String(first.body.detail)).toContain('same Idempotency-Key');
    // Retried while the database is still away: another 500, nothing new.
    expect((await pay(gw.httpUrl, body, { idempotencyKey: key })).status).toBe(500);
    proxy.acceptAgain();

    // Until the held outcome lands a retry hears "in flight"; then the outcome itself, replayed.
    const answers: number[] = [];
    let last: Awaited<ReturnType<typeof pay>> | undefined;
    await until(async () => {
      last = await pay(gw.httpUrl, body, { idempotencyKey: key });
      answers.push(last.status);
      return last.status === 201;
    }, 30_000).catch((error: unknown) => {
      throw new Error(`${String(error)}; answers: ${answers.join(' ')}`);
    });
    expect(answers.every((s) => s === 201 || s === 409 || s === 500)).toBe(true);
    expect(last?.body).toMatchObject({ status: 'APPROVED' });
    expect(last?.headers['idempotent-replayed']).toBe('true');
    expect(await postings(ref)).toEqual([{ status: 'APPROVED', journals: 1 }]);
    expect(before - (await floatBalance())).toBe(900n);
  });

  it('a node started while its database is unreachable waits for it instead of exiting', async () => {
    const url = new URL(database.url!);
    const late = new TcpProxy(url.hostname, Number(url.port));
    await late.start();
    late.refuse();
    const viaLate = new URL(url);
    viaLate.port = String(late.port);
    const starting = startTestGateway({}, { database: { url: viaLate.toString() } });
    await new Promise((r) => setTimeout(r, 1_500));
    late.acceptAgain();
    const second = await starting;
    try {
      expect((await call(second.httpUrl, 'GET', '/health/ready')).status).toBe(200);
    } finally {
      await second.stop();
      await late.stop();
    }
  });
});
