import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayServices } from '../gateway-services';
import type { Partner, Principal } from '../../domain/partners/partner';
import { problem } from '../../protocols/rest/problem';
import { sendProblem } from './problem.filter';
import type { LaneDefinition } from '../lane-config';
import type { CertificateCheck } from '../security/edge/edge-security';
import { bearerToken } from '../security/tokens/access-token';

/**
 * The edge of an HTTP lane, in the order a request meets it:
 *  1. connection: on TLS lanes, a source address no partner (nor ops) may use on the lane is closed
 *     before the handshake; on plain lanes the request gets 403 before its body is read;
 *  2. mutual TLS: Node has verified the chain at the handshake; each request re-checks validity by
 *     our clock, revocation, and registration to a partner, and that partner's CIDRs on the lane;
 *  3. authentication (auth.guard.ts): on mutual-TLS lanes a certificate-bound JWT, elsewhere an API
 *     key whose partner must be assigned to this lane from this address; suspended partners nowhere.
 */

export interface EdgeContext {
  readonly laneId: string;
  readonly mutualTls: boolean;
  readonly certificate?: { readonly partner: Partner; readonly fingerprint: string };
}

declare module 'fastify' {
  interface FastifyRequest {
    edge?: EdgeContext;
  }
}

const CERT_REFUSALS: Record<Exclude<CertificateCheck, { ok: true }>['reason'], [string, string]> = {
  NO_CERTIFICATE: ['client-certificate-required', 'A client certificate is required on this lane'],
  UNTRUSTED: ['client-certificate-untrusted', 'The client certificate is not from a trusted CA'],
  EXPIRED: ['client-certificate-expired', 'The client certificate has expired'],
  NOT_YET_VALID: ['client-certificate-not-yet-valid', 'The client certificate is not valid yet'],
  REVOKED: ['client-certificate-revoked', 'The client certificate has been revoked'],
  UNREGISTERED: ['client-certificate-unregistered', 'The client certificate is not registered to a partner'],
  ROTATED_OUT: [
    'client-certificate-rotated-out',
    'The client certificate was replaced and its notice has ended',
  ],
};

/** A 403 refusal at the edge, in the shape every HTTP lane answers with. */
function refuse(reply: FastifyReply, slug: string, title: string): FastifyReply {
  return sendProblem(reply, problem(403, slug, title).problem);
}

export function remoteAddress(req: FastifyRequest): string | undefined {
  return req.raw.socket.remoteAddress;
}

/** Installs the edge of one lane on its Fastify instance. */
export function installEdgeGuard(
  fastify: FastifyInstance,
  services: GatewayServices,
  lane: LaneDefinition,
): void {
  const edge = services.edge;
  const laneContext = {
    id: lane.id,
    ...(lane.payerTypes !== undefined ? { payerTypes: lane.payerTypes } : {}),
  };
  const mutualTls = lane.tls === 'mutual';
  const count = (reason: string) => services.metrics.edgeRefusals.inc({ lane: lane.id, reason });
  const admitted = (address: string | undefined): boolean =>
    (edge.lanes.guard(lane.id)?.admits(address) ?? false) || edge.lanes.admitsOps(lane.id, address);

  // OAuth token requests (RFC 6749) are form-encoded: Nest registers that parser on Fastify itself.

  if (lane.tls !== 'off') {
    // Refused before the handshake costs us anything: nobody on this lane may come from there.
    fastify.server.prependListener('connection', (socket: Socket) => {
      if (!admitted(socket.remoteAddress)) {
        count('address');
        socket.destroy();
      }
    });
    fastify.server.on('tlsClientError', () => count('tls-handshake'));
  }

  fastify.addHook('onRequest', async (req, reply) => {
    req.lane = laneContext;
    const address = remoteAddress(req);
    if (!admitted(address)) {
      count('address');
      return refuse(reply, 'address-not-allowed', 'This address may not use this lane');
    }
    if (!mutualTls) {
      req.edge = { laneId: lane.id, mutualTls };
      return;
    }
    const socket = req.raw.socket as TLSSocket;
    const peer =
      typeof socket.getPeerX509Certificate === 'function' ? socket.getPeerX509Certificate() : undefined;
    const check = await edge.checkClientCertificate(lane.id, peer);
    if (!check.ok) {
      count(`certificate-${check.reason.toLowerCase()}`);
      const [slug, title] = CERT_REFUSALS[check.reason];
      return refuse(reply, slug, title);
    }
    if (!(edge.lanes.guard(lane.id)?.allowsPartnerAt(check.partner.id, address) ?? false)) {
      count('partner-address');
      return refuse(
        reply,
        'partner-not-allowed-here',
        'This partner may not use this lane from this address',
      );
    }
    req.edge = {
      laneId: lane.id,
      mutualTls,
      certificate: { partner: check.partner, fingerprint: check.fingerprint },
    };
    return;
  });
}

