import { applyInMemory, evaluateRoute, reroute } from './route-table';
import type { RoutingRule } from './routing-rule';

const rule = (over: Partial<RoutingRule>): RoutingRule => ({
  id: 'r',
  billType: 'ELECTRICITY',
  payerType: 'mfs-user',
  partnerId: 'p1',
  billerEndpoint: 'b1',
  settlementAccount: 's1',
  enabled: true,
  version: 1,
  ...over,
});

describe('the routing table in memory', () => {
  const exact = rule({ id: 'exact' });
  const star = rule({ id: 'star', partnerId: '*', billerEndpoint: 'b2' });
  const key = { billType: 'ELECTRICITY', payerType: 'mfs-user' as const, partnerId: 'p1' };

  it('the exact tuple wins over `*`, `*` serves the rest, disabled rules do not route', () => {
    expect(evaluateRoute([star, exact], key)?.id).toBe('exact');
    expect(evaluateRoute([star, exact], { ...key, partnerId: 'p2' })?.id).toBe('star');
    expect(evaluateRoute([star, { ...exact, enabled: false }], key)?.id).toBe('star');
    expect(evaluateRoute([exact], { ...key, payerType: 'bank-customer' })).toBeUndefined();
  });

  it('applies a proposed change without touching the input', () => {
    const table = [exact, star];
    const flipped = applyInMemory(table, { action: 'update', id: 'exact', patch: { enabled: false } });
    expect(flipped?.touched).toMatchObject({ id: 'exact', enabled: false, version: 2 });
    expect(table[0]?.enabled).toBe(true);
    expect(applyInMemory(table, { action: 'delete', id: 'nope' })).toBeUndefined();
    expect(applyInMemory(table, { action: 'delete', id: 'star' })?.rules).toEqual([exact]);
  });

  it('tells a changed destination from a changed rule with the same destination', () => {
    const from = { ruleId: 'exact', billerEndpoint: 'b1', settlementAccount: 's1' };
    const past = { billType: 'ELECTRICITY', payerType: 'mfs-user', partnerId: 'p1', route: from };
    expect(reroute([exact], past)).toEqual({ kind: 'same' });
    expect(reroute([star], past)).toMatchObject({
      kind: 'changed',
      to: { ruleId: 'star', billerEndpoint: 'b2' },
    });
    expect(reroute([rule({ id: 'other' })], past)).toMatchObject({ kind: 'other-rule' });
    expect(reroute([], past)).toEqual({ kind: 'changed', to: null });
    expect(reroute([], { ...past, route: null })).toEqual({ kind: 'same' });
  });
});
