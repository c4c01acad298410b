import type { PayerType } from '../domain/reason-codes';
import { CidrAllowlist } from './security/network/cidr';

export type LaneKind = 'mpls' | 'ipsec' | 'public-mtls';
export type LaneProtocol = 'http' | 'iso8583';
export type TlsMode = 'off' | 'server' | 'mutual';

export interface LanePartner {
  readonly partnerId: string;
  /** Source addresses this partner may use on the lane. */
  readonly cidrs: readonly string[];
  /** Field 32 acquirer ids, where an ISO 8583 lane serves several acquirers. */
  readonly acquirers?: readonly string[];
}

export interface LaneDefinition {
  readonly id: string;
  readonly kind: LaneKind;
  readonly protocol: LaneProtocol;
  readonly listener: { readonly host: string; readonly port: number };
  readonly tls: TlsMode;
  readonly partners: readonly LanePartner[];
  /** Addresses from which the bank's ops may use the ops API on this lane (never on public-mtls). */
  readonly opsCidrs?: readonly string[];
  /** TLS material for server/mutual lanes; absent: the development PKI under CERTS_DIR. */
  readonly tlsFiles?: { readonly cert: string; readonly key: string; readonly ca?: string };
  /** Payer types carried on this lane; absent means the partners' schedules alone decide. */
  readonly payerTypes?: readonly PayerType[];
  readonly iso8583?: {
    readonly dialect: string;
    readonly lengthHeader: 'binary2' | 'ascii4';
    readonly tpdu: boolean;
    readonly maxFrameSize: number;
    readonly incompleteFrameTimeoutMs: number;
  };
}

/**
 * A lane's allowlist, compiled once: who may connect from where, checked before any byte is parsed,
 * and which partner a connection or request belongs to.
 */
export class LaneGuard {
  private readonly any: CidrAllowlist;
  private readonly perPartner: { readonly partner: LanePartner; readonly allow: CidrAllowlist }[];

  constructor(readonly lane: LaneDefinition) {
    this.any = CidrAllowlist.compile(lane.partners.flatMap((p) => [...p.cidrs]));
    this.perPartner = lane.partners.map((partner) => ({
      partner,
      allow: CidrAllowlist.compile([...partner.cidrs]),
    }));
  }

  admits(address: string | undefined): boolean {
    return this.any.contains(address);
  }

  /** Partners assigned to this lane whose CIDRs include the address. */
  partnersAt(address: string | undefined): LanePartner[] {
    return this.perPartner.filter((p) => p.allow.contains(address)).map((p) => p.partner);
  }

  /** The partner for an ISO 8583 message: the address must fit, and field 32 picks among several. */
  partnerFor(address: string | undefined, acquirer: string | undefined): string | undefined {
    const candidates = this.partnersAt(address);
    if (acquirer !== undefined) {
      const byAcquirer = candidates.find((p) =>
        p.acquirers?.some((a) => a.replace(/^0+(?=.)/, '') === acquirer),
      );
      if (byAcquirer !== undefined) return byAcquirer.partnerId;
      const only = candidates.length === 1 ? candidates[0] : undefined;
      return only !== undefined && only.acquirers === undefined ? only.partnerId : undefined;
    }
    return candidates.length === 1 ? candidates[0]?.partnerId : undefined;
  }

  allowsPartnerAt(partnerId: string, address: string | undefined): boolean {
    return this.perPartner.some((p) => p.partner.partnerId === partnerId && p.allow.contains(address));
  }
}

const LOOPBACK = ['127.0.0.1/32', '::1/128'];

/** The lanes of the embedded default: plain HTTP and ISO 8583 on loopback for the demo partners. */
export function demoLanes(
  ports: { http: number; iso8583: number; mtls: number },
  host = '127.0.0.1',
): LaneDefinition[] {
  return [
    {
      id: 'http-plain',
      kind: 'mpls',
      protocol: 'http',
      listener: { host, port: ports.http },
      tls: 'off',
      partners: ['demo-bank', 'demo-mfs', 'demo-aggregator', 'demo-card', 'demo-agents'].map((partnerId) => ({
        partnerId,
        cidrs: LOOPBACK,
      })),
      // The demo's ops (the dashboard on this machine) share loopback with its partners.
      opsCidrs: LOOPBACK,
    },
    {
      id: 'iso8583-demo',
      kind: 'mpls',
      protocol: 'iso8583',
      listener: { host, port: ports.iso8583 },
      tls: 'off',
      partners: [
        { partnerId: 'demo-mfs', cidrs: LOOPBACK, acquirers: ['470001'] },
        { partnerId: 'demo-card', cidrs: LOOPBACK, acquirers: ['470002'] },
        { partnerId: 'demo-bank', cidrs: LOOPBACK, acquirers: ['470003'] },
      ],
      iso8583: {
        dialect: 'ascii87',
        lengthHeader: 'binary2',
        tpdu: false,
        maxFrameSize: 8192,
        incompleteFrameTimeoutMs: 10_000,
      },
    },
    {
      id: 'public-mtls',
      kind: 'public-mtls',
      protocol: 'http',
      listener: { host, port: ports.mtls },
      tls: 'mutual',
      partners: DEMO_MTLS_PARTNERS.map((partnerId) => ({ partnerId, cidrs: LOOPBACK })),
    },
  ];
}

/** Demo partners on the public mTLS lane: they get a development client certificate. */
export const DEMO_MTLS_PARTNERS: readonly string[] = ['demo-fintech'];
