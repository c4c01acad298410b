import { LANE_COSTS, laneFit, parseLaneCosts, type LaneFitInput, type LaneTraffic } from './lane-fit';
import data from './lane-costs.json';

const window = { from: new Date('2026-11-01T00:00:00Z'), to: new Date('2026-12-01T00:00:00Z') };
const figures = (payments: number, peakPerMinute: number) => ({
  payments,
  peakPerMinute,
  peakAt: payments === 0 ? null : new Date('2026-11-20T09:31:00Z'),
});
const input = (lanes: LaneTraffic[], payments: number, peak: number): LaneFitInput => ({
  partnerId: 'p',
  window,
  total: figures(payments, peak),
  lanes,
});

describe('lane costs are data', () => {
  it('reads the shipped file: an MPLS port at 200.00 a month and 4–8 weeks, public mTLS free', () => {
    expect(LANE_COSTS.currency).toBe('USD');
    expect(LANE_COSTS.kinds.mpls).toMatchObject({
      monthlyCostMinor: 20000n,
      provisioningWeeks: { min: 4, max: 8 },
    });
    expect(LANE_COSTS.kinds['public-mtls'].monthlyCostMinor).toBe(0n);
  });

  it('refuses a file that leaves a kind out or misstates an amount, naming where', () => {
    const { ipsec: _gone, ...kinds } = data.kinds;
    expect(() => parseLaneCosts({ ...data, kinds })).toThrow(/kinds\.ipsec/);
    expect(() =>
      parseLaneCosts({
        ...data,
        kinds: { ...data.kinds, mpls: { ...data.kinds.mpls, monthlyCost: '200.001' } },
      }),
    ).toThrow(/mpls\.monthlyCost: more than 2 decimals/);
  });
});

describe('lane fit', () => {
  it('a small partner on an MPLS port is told to move down, with what it saves and why', () => {
    const fit = laneFit(input([{ laneId: 'mpls-a', kind: 'mpls', ...figures(3100, 4) }], 3100, 4));
    expect(fit.recommendation).toEqual({
      kind: 'public-mtls',
      action: 'move-down',
      monthlyCostChange: '-200.00',
      currency: 'USD',
      reason:
        '3,100 payments in the last 30 days, at most 4 in one minute: below what an MPLS port is worth ' +
        '(200,000 payments in 30 days or 600 in a minute); a public mTLS lane carries it for 0.00 USD/month ' +
        'instead of 200.00 (63.59 per 1000 payments today), ready in about a day',
    });
    expect(fit.options.find((o) => o.kind === 'mpls')).toMatchObject({
      monthlyCost: '200.00',
      worthIt: false,
      costPer1000Payments: '63.59',
    });
    expect(fit.window.days).toBe(30);
  });

  it('a partner that outgrew public mTLS is told to start provisioning, with the lead time', () => {
    const fit = laneFit(
      input([{ laneId: 'pub', kind: 'public-mtls', ...figures(420_000, 90) }], 420_000, 90),
    );
    expect(fit.recommendation).toMatchObject({
      kind: 'mpls',
      action: 'move-up',
      monthlyCostChange: '200.00',
    });
    expect(fit.recommendation.reason).toMatch(/start provisioning now, the MPLS port takes 4–8 weeks/);
  });

  it('a peak alone can justify a lane: 150 a minute is IPSec territory', () => {
    const fit = laneFit(input([{ laneId: 'pub', kind: 'public-mtls', ...figures(9000, 150) }], 9000, 150));
    expect(fit.recommendation).toMatchObject({
      kind: 'ipsec',
      action: 'move-up',
      monthlyCostChange: '40.00',
    });
  });

  it('keeps a lane that fits, and names what the next one up would take', () => {
    const fit = laneFit(input([{ laneId: 'vpn', kind: 'ipsec', ...figures(50_000, 40) }], 50_000, 40));
    expect(fit.recommendation.action).toBe('keep');
    expect(fit.recommendation.reason).toMatch(/its IPSec tunnel fits; an MPLS port is worth it from 200,000/);
  });

  it('a partner on no lane yet gets the lane to provision', () => {
    expect(laneFit(input([], 0, 0)).recommendation).toMatchObject({
      kind: 'public-mtls',
      action: 'provision',
    });
  });
});
