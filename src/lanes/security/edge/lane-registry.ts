import type { LaneCidrsRepository } from '../../../domain/partners/lane-cidrs.repository';
import type { Logger } from '../../../infrastructure/logging/logger';
import { LaneGuard, type LaneDefinition, type LanePartner } from '../../lane-config';
import { CidrAllowlist, parseCidr } from '../network/cidr';

export class LaneRegistryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LaneRegistryError';
  }
}

/**
 * The lanes' allowlists as they are now: the configuration's partners and CIDRs plus what ops have
 * assigned at run time (partner_lane_cidrs). Guards are compiled once per refresh and read
 * synchronously on every connection and request; a refresh runs after each change made on this
 * node and periodically, so other nodes catch up within the interval.
 */
export class LaneRegistry {
  private guards = new Map<string, LaneGuard>();
  private readonly ops = new Map<string, CidrAllowlist>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly lanes: readonly LaneDefinition[],
    private readonly assignments: LaneCidrsRepository | undefined,
    private readonly log?: Logger,
  ) {
    for (const lane of lanes) {
      this.guards.set(lane.id, new LaneGuard(lane));
      this.ops.set(lane.id, CidrAllowlist.compile([...(lane.opsCidrs ?? [])]));
    }
  }

  lane(id: string): LaneDefinition | undefined {
    return this.lanes.find((l) => l.id === id);
  }

  /** The current guard of a lane (configuration plus run-time assignments). */
  guard(laneId: string): LaneGuard | undefined {
    return this.guards.get(laneId);
  }

  /** Whether ops (not partners) may reach this lane's ops API from the address. */
  admitsOps(laneId: string, address: string | undefined): boolean {
    return this.ops.get(laneId)?.contains(address) ?? false;
  }

  hasAllowlist(partnerId: string): boolean {
    for (const g of this.guards.values()) {
      if (g.lane.partners.some((p) => p.partnerId === partnerId && p.cidrs.length > 0)) return true;
    }
    return false;
  }

  /** Every lane the partner is on, with its CIDRs. */
  assignmentsOf(partnerId: string): { laneId: string; kind: string; cidrs: readonly string[] }[] {
    const out: { laneId: string; kind: string; cidrs: readonly string[] }[] = [];
    for (const g of this.guards.values()) {
      const p = g.lane.partners.find((x) => x.partnerId === partnerId);
      if (p !== undefined) out.push({ laneId: g.lane.id, kind: g.lane.kind, cidrs: p.cidrs });
    }
    return out;
  }

  async assign(partnerId: string, laneId: string, cidrs: readonly string[]): Promise<void> {
    if (this.assignments === undefined)
      throw new LaneRegistryError('run-time lane assignments are not available');
    if (this.lane(laneId) === undefined) throw new LaneRegistryError(`no lane ${laneId}`);
    if (cidrs.length === 0) throw new LaneRegistryError('at least one CIDR is required');
    const normalised = cidrs.map((c) => {
      try {
        parseCidr(c);
      } catch (e: unknown) {
        throw new LaneRegistryError(
          `bad CIDR ${JSON.stringify(c)}: ${e instanceof Error ? e.message : String(e)}`,
        );
      }
      return c.trim();
    });
    for (const cidr of normalised) await this.assignments.add({ partnerId, laneId, cidr });
    await this.refresh();
  }

  async refresh(): Promise<void> {
    if (this.assignments === undefined) return;
    const rows = await this.assignments.list();
    const next = new Map<string, LaneGuard>();
    for (const lane of this.lanes) {
      const extra = rows.filter((r) => r.laneId === lane.id);
      if (extra.length === 0) {
        next.set(lane.id, new LaneGuard(lane));
        continue;
      }
      const partners = new Map<string, LanePartner>(lane.partners.map((p) => [p.partnerId, p]));
      for (const r of extra) {
        const p = partners.get(r.partnerId);
        partners.set(r.partnerId, {
          ...(p ?? {}),
          partnerId: r.partnerId,
          cidrs: [...new Set([...(p?.cidrs ?? []), r.cidr])],
        });
      }
      next.set(lane.id, new LaneGuard({ ...lane, partners: [...partners.values()] }));
    }
    this.guards = next;
  }

  start(intervalMs = 10_000): void {
    this.timer = setInterval(() => {
      this.refresh().catch((error: unknown) =>
        this.log?.warn({ err: error }, 'lane allowlist refresh failed'),
      );
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}
