import type { Db, Executor } from '../db';

export interface LaneCidrAssignment {
  readonly partnerId: string;
  readonly laneId: string;
  readonly cidr: string;
}

/** CIDRs ops assign to a partner on a lane at run time, on top of the lane configuration. */
export class LaneCidrsRepository {
  constructor(private readonly db: Db) {}

  async list(db: Executor = this.db): Promise<LaneCidrAssignment[]> {
    const rows = await db
      .selectFrom('partner_lane_cidrs')
      .select(['partner_id', 'lane_id', 'cidr'])
      .orderBy('lane_id')
      .orderBy('partner_id')
      .orderBy('cidr')
      .execute();
    return rows.map((r) => ({ partnerId: r.partner_id, laneId: r.lane_id, cidr: r.cidr }));
  }

  async add(a: LaneCidrAssignment): Promise<void> {
    await this.db
      .insertInto('partner_lane_cidrs')
      .values({ partner_id: a.partnerId, lane_id: a.laneId, cidr: a.cidr })
      .onConflict((oc) => oc.columns(['partner_id', 'lane_id', 'cidr']).doNothing())
      .execute();
  }

  async remove(a: LaneCidrAssignment): Promise<number> {
    const r = await this.db
      .deleteFrom('partner_lane_cidrs')
      .where('partner_id', '=', a.partnerId)
      .where('lane_id', '=', a.laneId)
      .where('cidr', '=', a.cidr)
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
