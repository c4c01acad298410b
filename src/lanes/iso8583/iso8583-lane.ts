import type { X509Certificate } from 'node:crypto';
import type { PartnersRepository } from '../../domain/partners/partners.repository';
import type { BillTypeCatalog } from '../../domain/catalog/bill-types';
import type { Logger } from '../../infrastructure/logging/logger';
import type { Metrics } from '../../infrastructure/metrics/metrics';
import type { BillPayPipeline } from '../../pipeline/bill-pay.pipeline';
import type { ReversalService } from '../../pipeline/reversal.service';
import { resolveDialect } from '../../protocols/iso8583';
import { Iso8583Flows } from '../../protocols/iso8583/flows/iso8583-flows';
import { LaneGuard, type LaneDefinition } from '../lane-config';
import type { CertificateCheck } from '../security/edge/edge-security';
import { Iso8583TcpServer } from './iso8583-tcp.server';

export interface Iso8583LaneDeps {
  readonly pipeline: BillPayPipeline;
  readonly reversals: ReversalService;
  readonly partners: PartnersRepository;
  readonly billTypes: BillTypeCatalog;
  readonly cardTokenSecret: string;
  readonly metrics: Metrics;
  readonly log: Logger;
  /**
   * On a mutual-TLS lane: the edge's check of a client certificate (chain, validity, revocation,
   * registration) and the partner it is registered to.
   */
  readonly checkCertificate?: (cert: X509Certificate | undefined) => Promise<CertificateCheck>;
  /** The lane's TLS material when its mode is server or mutual (mutual: client certificates required). */
  readonly tls?:
    | { readonly key: string; readonly cert: string; readonly ca?: string; readonly requestCert?: boolean }
    | undefined;
}

/** Builds one ISO 8583 lane: its allowlist guard, its dialect's flows and its TCP transport. */
export function createIso8583Lane(lane: LaneDefinition, deps: Iso8583LaneDeps): Iso8583TcpServer {
  const settings = lane.iso8583;
  if (settings === undefined) throw new Error(`lane ${lane.id} has no iso8583 settings`);
  const guard = new LaneGuard(lane);
  const certificates =
    lane.tls === 'mutual' && deps.checkCertificate !== undefined
      ? new CertificatePartners(lane.id, deps.checkCertificate, deps.metrics, deps.log)
      : undefined;
  const flows = new Iso8583Flows({
    lane: { id: lane.id, ...(lane.payerTypes !== undefined ? { payerTypes: lane.payerTypes } : {}) },
    dialect: resolveDialect(settings.dialect),
    pipeline: deps.pipeline,
    reversals: deps.reversals,
    resolvePartner: async (peer, acquirer) => {
      const id = guard.partnerFor(peer.remoteAddress, acquirer);
      if (id === undefined) return undefined;
      if (certificates !== undefined && !(await certificates.belongsTo(peer.certificate, id)))
        return undefined;
      const partner = await deps.partners.findById(id);
      // Only live partners may pay: suspended ones and those still being onboarded are refused.
      return partner?.status === 'live' ? partner : undefined;
    },
    isKnownBillType: (code) => deps.billTypes.has(code),
    cardTokenSecret: deps.cardTokenSecret,
    log: deps.log,
  });
  return new Iso8583TcpServer(
    {
      laneId: lane.id,
      host: lane.listener.host,
      port: lane.listener.port,
      lengthHeader: settings.lengthHeader,
      tpdu: settings.tpdu,
      maxFrameSize: settings.maxFrameSize,
      incompleteFrameTimeoutMs: settings.incompleteFrameTimeoutMs,
      drainTimeoutMs: 10_000,
      ...(deps.tls !== undefined
        ? {
            tls: {
              key: deps.tls.key,
              cert: deps.tls.cert,
              ...(deps.tls.ca !== undefined ? { ca: deps.tls.ca } : {}),
              requestCert: deps.tls.requestCert === true,
            },
          }
        : {}),
      admit: (peer) => guard.admits(peer.remoteAddress),
      onRefused: (peer, reason) => {
        deps.metrics.edgeRefusals.inc({ lane: lane.id, reason });
        deps.log.warn({ lane: lane.id, peer: peer.remoteAddress, reason }, 'connection refused at the edge');
      },
    },
    (payload, peer) => flows.handle(payload, peer),
    deps.log,
  );
}

/** How long a certificate's check is trusted on a live connection: a revocation applies within this. */
const CERTIFICATE_RECHECK_MS = 5_000;

/**
 * On a mutual-TLS ISO 8583 lane, the handshake proves the certificate chains to a trusted CA; this
 * proves it is registered, still valid and not revoked, and belongs to the partner that the address
 * and field 32 name. One partner's certificate never pays as another. Checked again every few
 * seconds on a long-lived connection (the HTTP lane checks every request; a switch sends thousands).
 */
class CertificatePartners {
  private readonly checked = new WeakMap<X509Certificate, { at: number; check: CertificateCheck }>();

  constructor(
    private readonly laneId: string,
    private readonly checkCertificate: (cert: X509Certificate | undefined) => Promise<CertificateCheck>,
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {}

  async belongsTo(cert: X509Certificate | undefined, partnerId: string): Promise<boolean> {
    const check = await this.check(cert);
    const ok = check.ok && check.partner.id === partnerId;
    if (!ok) {
      const reason = check.ok ? 'CERTIFICATE_OF_ANOTHER_PARTNER' : check.reason;
      this.metrics.edgeRefusals.inc({ lane: this.laneId, reason });
      this.log.warn(
        { lane: this.laneId, partner: partnerId, reason, fingerprint: check.fingerprint },
        'client certificate does not entitle this partner; refused',
      );
    }
    return ok;
  }

  private async check(cert: X509Certificate | undefined): Promise<CertificateCheck> {
    if (cert === undefined) return this.checkCertificate(undefined);
    const now = Date.now();
    const hit = this.checked.get(cert);
    if (hit !== undefined && now - hit.at < CERTIFICATE_RECHECK_MS) return hit.check;
    const check = await this.checkCertificate(cert);
    this.checked.set(cert, { at: now, check });
    return check;
  }
}
