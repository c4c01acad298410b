import type { GatewayServices } from '../gateway-services';
import {
  laneFit,
  LANE_KINDS,
  type LaneFit,
  type LaneKind,
  type LaneTraffic,
} from '../../domain/lane-fit/lane-fit';
import { partnerTraffic } from '../../domain/lane-fit/lane-traffic';

/** Lane fit looks at the partner's last 30 days. */
export const LANE_FIT_WINDOW_DAYS = 30;

const asKind = (kind: string | undefined): LaneKind | 'unknown' =>
  (LANE_KINDS as readonly string[]).includes(kind ?? '') ? (kind as LaneKind) : 'unknown';

/**
 * The partner's last 30 days on every lane it is on (or sent payments over), against lane costs:
 * what the ops API (GET /ops/partners/{id}/lane-fit) and the dashboard's partners page both show.
 */
export async function partnerLaneFit(s: GatewayServices, partnerId: string): Promise<LaneFit> {
  const to = s.edge.clock.now();
  const from = new Date(to.getTime() - LANE_FIT_WINDOW_DAYS * 86_400_000);
  const traffic = await partnerTraffic(s.database.db, partnerId, from, to);
  const registry = s.edge.lanes;
  const laneIds = new Set([
    ...registry.assignmentsOf(partnerId).map((a) => a.laneId),
    ...traffic.lanes.keys(),
  ]);
  const none = { payments: 0, peakPerMinute: 0, peakAt: null };
  const lanes: LaneTraffic[] = [...laneIds].sort().map((laneId) => ({
    laneId,
    kind: asKind(registry.lane(laneId)?.kind),
    ...(traffic.lanes.get(laneId) ?? none),
  }));
  return laneFit({ partnerId, window: { from, to }, total: traffic.total, lanes });
}