/** Traffic only from live partners: suspended ones are refused on every lane, unfinished onboarding too. */
export function assertPartnerLive(services: GatewayServices, req: FastifyRequest, partner: Partner): void {
  if (partner.status === 'live') return;
  services.metrics.edgeRefusals.inc({
    lane: req.edge?.laneId ?? 'http',
    reason: `partner-${partner.status}`,
  });
  if (partner.status === 'suspended') throw problem(403, 'partner-suspended', 'The partner is suspended');
  throw problem(403, 'partner-not-live', 'The partner is not live', {
    detail: `onboarding state: ${partner.status}`,
  });
}

/** After API-key authentication: the partner must be assigned to this lane, from this address. */
export function assertPartnerOnLane(services: GatewayServices, req: FastifyRequest, partner: Partner): void {
  const laneId = req.edge?.laneId;
  if (laneId === undefined) return; // a listener without lanes (no configuration): no allowlist to apply
  if (services.edge.lanes.guard(laneId)?.allowsPartnerAt(partner.id, remoteAddress(req)) === true) return;
  services.metrics.edgeRefusals.inc({ lane: laneId, reason: 'lane-not-assigned' });
  throw problem(403, 'lane-not-assigned', 'This partner may not use this lane from this address');
}

export function isMutualTlsLane(req: FastifyRequest): boolean {
  return req.edge?.mutualTls === true;
}

/** Layer three on a mutual-TLS lane: a JWT from /oauth/token bound to this connection's certificate. */
export async function authenticateBoundToken(
  services: GatewayServices,
  req: FastifyRequest,
): Promise<Principal> {
  const cert = req.edge?.certificate;
  const laneId = req.edge?.laneId ?? 'http';
  if (cert === undefined) throw problem(401, 'unauthenticated', 'A client certificate is required');
  const token = bearerToken(req.headers.authorization);
  if (token === undefined) {
    services.metrics.edgeRefusals.inc({ lane: laneId, reason: 'token-missing' });
    throw problem(401, 'token-required', 'An access token is required on this lane', {
      detail:
        'obtain one from POST /oauth/token with this client certificate and send Authorization: Bearer <token>',
    });
  }
  const v = await services.edge.tokens.verify(token, cert.fingerprint);
  if (!v.ok || v.partnerId !== cert.partner.id) {
    const reason = v.ok ? 'CERT_BINDING_MISMATCH' : v.reason;
    services.metrics.edgeRefusals.inc({ lane: laneId, reason: `token-${reason.toLowerCase()}` });
    throw problem(401, 'invalid-token', 'The access token is not acceptable', { reason });
  }
  assertPartnerLive(services, req, cert.partner);
  return { type: 'partner', partner: cert.partner, credentialId: v.claims.jti };
}

/** The ops API is never served on a mutual-TLS (public) lane. */
export function assertOpsAllowedOnLane(req: FastifyRequest): void {
  if (isMutualTlsLane(req)) throw problem(403, 'forbidden', 'The ops API is not served on this lane');
}
