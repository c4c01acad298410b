import type { FastifyInstance } from 'fastify';
import type { GatewayServices } from '../../gateway-services';
import { problem } from '../../../protocols/rest/problem';
import type { LaneDefinition } from '../../lane-config';
import { CidrAllowlist } from '../../security/network/cidr';
import { remoteAddress } from '../edge-guard';
import { sendProblem } from '../problem.filter';

const LOOPBACK = CidrAllowlist.compile(['127.0.0.0/8', '::1/128']);

/**
 * Who may reach the dashboard on a listener. On a lane: only addresses in the lane's `opsCidrs`
 * (a lane without them serves no dashboard, and the public mutual-TLS lane never has them), so a
 * partner's address admitted to the lane for payments never sees the ops sign-in. A gateway without
 * lanes (no configuration, no demo data) has no allowlist to go by: loopback only.
 */
export function dashboardAllowed(
  lane: Pick<LaneDefinition, 'id' | 'kind' | 'tls'> | undefined,
  admitsOps: (laneId: string, address: string | undefined) => boolean,
  address: string | undefined,
): boolean {
  if (lane === undefined) return LOOPBACK.contains(address);
  if (lane.kind === 'public-mtls' || lane.tls === 'mutual') return false;
  return admitsOps(lane.id, address);
}

function isDashboardRoute(url: string | undefined): boolean {
  return url === '/dashboard' || (url?.startsWith('/dashboard/') ?? false);
}

/**
 * Refuses every dashboard route (pages, assets, sign-in, the live feed, changes) to an address the
 * lane does not allow ops from, before any of it runs. Matched on the route, not the raw URL, so no
 * spelling of the path gets around it.
 */
export function installDashboardGuard(
  fastify: FastifyInstance,
  services: GatewayServices,
  lane: LaneDefinition | undefined,
): void {
  fastify.addHook('onRequest', async (req, reply) => {
    if (!isDashboardRoute(req.routeOptions.url)) return;
    const address = remoteAddress(req);
    if (dashboardAllowed(lane, (id, a) => services.edge.lanes.admitsOps(id, a), address)) return;
    services.metrics.edgeRefusals.inc({ lane: lane?.id ?? 'http', reason: 'dashboard-address' });
    return sendProblem(
      reply,
      problem(
        403,
        'dashboard-not-allowed-here',
        'The ops dashboard is not served to this address on this lane',
        {
          detail: 'ops reach it from the addresses in the lane’s opsCidrs',
        },
      ).problem,
    );
  });
}
