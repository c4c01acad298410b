import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Partner, Principal } from '../../domain/partners/partner';
import { problem } from '../../protocols/rest/problem';
import { GATEWAY_SERVICES, type GatewayServices } from '../gateway-services';
import {
  assertOpsAllowedOnLane,
  assertPartnerLive,
  assertPartnerOnLane,
  authenticateBoundToken,
  isMutualTlsLane,
} from './edge-guard';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
    /** Who a dashboard write is attributed to (`ops-user:<name>`), for the ops write log. */
    opsActor?: string;
  }
}

/** Three base64url segments, the first a JSON header: a JWT, never one of our API keys. */
const JWT = /^eyJ[\w-]*\.[\w-]+\.[\w-]*$/;

function bearer(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  if (header === undefined) return undefined;
  const m = /^Bearer ([\x21-\x7E]{1,512})$/.exec(header);
  return m?.[1];
}

async function authenticate(services: GatewayServices, req: FastifyRequest): Promise<Principal> {
  const key = bearer(req);
  if (key === undefined) {
    throw problem(401, 'unauthenticated', 'Authentication required', {
      detail: 'send Authorization: Bearer <api key>',
    });
  }
  const principal = await services.authenticator.authenticate(key);
  if (principal === undefined) {
    if (JWT.test(key)) {
      throw problem(401, 'unauthenticated', 'This lane takes API keys', {
        detail:
          'this lane takes API keys (Authorization: Bearer <api key>); certificate-bound tokens are for the mTLS lane',
      });
    }
    throw problem(401, 'unauthenticated', 'Unknown, expired or revoked credential');
  }
  return principal;
}

/** Partner API key on the plain HTTP lane. */
@Injectable()
export class PartnerAuthGuard implements CanActivate {
  constructor(@Inject(GATEWAY_SERVICES) private readonly services: GatewayServices) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    if (isMutualTlsLane(req)) {
      // Public lane: a certificate-bound JWT only; API keys are not accepted there.
      req.principal = await authenticateBoundToken(this.services, req);
      return true;
    }
    const principal = await authenticate(this.services, req);
    if (principal.type !== 'partner') throw problem(403, 'forbidden', 'A partner credential is required');
    assertPartnerLive(this.services, req, principal.partner);
    assertPartnerOnLane(this.services, req, principal.partner);
    req.principal = principal;
    return true;
  }
}

@Injectable()
export class OpsAuthGuard implements CanActivate {
  constructor(@Inject(GATEWAY_SERVICES) private readonly services: GatewayServices) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    assertOpsAllowedOnLane(req);
    const principal = await authenticate(this.services, req);
    if (principal.type !== 'ops') throw problem(403, 'forbidden', 'An ops credential is required');
    req.principal = principal;
    return true;
  }
}

export function partnerOf(req: FastifyRequest): Partner {
  if (req.principal?.type !== 'partner') throw problem(401, 'unauthenticated', 'Authentication required');
  return req.principal.partner;
}

export function opsUserOf(req: FastifyRequest): string {
  if (req.principal?.type !== 'ops') throw problem(401, 'unauthenticated', 'Authentication required');
  return req.principal.user;
}
