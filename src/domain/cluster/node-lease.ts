import type { Db } from '../db';
import type { GatewayNodesRepository } from './gateway-nodes.repository';

export interface NodeLeaseOptions {
  /** How long a renewal keeps the node's in-flight work its own (10 s by default). */
  readonly leaseMs: number;
  /** Between renewals; a few per lease, so one slow or lost heartbeat does not lose it. */
  readonly heartbeatMs: number;
  readonly host: string;
  readonly pid: number;
  readonly onLapsed?: (error: Error | undefined) => void;
  readonly onRegained?: () => void;
  readonly now?: () => number;
}

/**
 * This node's lease on the requests it has in flight (issue 10, item 4). While the node lives it
 * renews the lease every heartbeat; once it dies the lease runs out and any other node's sweep may
 * answer its in-flight keys.
 *
 * A node recovers other nodes' keys only after it has held its own lease, renewed in time, for one
 * whole lease period: after a database outage every lease looks expired, and this gives every live
 * node the time to renew its own before anyone takes its work.
 */
export class NodeLease {
  private timer: NodeJS.Timeout | undefined;
  private renewing = false;
  /** When the node last renewed (its local clock, taken before the statement was sent). */
  private renewedAt: number | undefined;
  /** Start of the current unbroken run of timely renewals. */
  private heldSince: number | undefined;
  private readonly now: () => number;

  constructor(
    private readonly db: Db,
    private readonly nodes: GatewayNodesRepository,
    readonly nodeId: string,
    private readonly options: NodeLeaseOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  async start(): Promise<void> {
    const at = this.now();
    await this.nodes.register(
      this.db,
      { id: this.nodeId, host: this.options.host, pid: this.options.pid },
      this.options.leaseMs,
    );
    this.renewed(at);
    // Nodes gone for a week with nothing left in flight are of no further use to anyone.
    await this.nodes.purgeGone(this.db, 24 * 7);
    this.timer = setInterval(() => void this.renew(), this.options.heartbeatMs);
    this.timer.unref();
  }

  /** Whether the lease is still ours by our own reckoning (renewed less than a lease ago). */
  holds(): boolean {
    return this.renewedAt !== undefined && this.now() - this.renewedAt < this.options.leaseMs;
  }

  /** Whether this node may recover the in-flight keys of nodes whose lease ran out (see above). */
  mayRecoverDeadNodes(): boolean {
    return (
      this.holds() && this.heldSince !== undefined && this.now() - this.heldSince >= this.options.leaseMs
    );
  }

  async renew(): Promise<boolean> {
    if (this.renewing) return this.holds();
    this.renewing = true;
    const at = this.now();
    try {
      const ours = await this.nodes.renew(this.db, this.nodeId, this.options.leaseMs);
      if (!ours) {
        await this.nodes.register(
          this.db,
          { id: this.nodeId, host: this.options.host, pid: this.options.pid },
          this.options.leaseMs,
        );
      }
      this.renewed(at);
      return true;
    } catch (error) {
      if (!this.holds() && this.heldSince !== undefined) {
        this.heldSince = undefined;
        this.options.onLapsed?.(error instanceof Error ? error : undefined);
      }
      return false;
    } finally {
      this.renewing = false;
    }
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.nodes.release(this.db, this.nodeId);
  }

  private renewed(at: number): void {
    const lapsed = this.renewedAt === undefined || at - this.renewedAt >= this.options.leaseMs;
    if (lapsed) {
      if (this.renewedAt !== undefined) this.options.onRegained?.();
      this.heldSince = at;
    }
    this.renewedAt = at;
  }
}
