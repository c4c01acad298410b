import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { GATEWAY_SERVICES, type GatewayServices } from '../gateway-services';
import { problem } from '../../protocols/rest/problem';
import { assertPartnerLive, assertPartnerOnLane, isMutualTlsLane } from './edge-guard';
import './agent-problems';

/**
 * An agent terminal's own device key (`Authorization: Bearer bgt_…`). The terminal is refused once
 * revoked; its agent's OTC network partner must be live and on this lane, as for the partner itself.
 */
@Injectable()
export class TerminalAuthGuard implements CanActivate {
  constructor(@Inject(GATEWAY_SERVICES) private readonly services: GatewayServices) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    if (isMutualTlsLane(req)) throw problem(403, 'forbidden', 'Terminal keys are not accepted on this lane');
    const m = /^Bearer ([\x21-\x7E]{1,512})$/.exec(req.headers.authorization ?? '');
    if (m?.[1] === undefined) {
      throw problem(401, 'unauthenticated', 'Authentication required', {
        detail: 'send Authorization: Bearer <terminal key>',
      });
    }
    const who = await this.services.agents.terminalAuth.authenticate(m[1]);
    if (who === undefined) throw problem(401, 'unauthenticated', 'Unknown or revoked terminal credential');
    assertPartnerLive(this.services, req, who.partner);
    assertPartnerOnLane(this.services, req, who.partner);
    req.terminal = who;
    return true;
  }
}
