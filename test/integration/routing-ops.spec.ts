import { sql } from 'kysely';
import { auditVerifyCommand } from '../../src/domain/routing/audit-cli';
import type { TestGateway } from '../support/gateway';
import { call } from '../support/http';
import {
  addAlternative,
  ops,
  pay,
  paymentRoute,
  ruleFor,
  type RuleBody,
  startRoutingGateway,
} from './routing-support';

/** The routing table as ops drive it over the API: validation, flips, audit, the trigger, CSV, scheduling. */
describe('routing rules over the ops API', () => {
  let gw: TestGateway;
  let alt: { biller: string; account: string };

  beforeAll(async () => {
    ({ gw, alt } = await startRoutingGateway('power'));
  });
  afterAll(async () => {
    await gw.stop();
  });

  it('needs an ops credential', async () => {
    expect((await call(gw.httpUrl, 'GET', '/ops/routing/rules')).status).toBe(401);
    const partner = await call(gw.httpUrl, 'GET', '/ops/routing/rules', { key: 'demo-key-demo-mfs' });
    expect(partner.status).toBe(403);
  });

  it('lists the seeded rules, each written by the demo seed with an audit entry', async () => {
    const res = await ops<{ items: RuleBody[] }>(gw, 'GET', '/ops/routing/rules');
    expect(res.status).toBe(200);
    const seeded = res.body.items.length;
    expect(seeded).toBeGreaterThan(10);
    const audit = await ops<{ items: { actor: string; action: string }[] }>(
      gw,
      'GET',
      '/ops/audit?limit=1000',
    );
    expect(
      audit.body.items.filter((e) => e.actor === 'system:demo-seed' && e.action === 'create'),
    ).toHaveLength(seeded);
  });

  it('pages the audit log: nextAfterSeq leads to the next page, the last page has none', async () => {
    type Page = {
      items: { seq: number; at: string; prevHash: string; hash: string }[];
      nextAfterSeq: number | null;
    };
    const all = (await ops<Page>(gw, 'GET', '/ops/audit?limit=1000')).body.items.map((e) => e.seq);
    expect(all.length).toBeGreaterThan(4);
    const first = await ops<Page>(gw, 'GET', '/ops/audit?limit=2');
    expect(first.body.items.map((e) => e.seq)).toEqual(all.slice(0, 2));
    expect(first.body.nextAfterSeq).toBe(all[1]);
    expect(first.body.items[0]).toMatchObject({ at: expect.stringMatching(/Z$/), hash: expect.any(String) });
    expect(first.body.items[1]?.prevHash).toBe(first.body.items[0]?.hash);
    const second = await ops<Page>(gw, 'GET', `/ops/audit?limit=2&afterSeq=${first.body.nextAfterSeq}`);
    expect(second.body.items.map((e) => e.seq)).toEqual(all.slice(2, 4));
    const last = await ops<Page>(gw, 'GET', `/ops/audit?afterSeq=${all.at(-2)}`);
    expect(last.body.items.map((e) => e.seq)).toEqual(all.slice(-1));
    expect(last.body.nextAfterSeq).toBeNull();
  });

  it('refuses a write without a reason, naming the field', async () => {
    const rule = await ruleFor(gw, 'WATER', 'demo-mfs');
    const res = await ops(gw, 'PATCH', `/ops/routing/rules/${rule.id}`, { body: { enabled: false } });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'reason' })]);
    const blank = await ops(gw, 'PATCH', `/ops/routing/rules/${rule.id}`, {
      body: { enabled: false, reason: '  ' },
    });
    expect(blank.status).toBe(400);
    const del = await ops(gw, 'DELETE', `/ops/routing/rules/${rule.id}`);
    expect(del.status).toBe(400);
    expect(del.body.errors).toEqual([expect.objectContaining({ field: 'reason' })]);
    expect((await ruleFor(gw, 'WATER', 'demo-mfs')).version).toBe(rule.version);
  });

  it('answers 404 for an unknown rule', async () => {
    const res = await ops(gw, 'PATCH', '/ops/routing/rules/00000000-0000-7000-8000-000000000000', {
      body: { enabled: false, reason: 'test' },
    });
    expect(res.status).toBe(404);
    expect((await ops(gw, 'GET', '/ops/routing/rules/not-a-uuid')).status).toBe(404);
  });

  it('validates references: biller, settlement account kind and currency, bill type of the biller', async () => {
    await addAlternative(gw, 'usd', 'ELECTRICITY', 'USD');
    const base = {
      billType: 'ELECTRICITY',
      payerType: 'mfs-user',
      partnerId: '*',
      reason: 'fallback route',
    };
    const unknown = await ops(gw, 'POST', '/ops/routing/rules', {
      body: { ...base, billerEndpoint: 'nope', settlementAccount: 'float:demo-mfs:BDT' },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'billerEndpoint' }),
        expect.objectContaining({
          field: 'settlementAccount',
          message: expect.stringMatching(/not a settlement account/),
        }),
      ]),
    );
    const currency = await ops(gw, 'POST', '/ops/routing/rules', {
      body: { ...base, billerEndpoint: alt.biller, settlementAccount: 'settlement:alt-usd:USD' },
    });
    expect(currency.status).toBe(400);
    expect(currency.body.errors).toEqual([
      expect.objectContaining({ field: 'settlementAccount', message: expect.stringMatching(/USD.*BDT/) }),
    ]);
    const wrongBill = await ops(gw, 'POST', '/ops/routing/rules', {
      body: { ...base, billerEndpoint: 'sim-water', settlementAccount: alt.account },
    });
    expect(wrongBill.status).toBe(400);
    expect(wrongBill.body.errors).toEqual([expect.objectContaining({ field: 'billerEndpoint' })]);
    const tupleChange = await ops(
      gw,
      'PATCH',
      `/ops/routing/rules/${(await ruleFor(gw, 'GAS', 'demo-mfs')).id}`,
      {
        body: { partnerId: 'demo-bank', reason: 'x' },
      },
    );
    expect(tupleChange.status).toBe(400);
    expect(tupleChange.body.errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ field: 'partnerId' })]),
    );
  });

  it('refuses a second enabled rule for a tuple with 409 naming the rule that holds it', async () => {
    const existing = await ruleFor(gw, 'ELECTRICITY', 'demo-mfs');
    const res = await ops(gw, 'POST', '/ops/routing/rules', {
      body: {
        billType: 'ELECTRICITY',
        payerType: 'mfs-user',
        partnerId: 'demo-mfs',
        billerEndpoint: alt.biller,
        settlementAccount: alt.account,
        reason: 'duplicate',
      },
    });
    expect(res.status).toBe(409);
    expect(res.body.conflictingRuleId).toBe(existing.id);
  });

  it('flips a rule: version bumps, the audit records who, why, before and after, payments follow at once', async () => {
    const rule = await ruleFor(gw, 'ELECTRICITY', 'demo-mfs');
    const before = await pay(gw);
    expect(before.status).toBe('APPROVED');
    expect((await paymentRoute(gw, before.id))?.ruleId).toBe(rule.id);

    // a stand-in rule, disabled, then the flip: disable the old, enable the new
    const created = await ops<RuleBody>(gw, 'POST', '/ops/routing/rules', {
      body: {
        billType: 'ELECTRICITY',
        payerType: 'mfs-user',
        partnerId: 'demo-mfs',
        billerEndpoint: alt.biller,
        settlementAccount: alt.account,
        enabled: false,
        reason: 'stand-by route for the outage runbook',
      },
    });
    expect(created.status).toBe(201);
    expect(created.headers.location).toBe(`/ops/routing/rules/${created.body.id}`);

    const off = await ops<RuleBody>(gw, 'PATCH', `/ops/routing/rules/${rule.id}`, {
      body: { enabled: false, reason: 'biller outage INC-42' },
    });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ enabled: false, version: rule.version + 1 });
    const none = await pay(gw);
    expect(none).toMatchObject({ status: 'DECLINED', reasonCode: 'NO_ROUTE' });

    const on = await ops<RuleBody>(gw, 'PATCH', `/ops/routing/rules/${created.body.id}`, {
      body: { enabled: true, reason: 'biller outage INC-42: stand-by route' },
      headers: { 'if-match': '"1"' },
    });
    expect(on.status).toBe(200);
    expect(on.headers.etag).toBe('"2"');
    const after = await pay(gw);
    expect(after.status).toBe('APPROVED');
    expect(await paymentRoute(gw, after.id)).toEqual({
      ruleId: created.body.id,
      version: 2,
      billerEndpoint: alt.biller,
      settlementAccount: alt.account,
    });
    // the earlier payment still explains the rule that routed it then
    expect((await paymentRoute(gw, before.id))?.ruleId).toBe(rule.id);

    const audit = await ops<{
      items: { actor: string; reason: string; before: RuleBody; after: RuleBody }[];
    }>(gw, 'GET', `/ops/audit?ruleId=${rule.id}`);
    const flip = audit.body.items.at(-1);
    expect(flip).toMatchObject({
      actor: 'ops-demo',
      reason: 'biller outage INC-42',
      before: { enabled: true, version: rule.version },
      after: { enabled: false, version: rule.version + 1 },
    });

    // stale If-Match → 412, stale expectedVersion → 409; nothing changes
    const stale = await ops(gw, 'PATCH', `/ops/routing/rules/${created.body.id}`, {
      body: { enabled: false, reason: 'late' },
      headers: { 'if-match': '"1"' },
    });
    expect(stale.status).toBe(412);
    const staleBody = await ops(gw, 'PATCH', `/ops/routing/rules/${created.body.id}`, {
      body: { enabled: false, reason: 'late', expectedVersion: 1 },
    });
    expect(staleBody.status).toBe(409);
    expect(staleBody.body.currentVersion).toBe(2);

    // flip back for the other tests
    await ops(gw, 'PATCH', `/ops/routing/rules/${created.body.id}`, {
      body: { enabled: false, reason: 'restore' },
    });
    await ops(gw, 'PATCH', `/ops/routing/rules/${rule.id}`, { body: { enabled: true, reason: 'restore' } });
    expect((await pay(gw)).status).toBe('APPROVED');
  });

  it('a `*` rule serves every partner without an exact rule, and its change reaches all their cached keys', async () => {
    // the bank's GAS rule goes; a `*` rule for bank customers takes over
    const bankGas = await ruleFor(gw, 'GAS', 'demo-bank', 'bank-customer');
    const gasAlt = await addAlternative(gw, 'gas', 'GAS');
    const wildcard = await ops<RuleBody>(gw, 'POST', '/ops/routing/rules', {
      body: {
        billType: 'GAS',
        payerType: 'bank-customer',
        partnerId: '*',
        billerEndpoint: gasAlt.biller,
        settlementAccount: gasAlt.account,
        reason: 'fallback for bank customers',
      },
    });
    expect(wildcard.status).toBe(201);
    const key = { billType: 'GAS', payerType: 'bank-customer' as const, partnerId: 'demo-bank' };
    expect((await gw.services.routes.resolve(key))?.ruleId).toBe(bankGas.id);
    const del = await ops(
      gw,
      'DELETE',
      `/ops/routing/rules/${bankGas.id}?reason=${encodeURIComponent('use the fallback')}`,
    );
    expect(del.status).toBe(200);
    expect((await gw.services.routes.resolve(key))?.ruleId).toBe(wildcard.body.id);
    // unknown partners (not in the partners table) still get the wildcard from SQL
    const other = await gw.services.routes.resolve({ ...key, partnerId: 'demo-mfs' });
    expect(other?.ruleId).toBe(wildcard.body.id);
    // repointing the wildcard is visible to the cached partner key at once
    const repoint = await ops<RuleBody>(gw, 'PATCH', `/ops/routing/rules/${wildcard.body.id}`, {
      body: {
        billerEndpoint: 'sim-gas',
        settlementAccount: 'settlement:GAS:BDT',
        reason: 'back to the main biller',
      },
    });
    expect(repoint.status).toBe(200);
    expect(await gw.services.routes.resolve(key)).toMatchObject({
      ruleId: wildcard.body.id,
      version: 2,
      billerEndpoint: { id: 'sim-gas' },
    });
  });

  it('the database refuses a rule change that does not come with an audit entry', async () => {
    const db = gw.services.database.db;
    const rule = await ruleFor(gw, 'WATER', 'demo-mfs');
    await expect(
      sql`update routing_rules set enabled = false where id = ${rule.id}`.execute(db),
    ).rejects.toThrow(/audited repository/);
    await expect(sql`delete from routing_rules where id = ${rule.id}`.execute(db)).rejects.toThrow(
      /audited repository/,
    );
    // the marker alone is not enough: at commit, the entry must be there
    await expect(
      db.transaction().execute(async (tx) => {
        await sql`select set_config('billgate.audit_actor', 'mallory', true)`.execute(tx);
        await sql`update routing_rules set enabled = false where id = ${rule.id}`.execute(tx);
      }),
    ).rejects.toThrow(/without an audit entry/);
    // and the log itself is append-only
    await expect(sql`update routing_audit set reason = 'x' where seq = 1`.execute(db)).rejects.toThrow(
      /append-only/,
    );
    expect((await ruleFor(gw, 'WATER', 'demo-mfs')).version).toBe(rule.version);
  });

  it('verify says intact; it finds an altered entry and a removed entry, naming where', async () => {
    const db = gw.services.database.db;
    const ok = await ops(gw, 'GET', '/ops/audit/verify');
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ intact: true });
    const checked = ok.body.checked as number;
    expect(checked).toBeGreaterThan(10);

    // someone with database access edits entry 5's reason behind the application's back
    await sql`alter table routing_audit disable trigger routing_audit_append_only`.execute(db);
    try {
      const original = await sql<{
        reason: string;
        after: unknown;
      }>`select reason, after from routing_audit where seq = 5`.execute(db);
      await sql`update routing_audit set reason = 'nothing to see' where seq = 5`.execute(db);
      const altered = await ops(gw, 'GET', '/ops/audit/verify');
      expect(altered.body).toMatchObject({ intact: false, firstBrokenAt: 5, problem: 'hash-mismatch' });

      await sql`update routing_audit set reason = ${original.rows[0]?.reason ?? ''} where seq = 5`.execute(
        db,
      );
      expect((await ops(gw, 'GET', '/ops/audit/verify')).body).toMatchObject({ intact: true });

      await sql`update routing_audit set after = jsonb_set(after, '{enabled}', 'false') where seq = 7`.execute(
        db,
      );
      expect((await ops(gw, 'GET', '/ops/audit/verify')).body).toMatchObject({
        intact: false,
        firstBrokenAt: 7,
        problem: 'hash-mismatch',
      });
      await sql`update routing_audit set after = jsonb_set(after, '{enabled}', 'true') where seq = 7`.execute(
        db,
      );

      await sql`delete from routing_audit where seq = 9`.execute(db);
      expect((await ops(gw, 'GET', '/ops/audit/verify')).body).toMatchObject({
        intact: false,
        firstBrokenAt: 9,
        problem: 'gap',
      });

      // the CLI says the same
      const out: string[] = [];
      const code = await auditVerifyCommand(db, { stdout: (l) => out.push(l), stderr: () => undefined });
      expect(code).toBe(1);
      expect(JSON.parse(out[0] ?? '{}')).toMatchObject({ intact: false, firstBrokenAt: 9, problem: 'gap' });
    } finally {
      await sql`alter table routing_audit enable trigger routing_audit_append_only`.execute(db);
    }
  });
});
