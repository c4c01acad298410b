import { CidrAllowlist } from '../../security/network/cidr';
import { dashboardAllowed } from './dashboard-guard';

const ops = CidrAllowlist.compile(['10.20.0.0/16']);
const admitsOps = (laneId: string, address: string | undefined) =>
  laneId === 'mpls-ops' && ops.contains(address);

describe('who may reach the ops dashboard', () => {
  const mpls = { id: 'mpls-ops', kind: 'mpls', tls: 'off' } as const;

  it('on a lane: only the lane’s ops addresses', () => {
    expect(dashboardAllowed(mpls, admitsOps, '10.20.3.4')).toBe(true);
    expect(dashboardAllowed(mpls, admitsOps, '::ffff:10.20.3.4')).toBe(true);
    expect(dashboardAllowed(mpls, admitsOps, '10.30.0.1')).toBe(false);
    expect(dashboardAllowed(mpls, admitsOps, undefined)).toBe(false);
  });

  it('a lane without ops addresses serves it to nobody, and the public lane never does', () => {
    expect(
      dashboardAllowed({ id: 'partners-only', kind: 'ipsec', tls: 'server' }, admitsOps, '10.20.3.4'),
    ).toBe(false);
    expect(
      dashboardAllowed({ id: 'mpls-ops', kind: 'public-mtls', tls: 'mutual' }, () => true, '10.20.3.4'),
    ).toBe(false);
  });

  it('a gateway without lanes serves it on loopback only', () => {
    expect(dashboardAllowed(undefined, admitsOps, '127.0.0.1')).toBe(true);
    expect(dashboardAllowed(undefined, admitsOps, '::1')).toBe(true);
    expect(dashboardAllowed(undefined, admitsOps, '::ffff:127.0.0.1')).toBe(true);
    expect(dashboardAllowed(undefined, admitsOps, '10.20.3.4')).toBe(false);
  });
});
