import { parseRulesCsv, rulesToCsv } from './rules-csv';
import type { RoutingRule } from './routing-rule';

const HEADER = 'id,billType,payerType,partnerId,billerEndpoint,settlementAccount,enabled,version';
const r: RoutingRule = {
  id: '01900000-0000-7000-8000-000000000001',
  billType: 'WATER',
  payerType: 'otc-agent',
  partnerId: '*',
  billerEndpoint: 'sim-water',
  settlementAccount: 'settlement:WATER:BDT',
  enabled: true,
  version: 3,
};

describe('routing rules CSV', () => {
  it('round-trips an export', () => {
    const csv = rulesToCsv([
      r,
      { ...r, id: '01900000-0000-7000-8000-000000000002', billerEndpoint: 'a,"b"', enabled: false },
    ]);
    const parsed = parseRulesCsv(csv);
    expect(parsed.errors).toEqual([]);
    expect(parsed.rows).toEqual([
      { line: 2, ...r },
      { line: 3, ...r, id: '01900000-0000-7000-8000-000000000002', billerEndpoint: 'a,"b"', enabled: false },
    ]);
  });

  it('reports every bad line with its number and field', () => {
    const csv = [
      HEADER,
      `,WATER,otc-agent,*,sim-water,settlement:WATER:BDT,true,`,
      `not-an-id,WATER,alien,*,sim-water,settlement:WATER:BDT,yes,0`,
      ``,
      `,WATER,otc-agent,*,,settlement:WATER:BDT,false`,
    ].join('\n');
    const parsed = parseRulesCsv(csv);
    expect(parsed.rows).toHaveLength(1);
    expect(parsed.errors).toEqual([
      { line: 3, field: 'id', message: 'not a rule id' },
      { line: 3, field: 'payerType', message: "unknown payer type 'alien'" },
      { line: 3, field: 'enabled', message: "must be 'true' or 'false'" },
      { line: 3, field: 'version', message: 'must be a positive integer' },
      { line: 5, field: '(row)', message: '7 fields where the header has 8' },
      { line: 5, field: 'billerEndpoint', message: 'is required' },
    ]);
  });

  it('names a bad header and malformed CSV', () => {
    expect(parseRulesCsv('id,billType\n').errors[0]).toMatchObject({ line: 1, field: '(header)' });
    expect(parseRulesCsv(`${HEADER}\n"unterminated,WATER\n`).errors[0]).toMatchObject({ field: '(csv)' });
    expect(parseRulesCsv('').errors[0]).toMatchObject({ field: '(header)' });
  });
});
