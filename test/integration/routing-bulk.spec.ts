import { sql } from 'kysely';
import type { TestGateway } from '../support/gateway';
import {
  addAlternative,
  ops,
  pay,
  paymentRoute,
  ruleFor,
  type PaymentAnswer,
  type RuleBody,
  startRoutingGateway,
} from './routing-support';

async function auditCount(gw: TestGateway): Promise<number> {
  const r = await sql<{ n: string }>`select count(*)::text as n from routing_audit`.execute(
    gw.services.database.db,
  );
  return Number(r.rows[0]?.n);
}

/** CSV export/import, scheduled changes, the dry run, and a flip in the middle of a payment stream. */
describe('routing in bulk and over time', () => {
  let gw: TestGateway;
  let alt: { biller: string; account: string };

  beforeAll(async () => {
    ({ gw, alt } = await startRoutingGateway('power'));
  });
  afterAll(async () => {
    await gw.stop();
  });

  it('exports the table as CSV and re-imports it unchanged', async () => {
    const res = await ops(gw, 'GET', '/ops/routing/rules.csv');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    const lines = res.text.trim().split(/\r?\n/);
    expect(lines[0]).toBe('id,billType,payerType,partnerId,billerEndpoint,settlementAccount,enabled,version');
    const n = (await ops<{ items: RuleBody[] }>(gw, 'GET', '/ops/routing/rules')).body.items.length;
    expect(n).toBeGreaterThan(10);
    expect(lines).toHaveLength(n + 1);
    const entries = await auditCount(gw);
    const again = await ops(gw, 'POST', '/ops/routing/rules.csv?reason=no-op%20round%20trip', {
      rawBody: res.text,
      headers: { 'content-type': 'text/csv' },
    });
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ rows: n, created: 0, updated: 0, unchanged: n });
    expect(await auditCount(gw)).toBe(entries);
  });

  it('an import with bad rows changes nothing and reports every bad row with its line', async () => {
    const exported = (await ops(gw, 'GET', '/ops/routing/rules.csv')).text.trim().split(/\r?\n/);
    const [header, ...rows] = exported;
    const elecMfs = rows.findIndex((r) => r.includes(',ELECTRICITY,mfs-user,demo-mfs,'));
    const edited = [...rows];
    // line elecMfs+2: a valid re-point; the new rules at the end: one good, one bad
    edited[elecMfs] = (edited[elecMfs] ?? '')
      .replace('sim-electricity', alt.biller)
      .replace('settlement:ELECTRICITY:BDT', alt.account);
    const csv = [
      header,
      ...edited,
      `,WATER,otc-agent,*,sim-water,settlement:WATER:BDT,true,`,
      `,WATER,otc-agent,demo-agents,no-such-biller,settlement:WATER:BDT,true,`,
      `,GAS,mfs-user,demo-mfs,sim-gas,settlement:GAS:BDT,maybe,`,
    ].join('\n');
    const before = await ops<{ items: RuleBody[] }>(gw, 'GET', '/ops/routing/rules');
    const entries = await auditCount(gw);
    const res = await ops<{ badRows: { line: number; field: string; message: string }[]; errors: unknown[] }>(
      gw,
      'POST',
      '/ops/routing/rules.csv',
      { rawBody: csv, headers: { 'content-type': 'text/csv', 'x-change-reason': 'bulk re-point' } },
    );
    expect(res.status).toBe(400);
    expect(res.body.badRows).toEqual([
      // header on line 1, the exported rules on lines 2..n+1, then the three new rows
      expect.objectContaining({ line: rows.length + 3, field: 'billerEndpoint' }),
      expect.objectContaining({ line: rows.length + 4, field: 'enabled' }),
    ]);
    expect((await ops<{ items: RuleBody[] }>(gw, 'GET', '/ops/routing/rules')).body).toEqual(before.body);
    expect(await auditCount(gw)).toBe(entries);

    // a duplicate enabled tuple within the file is a bad row too
    const dup = await ops<{ badRows: { line: number; message: string }[] }>(
      gw,
      'POST',
      '/ops/routing/rules.csv?reason=dup',
      {
        rawBody: [
          header,
          `,WATER,otc-agent,*,sim-water,settlement:WATER:BDT,true,`,
          `,WATER,otc-agent,*,sim-water,settlement:WATER:BDT,true,`,
        ].join('\n'),
        headers: { 'content-type': 'text/csv' },
      },
    );
    expect(dup.status).toBe(400);
    expect(dup.body.badRows).toEqual([
      expect.objectContaining({ line: 3, message: expect.stringMatching(/line 2/) }),
    ]);

    // without a reason: refused before anything is read
    const noReason = await ops(gw, 'POST', '/ops/routing/rules.csv', {
      rawBody: csv,
      headers: { 'content-type': 'text/csv' },
    });
    expect(noReason.status).toBe(400);
    expect(noReason.body.errors).toEqual([expect.objectContaining({ field: 'reason' })]);

    // the good rows alone go through, each rule with its audit entry
    const good = [header, ...edited, `,WATER,otc-agent,*,sim-water,settlement:WATER:BDT,false,`].join('\n');
    const ok = await ops(gw, 'POST', '/ops/routing/rules.csv?reason=bulk%20re-point', {
      rawBody: good,
      headers: { 'content-type': 'text/csv' },
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ rows: rows.length + 1, created: 1, updated: 1, unchanged: rows.length - 1 });
    expect(await auditCount(gw)).toBe(entries + 2);
    const payment = await pay(gw);
    expect((await paymentRoute(gw, payment.id))?.billerEndpoint).toBe(alt.biller);

    // exported at an old version: refused
    const stale = await ops<{ badRows: { field: string }[] }>(
      gw,
      'POST',
      '/ops/routing/rules.csv?reason=stale',
      {
        rawBody: [header, ...rows].join('\n'),
        headers: { 'content-type': 'text/csv' },
      },
    );
    expect(stale.status).toBe(400);
    expect(stale.body.badRows).toEqual([expect.objectContaining({ field: 'version' })]);
    // restore
    const rule = await ruleFor(gw, 'ELECTRICITY', 'demo-mfs');
    await ops(gw, 'PATCH', `/ops/routing/rules/${rule.id}`, {
      body: {
        billerEndpoint: 'sim-electricity',
        settlementAccount: 'settlement:ELECTRICITY:BDT',
        reason: 'restore',
      },
    });
  });

  it('a scheduled flip is applied exactly once, when due, with its audit entry written then', async () => {
    const rule = await ruleFor(gw, 'GAS', 'demo-mfs');
    const effectiveAt = new Date(Date.now() + 60 * 60_000);
    const res = await ops<{ scheduled: { id: string; state: string } }>(
      gw,
      'PATCH',
      `/ops/routing/rules/${rule.id}`,
      {
        body: {
          enabled: false,
          reason: 'planned biller maintenance at 14:00',
          effectiveAt: effectiveAt.toISOString(),
        },
      },
    );
    expect(res.status).toBe(202);
    expect(res.body.scheduled.state).toBe('pending');
    const entries = await auditCount(gw);

    // not yet due
    expect((await gw.services.routing.applyDueChanges()).applied).toHaveLength(0);
    expect((await ruleFor(gw, 'GAS', 'demo-mfs')).version).toBe(rule.version);

    // due: the job runs twice at once, and once more; one application
    const later = new Date(effectiveAt.getTime() + 1000);
    const runs = await Promise.all([
      gw.services.routing.applyDueChanges(later),
      gw.services.routing.applyDueChanges(later),
    ]);
    const third = await gw.services.routing.applyDueChanges(later);
    expect(runs.flatMap((r) => r.applied).map((s) => s.id)).toEqual([res.body.scheduled.id]);
    expect(third.applied).toHaveLength(0);
    expect(await auditCount(gw)).toBe(entries + 1);

    const after = await ops<RuleBody>(gw, 'GET', `/ops/routing/rules/${rule.id}`);
    expect(after.body).toMatchObject({ enabled: false, version: rule.version + 1 });
    const audit = await ops<{ items: { actor: string; reason: string; scheduledChangeId: string }[] }>(
      gw,
      'GET',
      `/ops/audit?ruleId=${rule.id}`,
    );
    expect(audit.body.items.at(-1)).toMatchObject({
      actor: 'ops-demo',
      reason: 'planned biller maintenance at 14:00',
      scheduledChangeId: res.body.scheduled.id,
    });
    expect(await pay(gw, 'GAS')).toMatchObject({ status: 'DECLINED', reasonCode: 'NO_ROUTE' });
    const listed = await ops<{ items: { id: string; state: string; auditSeq: number }[] }>(
      gw,
      'GET',
      '/ops/routing/scheduled',
    );
    expect(listed.body.items.find((s) => s.id === res.body.scheduled.id)).toMatchObject({ state: 'applied' });

    // a change that no longer applies fails visibly, without touching the table
    const bad = await ops<{ scheduled: { id: string } }>(gw, 'PATCH', `/ops/routing/rules/${rule.id}`, {
      body: {
        enabled: true,
        reason: 'maintenance over',
        expectedVersion: rule.version,
        effectiveAt: effectiveAt.toISOString(),
      },
    });
    expect(bad.status).toBe(202);
    const failed = await gw.services.routing.applyDueChanges(later);
    expect(failed.failed.map((s) => s.id)).toEqual([bad.body.scheduled.id]);
    expect(failed.failed[0]?.error).toMatch(/version/);

    // past effective times are refused; cancel works
    const past = await ops(gw, 'PATCH', `/ops/routing/rules/${rule.id}`, {
      body: { enabled: true, reason: 'x', effectiveAt: '2020-01-01T00:00:00Z' },
    });
    expect(past.status).toBe(400);
    const pending = await ops<{ scheduled: { id: string } }>(gw, 'PATCH', `/ops/routing/rules/${rule.id}`, {
      body: { enabled: true, reason: 'maintenance over', effectiveAt: effectiveAt.toISOString() },
    });
    const cancelled = await ops(gw, 'DELETE', `/ops/routing/scheduled/${pending.body.scheduled.id}`, {
      body: { reason: 'maintenance extended' },
    });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.state).toBe('cancelled');

    await ops(gw, 'PATCH', `/ops/routing/rules/${rule.id}`, { body: { enabled: true, reason: 'restore' } });
  });

  it("dry run: which of the last days' payments a change would have sent elsewhere, writing nothing", async () => {
    const rule = await ruleFor(gw, 'WATER', 'demo-mfs');
    const paid: PaymentAnswer[] = [];
    for (let i = 0; i < 3; i += 1) paid.push(await pay(gw, 'WATER'));
    const bankPayment = await pay(gw, 'WATER', 'demo-bank').catch(() => undefined);
    const waterAlt = await addAlternative(gw, 'water', 'WATER');
    const entries = await auditCount(gw);

    const res = await ops<{
      examined: number;
      changedCount: number;
      changed: { paymentId: string; from: unknown; to: unknown }[];
      summary: { from: string; to: string; payments: number }[];
    }>(gw, 'POST', '/ops/routing/dry-run', {
      body: { id: rule.id, billerEndpoint: waterAlt.biller, settlementAccount: waterAlt.account, days: 1 },
    });
    expect(res.status).toBe(200);
    expect(res.body.examined).toBeGreaterThanOrEqual(3);
    expect(res.body.changed.map((c) => c.paymentId).sort()).toEqual(
      expect.arrayContaining(paid.map((p) => p.id).sort()),
    );
    if (bankPayment !== undefined) {
      expect(res.body.changed.map((c) => c.paymentId)).not.toContain(bankPayment.id);
    }
    expect(res.body.changed[0]).toEqual(
      expect.objectContaining({
        from: { ruleId: rule.id, billerEndpoint: 'sim-water', settlementAccount: 'settlement:WATER:BDT' },
        to: { ruleId: rule.id, billerEndpoint: waterAlt.biller, settlementAccount: waterAlt.account },
      }),
    );
    expect(res.body.summary[0]).toMatchObject({
      from: 'sim-water / settlement:WATER:BDT',
      to: `${waterAlt.biller} / ${waterAlt.account}`,
    });

    // disabling: those payments would have found no route
    const off = await ops<{ changed: { to: unknown }[] }>(gw, 'POST', '/ops/routing/dry-run', {
      body: { id: rule.id, enabled: false },
    });
    expect(off.body.changed.every((c) => c.to === null)).toBe(true);
    // a new `*` rule changes nothing for a partner that has an exact rule
    const star = await ops<{ changedCount: number }>(gw, 'POST', '/ops/routing/dry-run', {
      body: {
        billType: 'WATER',
        payerType: 'mfs-user',
        partnerId: '*',
        billerEndpoint: waterAlt.biller,
        settlementAccount: waterAlt.account,
      },
    });
    expect(star.status).toBe(200);
    expect(star.body.changedCount).toBe(0);
    // invalid proposals are refused as the write would be
    const invalid = await ops(gw, 'POST', '/ops/routing/dry-run', {
      body: { id: rule.id, billerEndpoint: 'sim-gas' },
    });
    expect(invalid.status).toBe(400);

    expect(await auditCount(gw)).toBe(entries);
    expect((await ruleFor(gw, 'WATER', 'demo-mfs')).version).toBe(rule.version);
  });

  it('a flip during a stream of payments: every payment begun after the PATCH answered uses the new rule', async () => {
    const rule = await ruleFor(gw, 'ELECTRICITY', 'demo-mfs');
    const results: { startedAt: number; payment: PaymentAnswer }[] = [];
    let stop = false;
    const stream = (async () => {
      while (!stop) {
        const startedAt = performance.now();
        results.push({ startedAt, payment: await pay(gw) });
      }
    })();
    const stream2 = (async () => {
      while (!stop) {
        const startedAt = performance.now();
        results.push({ startedAt, payment: await pay(gw) });
      }
    })();
    await new Promise((r) => setTimeout(r, 300));
    const flip = await ops<RuleBody>(gw, 'PATCH', `/ops/routing/rules/${rule.id}`, {
      body: { billerEndpoint: alt.biller, settlementAccount: alt.account, reason: 'partner-side outage' },
    });
    const committedAt = performance.now();
    expect(flip.status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await Promise.all([stream, stream2]);

    const afterFlip = results.filter((r) => r.startedAt > committedAt);
    const beforeFlip = results.filter((r) => r.startedAt <= committedAt);
    expect(afterFlip.length).toBeGreaterThan(3);
    expect(beforeFlip.length).toBeGreaterThan(3);
    for (const r of afterFlip) {
      const route = await paymentRoute(gw, r.payment.id);
      expect(route).toEqual({
        ruleId: rule.id,
        version: rule.version + 1,
        billerEndpoint: alt.biller,
        settlementAccount: alt.account,
      });
    }
    await ops(gw, 'PATCH', `/ops/routing/rules/${rule.id}`, {
      body: {
        billerEndpoint: 'sim-electricity',
        settlementAccount: 'settlement:ELECTRICITY:BDT',
        reason: 'restore',
      },
    });
    expect((await ops(gw, 'GET', '/ops/audit/verify')).body).toMatchObject({ intact: true });
  });
});
